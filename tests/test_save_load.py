"""skae.save / skae.load: identical round trips, and clear refusals of bad files."""

import hashlib
import json
import os
import warnings
import zipfile

import numpy as np
import pytest
import torch
from numpy.testing import assert_array_equal
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import skae
from skae import (
    AutoencoderClassifier,
    AutoencoderTransformer,
    PretrainedClassifier,
    VariationalAutoencoder,
)

from ._helpers import VGGStyleEncoder

pytest.importorskip("safetensors")
pytest.importorskip("skops")

ENCODER_NAME = f"{VGGStyleEncoder.__module__}.{VGGStyleEncoder.__qualname__}"


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    X = rng.random((120, 64)).astype(np.float32)
    y = np.arange(120) % 3
    return X, y


ESTIMATORS = {
    "dense": lambda: AutoencoderTransformer(4, max_iter=2, random_state=0, device="cpu"),
    "conv": lambda: AutoencoderTransformer(
        4, image_shape=(8, 8), conv_channels=(4, 8), max_iter=2, random_state=0, device="cpu"
    ),
    "vgg-float64": lambda: AutoencoderTransformer(
        4,
        architecture="vgg",
        image_shape=(8, 8),
        conv_channels=(4,),
        precision="float64",
        max_iter=2,
        random_state=0,
        device="cpu",
    ),  # fmt: skip
    "sparse-denoising": lambda: AutoencoderTransformer(
        4, corruption="gaussian", sparsity=1e-3, max_iter=2, random_state=0, device="cpu"
    ),
    "variational": lambda: VariationalAutoencoder(4, max_iter=2, random_state=0, device="cpu"),
    "classifier-defaults-on-images": lambda: AutoencoderClassifier(
        image_shape=(8, 8), pretrain_iter=1, max_iter=2, random_state=0, device="cpu"
    ),
    "classifier-dense": lambda: AutoencoderClassifier(
        8, pretrain_iter=1, max_iter=2, random_state=0, device="cpu"
    ),
}


def _outputs(model, X):
    """Everything a model computes from X, to compare bit for bit."""
    if isinstance(model, AutoencoderClassifier):
        return [model.predict_proba(X), model.predict(X), model.transform(X)]
    codes = model.transform(X)
    return [codes, model.inverse_transform(codes), model.score_samples(X)]


def _fit(model, X, y):
    return model.fit(X, y) if isinstance(model, AutoencoderClassifier) else model.fit(X)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_round_trip_gives_identical_outputs(name, images, tmp_path):
    X, y = images
    y_semi = np.where(np.arange(len(y)) % 4 == 0, y, -1)
    model = _fit(ESTIMATORS[name](), X, y_semi)
    loaded = skae.load(skae.save(model, tmp_path / "model.skae"))
    assert type(loaded) is type(model)
    assert loaded.get_params() == model.get_params()
    for expected, got in zip(_outputs(model, X), _outputs(loaded, X), strict=True):
        assert_array_equal(got, expected)
    assert loaded.n_iter_ == model.n_iter_ and loaded.loss_curve_ == model.loss_curve_
    for weight, original in zip(
        loaded.module_.state_dict().values(), model.module_.state_dict().values(), strict=True
    ):
        assert weight.dtype == original.dtype
        assert torch.equal(weight, original)


@pytest.mark.parametrize("name", ["dense", "classifier-dense"])
def test_a_loaded_model_trains_on_as_the_original_would(name, images, tmp_path):
    X, y = images
    model = _fit(ESTIMATORS[name](), X, y)
    loaded = skae.load(skae.save(model, tmp_path / "model.skae"))
    for estimator in (model, loaded):
        estimator.set_params(warm_start=True, max_iter=2)
        _fit(estimator, X, y)
    for expected, got in zip(_outputs(model, X), _outputs(loaded, X), strict=True):
        assert_array_equal(got, expected)


@pytest.mark.parametrize(
    "estimator",
    [
        AutoencoderTransformer(max_iter=1, learning_rate_init=1, random_state=0),
        # One epoch: at a rate of 1 a second one diverges.
        AutoencoderClassifier(pretrain_iter=0, max_iter=1, learning_rate_init=1, random_state=0),
    ],
    ids=["transformer", "classifier"],
)
def test_an_integer_learning_rate_round_trips(estimator, images, tmp_path):
    X, y = images
    model = _fit(estimator, X, y)
    loaded = skae.load(skae.save(model, tmp_path / "model.skae"))
    assert loaded.learning_rate_init == 1
    assert [g["lr"] for g in loaded.optimizer_.param_groups] == [1.0] * len(
        model.optimizer_.param_groups
    )


def test_an_unfitted_estimator_round_trips_its_parameters(tmp_path):
    model = AutoencoderTransformer(
        7, architecture="conv", image_shape=(8, 8), tol=0.0, checkpoint=tmp_path / "fit.ckpt"
    )
    loaded = skae.load(skae.save(model, tmp_path / "model.skae"))
    # The checkpoint is a path of the machine that fitted, which a loaded model never writes.
    assert loaded.get_params() == {**model.get_params(), "checkpoint": None}
    assert not hasattr(loaded, "module_")


def test_the_users_own_encoder_loads_only_when_trusted(images, tmp_path):
    X, _ = images
    model = AutoencoderTransformer(
        4, encoder=VGGStyleEncoder, encoder__channels=(4,), image_shape=(8, 8), max_iter=2,
        random_state=0, device="cpu",
    ).fit(X)  # fmt: skip
    path = skae.save(model, tmp_path / "model.skae")
    assert skae.get_untrusted_types(path) == [ENCODER_NAME]
    with pytest.raises(skae.UntrustedTypeError, match=rf"pass trusted=\['{ENCODER_NAME}'\]"):
        skae.load(path)
    loaded = skae.load(path, trusted=[ENCODER_NAME])
    assert loaded.encoder is VGGStyleEncoder
    assert_array_equal(loaded.transform(X), model.transform(X))


def test_whole_pipelines_and_searches_round_trip(images, tmp_path):
    X, y = images
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("reduce", AutoencoderTransformer(max_iter=2, random_state=0, device="cpu")),
            ("clf", LogisticRegression()),
        ]
    )
    search = GridSearchCV(pipe, {"reduce__n_components": [2, 4]}, cv=2).fit(X, y)
    path = skae.save(search, tmp_path / "search.skae")
    loaded = skae.load(path, trusted=skae.get_untrusted_types(path))
    assert_array_equal(loaded.predict(X), search.predict(X))
    assert_array_equal(loaded.predict_proba(X), search.predict_proba(X))
    best = skae.load(skae.save(search.best_estimator_, tmp_path / "best.skae"))
    assert_array_equal(best.decision_function(X), search.best_estimator_.decision_function(X))
    assert best.named_steps["reduce"].n_components == search.best_params_["reduce__n_components"]


def test_a_pretrained_classifier_and_a_shared_estimator_round_trip(images, tmp_path):
    X, y = images
    autoencoder = AutoencoderTransformer(3, max_iter=2, random_state=0, device="cpu")
    clf = PretrainedClassifier(make_pipeline(autoencoder, StandardScaler()), SVC()).fit(X, y)
    loaded = skae.load(skae.save(clf, tmp_path / "clf.skae"))
    assert_array_equal(loaded.decision_function(X), clf.decision_function(X))
    assert isinstance(loaded.transformer_.steps[0][1], AutoencoderTransformer)
    assert isinstance(loaded.transformer.steps[0][1], AutoencoderTransformer)


@pytest.mark.parametrize("device", ["cuda:0", "mps", "xpu:1"])
def test_a_model_fitted_on_a_gpu_loads_on_the_cpu(images, tmp_path, monkeypatch, device):
    X, _ = images
    model = ESTIMATORS["dense"]().fit(X)
    model.device_ = device  # as a GPU fit leaves it; the weights are saved from wherever
    path = skae.save(model, tmp_path / "model.skae")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.warns(UserWarning, match=f"fitted on {device}, which is not available here"):
        loaded = skae.load(path)
    assert loaded.device_ == "cpu"
    model.device_ = "cpu"
    assert_array_equal(loaded.transform(X), model.transform(X))


# ------------------------------------------------------------------ refusals


def _saved(images, tmp_path):
    X, _ = images
    return skae.save(ESTIMATORS["conv"]().fit(X), tmp_path / "model.skae")


def _rewrite(path, change):
    """Rewrite the file with ``change(parts)`` applied and consistent checksums."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(parts.pop("skae.json"))
    change(manifest, parts)
    manifest["parts"] = {name: hashlib.sha256(data).hexdigest() for name, data in parts.items()}
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("skae.json", json.dumps(manifest))
        for name, data in parts.items():
            archive.writestr(name, data)


def test_a_truncated_file_is_refused(images, tmp_path):
    path = _saved(images, tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="is not a skae model file, or it is truncated"):
        skae.load(path)


def test_a_flipped_byte_is_refused(images, tmp_path):
    path = _saved(images, tmp_path)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("estimators/0.safetensors")
    data = bytearray(path.read_bytes())
    data[info.header_offset + 30 + len(info.filename) + info.compress_size // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"part 'estimators/0.safetensors' is corrupted"):
        skae.load(path)


def test_a_changed_part_with_the_old_checksum_is_refused(images, tmp_path):
    path = _saved(images, tmp_path)
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    record = json.loads(parts["estimators/0.json"])
    record["params"]["__dict__"][0][1] = "tanh"  # activation: another network
    parts["estimators/0.json"] = json.dumps(record).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    with pytest.raises(ValueError, match="its checksum differs"):
        skae.load(path)


def test_a_weight_of_the_wrong_shape_is_refused(images, tmp_path):
    from safetensors.torch import load, save

    path = _saved(images, tmp_path)

    def change(manifest, parts):
        tensors = load(parts["estimators/0.safetensors"])
        name = next(n for n in tensors if n.startswith("module_.") and n.endswith("weight"))
        tensors[name] = torch.zeros(3, 3)
        parts["estimators/0.safetensors"] = save(tensors)

    _rewrite(path, change)
    with pytest.raises(ValueError, match=r"weights do not fit the network .*'conv'.*\(3, 3\)"):
        skae.load(path)


def test_an_unknown_type_is_refused(images, tmp_path):
    path = _saved(images, tmp_path)

    def change(manifest, parts):
        record = json.loads(parts["estimators/0.json"])
        record["type"] = "os.system"
        parts["estimators/0.json"] = json.dumps(record).encode()

    _rewrite(path, change)
    with pytest.raises(ValueError, match="estimator of unknown type 'os.system'"):
        skae.load(path)


def test_a_newer_format_version_is_refused(images, tmp_path):
    path = _saved(images, tmp_path)
    _rewrite(path, lambda manifest, parts: manifest.update(format_version=99))
    with pytest.raises(ValueError, match="format version 99, newer than this skae reads"):
        skae.load(path)


def _with_encoder(path, encoder):
    """Rewrite the file with its ``encoder`` parameter set to ``encoder`` (tagged JSON)."""

    def change(manifest, parts):
        record = json.loads(parts["estimators/0.json"])
        params = dict(record["params"]["__dict__"])
        params["encoder"] = encoder
        record["params"]["__dict__"] = [[k, v] for k, v in params.items()]
        parts["estimators/0.json"] = json.dumps(record).encode()

    _rewrite(path, change)


def test_a_name_inside_skae_is_refused_as_crafted_even_if_trusted(images, tmp_path):
    path = _saved(images, tmp_path)
    _with_encoder(path, {"__callable__": "skae._base.sys.exit"})
    for call in (skae.get_untrusted_types, skae.load):
        with pytest.raises(skae.ModelFileError, match="params.encoder names 'skae._base.sys"):
            call(path)
    with pytest.raises(skae.ModelFileError, match="crafted"):
        skae.load(path, trusted=["skae._base.sys.exit"])


def test_a_trusted_name_that_reaches_another_module_is_refused(images, tmp_path):
    path = _saved(images, tmp_path)
    name = f"{VGGStyleEncoder.__module__}.np.save"  # numpy.save, through an import
    _with_encoder(path, {"__callable__": name})
    assert skae.get_untrusted_types(path) == [name]
    with pytest.raises(skae.UntrustedTypeError, match="which is not defined there"):
        skae.load(path, trusted=[name])


def test_an_untrusted_scikit_learn_step_is_refused_by_name(images, tmp_path):
    X, y = images
    search = GridSearchCV(SVC(), {"C": [1, 10]}, cv=2).fit(X, y)
    pipe = make_pipeline(AutoencoderTransformer(2, max_iter=1, device="cpu"), SVC())
    pipe.fit(X, y)
    pipe.steps.append(("search", search))  # names a scorer skops does not trust by default
    path = skae.save(pipe, tmp_path / "pipe.skae")
    untrusted = skae.get_untrusted_types(path)
    assert untrusted and all(name.startswith("sklearn.") for name in untrusted)
    with pytest.raises(skae.UntrustedTypeError, match="not trusted"):
        skae.load(path)


def test_a_missing_extra_names_it(images, tmp_path, monkeypatch):
    import importlib

    from skae import _extras

    real = importlib.import_module

    def without_safetensors(name, *args):
        if name.startswith("safetensors"):
            raise ImportError(f"No module named {name!r}")
        return real(name, *args)

    monkeypatch.setattr(_extras.importlib, "import_module", without_safetensors)
    with pytest.raises(ImportError, match=r"pip install skae\[persistence\]"):
        skae.save(AutoencoderTransformer(), tmp_path / "model.skae")


def test_saving_never_leaves_a_half_written_file(images, tmp_path):
    X, _ = images
    model = ESTIMATORS["dense"]().fit(X)
    model.some_fitted_handle_ = object()
    with pytest.raises(TypeError, match="some_fitted_handle_: cannot save a value of type"):
        skae.save(model, tmp_path / "model.skae")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------- saving like open("wb")


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_a_saved_file_takes_its_mode_from_the_umask(images, tmp_path, umask):
    previous = os.umask(umask)
    try:
        path = skae.save(ESTIMATORS["dense"](), tmp_path / "model.skae")
        with open(tmp_path / "reference", "wb"):
            pass
    finally:
        os.umask(previous)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    assert path.stat().st_mode == (tmp_path / "reference").stat().st_mode


def test_a_read_only_target_behaves_as_open_does(tmp_path):
    path = tmp_path / "model.skae"
    path.write_bytes(b"keep me")
    path.chmod(0o444)
    try:
        with open(path, "ab"):
            pass
        opens = True  # e.g. as root, who may write any file
    except PermissionError:
        opens = False
    if opens:
        skae.save(AutoencoderTransformer(), path)
        assert skae.load(path).get_params() == AutoencoderTransformer().get_params()
    else:
        with pytest.raises(PermissionError, match=f"cannot write {path}"):
            skae.save(AutoencoderTransformer(), path)
        assert path.read_bytes() == b"keep me"
    assert [p.name for p in tmp_path.iterdir()] == ["model.skae"]


def test_a_target_that_cannot_be_written_is_named(tmp_path):
    target = tmp_path / "missing" / "model.skae"
    with pytest.raises(FileNotFoundError, match=f"cannot write {target}: its folder"):
        skae.save(AutoencoderTransformer(), target)
    with pytest.raises(IsADirectoryError, match=f"cannot write {tmp_path}"):
        skae.save(AutoencoderTransformer(), tmp_path)
    assert list(tmp_path.iterdir()) == []


class _Local(torch.nn.Module):
    pass


def test_a_module_only_this_process_can_import_is_refused_at_save(tmp_path, monkeypatch):
    """A class of ``__main__`` saves, then loads nowhere else: refused when saved."""
    monkeypatch.setattr(_Local, "__module__", "__main__")
    with pytest.raises(TypeError, match=r"params.encoder: _Local is defined in __main__"):
        skae.save(AutoencoderTransformer(encoder=_Local), tmp_path / "model.skae")
    assert list(tmp_path.iterdir()) == []
