"""Model files crafted as an attacker would: each is refused, and nothing happens on the way.

Every case starts from a genuine file, changes it as the issue's attacks did
(and recomputes the SHA-256s, as anyone can), and asserts the refusal's
type, that no code ran (a marker file), that no file was written or
replaced, and that the process did not exit. Peak memory of the resource
bombs is measured in a subprocess, against a genuine file of the same size.
"""

import hashlib
import io
import json
import os
import pickle
import struct
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch
from numpy.testing import assert_array_equal
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import skae
from skae import AutoencoderClassifier, AutoencoderTransformer, ModelFileError

from ._crafting import (
    directory_bomb,
    edit_record,
    get_pair,
    npy_announcing,
    parts_of,
    rewrite,
    set_pair,
    skops_entries,
    write,
    write_skops,
)
from ._helpers import VGGStyleEncoder

safetensors_torch = pytest.importorskip("safetensors.torch")
skops_io = pytest.importorskip("skops.io")

CPU = dict(random_state=0, device="cpu")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.random((60, 16)).astype(np.float32), np.arange(60) % 3


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    return {
        "transformer": AutoencoderTransformer(4, hidden_layer_sizes=(8,), max_iter=2, **CPU).fit(X),
        "classifier": AutoencoderClassifier(
            4, hidden_layer_sizes=(8,), pretrain_iter=1, max_iter=1, **CPU
        ).fit(X, y),
    }


@pytest.fixture
def genuine(fitted, tmp_path):
    return skae.save(fitted["transformer"], tmp_path / "model.skae")


@pytest.fixture
def genuine_pipeline(fitted, data, tmp_path):
    X, y = data
    pipe = make_pipeline(StandardScaler(), fitted["transformer"], SVC()).fit(X, y)
    return skae.save(pipe, tmp_path / "pipe.skae")


class Payload:
    """Pickled, it runs ``touch`` on a marker file when unpickled."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def assert_refused(path, error=ModelFileError, match=None, trusted=None, review=True):
    """Loading ``path`` raises ``error`` and runs, writes and replaces nothing.

    With ``review``, :func:`skae.get_untrusted_types` refuses the file too.
    """
    folder = path.parent
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    with pytest.raises(error, match=match) as refusal:
        skae.load(path, trusted=trusted)
    assert type(refusal.value) in (ModelFileError, skae.UntrustedTypeError)
    if review:
        with pytest.raises(ModelFileError):
            skae.get_untrusted_types(path)
    after = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert after == before, "loading wrote, replaced or removed a file"
    assert not (folder / "pwned").exists(), "the file ran code"
    return refusal.value


# ------------------------------------------------------------ code from the file


def test_the_issues_reproducer_runs_nothing(genuine):
    """A partial of skae's torch loader bound to a pickle in the weights part (issue 36)."""
    marker = genuine.parent / "pwned"
    manifest, parts = parts_of(genuine)
    record = json.loads(parts["estimators/0.json"])
    loader = {"__callable__": "skae.nn._serialization.loads"}
    partial = {
        "__partial__": loader,
        "args": {"__tuple__": [{"__ndarray__": "p"}]},
        "keywords": {"__dict__": [["map_location", "cpu"]]},
    }
    set_pair(record["params"], "encoder", partial)
    parts["estimators/0.json"] = json.dumps(record).encode()
    tensors = safetensors_torch.load(parts["estimators/0.safetensors"])
    payload = bytearray(pickle.dumps(Payload(marker)))
    tensors["p"] = torch.frombuffer(payload, dtype=torch.uint8)
    parts["estimators/0.safetensors"] = safetensors_torch.save(tensors)
    write(genuine, manifest, parts)
    error = assert_refused(genuine, match="skae.nn._serialization.loads")
    assert "crafted" in str(error)
    # Trusting the name changes nothing: no part of skae is callable from a file.
    assert_refused(genuine, trusted=["skae.nn._serialization.loads"], review=False)


@pytest.mark.parametrize(
    "name",
    ["skae.__main__.main", "skae.cli.main", "skae.datasets._base.download", "skae._base.sys.exit"],
)
def test_no_part_of_skae_is_callable_from_a_file(genuine, name):
    edit_record(
        genuine, lambda record: set_pair(record["params"], "encoder", {"__callable__": name})
    )
    assert_refused(genuine, match="crafted")
    assert "skae.__main__" not in sys.modules  # nothing was imported to check the name


def test_a_foreign_function_is_named_and_never_called(genuine):
    edit_record(genuine, lambda r: set_pair(r["params"], "encoder", {"__callable__": "os.system"}))
    assert skae.get_untrusted_types(genuine) == ["os.system"]
    assert_refused(genuine, skae.UntrustedTypeError, match="'os.system'", review=False)
    # os.system is posix.system: a name that is not the object's own is refused even if trusted.
    assert_refused(genuine, skae.UntrustedTypeError, trusted=["os.system"], review=False)


@pytest.mark.parametrize(
    "name", ["transform", "__sklearn_is_fitted__", "_new_network", "__class__", "__dict__", "fit"]
)
def test_a_fitted_attribute_cannot_shadow_a_method(genuine, name):
    partial = {
        "__partial__": {"__callable__": "os.system"},
        "args": {"__tuple__": ["touch pwned"]},
        "keywords": {"__dict__": []},
    }
    edit_record(genuine, lambda record: set_pair(record["fitted"], name, partial))
    assert_refused(genuine, match="does not have", trusted=["os.system"])


def test_a_parameter_the_estimator_does_not_have_is_refused(genuine):
    edit_record(genuine, lambda record: set_pair(record["params"], "__init__", 1))
    assert_refused(genuine, match="parameters that AutoencoderTransformer does not have")


def test_a_checkpoint_path_in_a_file_is_refused(genuine):
    """A loaded model must not write where the file says at its next fit."""
    edit_record(genuine, lambda record: set_pair(record["params"], "checkpoint", "/etc/passwd"))
    assert_refused(genuine, match="checkpoint")


def test_invalid_parameter_values_are_refused(genuine):
    edit_record(genuine, lambda record: set_pair(record["params"], "max_iter", -1))
    assert_refused(genuine, match="its parameters are invalid")


@pytest.mark.parametrize("fitted_inside", [False, True])
def test_a_skae_estimator_inside_the_scikit_learn_part_is_refused(
    genuine_pipeline, fitted, fitted_inside
):
    """The trust trap: skops would run the estimator's ``__setstate__`` (a torch pickle)."""
    manifest, parts = parts_of(genuine_pipeline)
    inside = fitted["transformer"] if fitted_inside else AutoencoderTransformer()
    parts["sklearn.skops"] = skops_io.dumps(make_pipeline(StandardScaler(), inside))
    write(genuine_pipeline, manifest, parts)
    names = ["skae._transformer.AutoencoderTransformer", "skae._base.BaseAutoencoder"]
    # A fitted one carries its torch pickle as bytes, refused before skops reads anything.
    match = r"\.bin'; skae reads skops parts of" if fitted_inside else "crafted"
    assert_refused(genuine_pipeline, match=match, trusted=names)


def test_a_composite_whose_attribute_shadows_a_method_is_refused(data, fitted, tmp_path):
    X, y = data
    clf = skae.PretrainedClassifier(fitted["transformer"], SVC()).fit(X, y)
    path = skae.save(clf, tmp_path / "clf.skae")
    manifest, parts = parts_of(path)
    loaded_skops = skops_io.loads(
        parts["sklearn.skops"], trusted=["skae._pretrained.PretrainedClassifier"]
    )
    loaded_skops.predict = SVC()
    parts["sklearn.skops"] = skops_io.dumps(loaded_skops)
    write(path, manifest, parts)
    assert_refused(path, match="shadow", review=False)


# ------------------------------------------------------------- the record's values


def _config_spec(record):
    config = get_pair(record["fitted"], "_config")["fields"]
    return get_pair(config, "spec")["fields"]


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda r: set_pair(r["fitted"], "loss_curve_", "x"), "wrong kind"),
        (lambda r: set_pair(r["fitted"], "device_", "meta"), "wrong kind"),
        (lambda r: r["fitted"]["__dict__"].pop(0), "lacks the fitted attributes"),
        (lambda r: set_pair(r["fitted"], "_seeds", {"__record__": "os.system", "fields": {}}),
         "unknown record type"),
        (lambda r: set_pair(r["fitted"], "n_iter_", {"__float__": "1e400"}), "malformed"),
        (lambda r: set_pair(r["fitted"], "n_iter_", {"__import__": "os"}), "unknown value tag"),
        (lambda r: set_pair(r["fitted"], "n_iter_", {"__tuple__": [], "x": 1}), "malformed"),
        (lambda r: set_pair(r["fitted"], "n_iter_", {"__tensor__": "missing"}), "does not hold"),
        (lambda r: set_pair(_config_spec(r), "activation", ["x"]), "wrong kind"),
        (lambda r: r.update(type="AutoencoderAugmenter"), "unknown type"),
        (lambda r: r.pop("optimizer"), "fields are not an estimator's"),
        (lambda r: r.update(extra=1), "fields are not an estimator's"),
    ],
    ids=[
        "wrong-kind", "device", "missing", "record-type", "float", "tag", "extra-key",
        "no-tensor", "record-field", "type", "no-optimizer", "extra-field",
    ],
)  # fmt: skip
def test_malformed_records_are_refused(genuine, change, match):
    edit_record(genuine, change)
    assert_refused(genuine, match=match)


def test_a_huge_network_size_is_refused_before_any_memory_is_taken(genuine):
    """hidden_layer_sizes of 10**9 would allocate terabytes; the meta-device check refuses."""
    edit_record(
        genuine, lambda r: set_pair(_config_spec(r), "hidden_layer_sizes", {"__tuple__": [10**9]})
    )
    # Checked when the network is built: get_untrusted_types builds nothing.
    assert_refused(genuine, match="weights do not fit the network", review=False)


def test_weights_of_another_dtype_are_refused(genuine):
    """uint8 weights widened to float64 took 10 times the file's size, and loaded."""

    def change(manifest, parts):
        tensors = safetensors_torch.load(parts["estimators/0.safetensors"])
        tensors = {name: t.to(torch.uint8) for name, t in tensors.items()}
        name = next(n for n in tensors if n.startswith("module_.") and n.endswith("bias"))
        tensors[name] = tensors[name].to(torch.float64)
        parts["estimators/0.safetensors"] = safetensors_torch.save(tensors)

    rewrite(genuine, change)
    assert_refused(genuine, match="weights do not fit the network", review=False)


def _stages_bomb(path, n_stages):
    """A conv model whose ``n_stages`` stride-2 stages, on 8x8 images, decode 2**n_stages wide."""
    from skae.nn import NetworkSpec
    from skae.nn._modules import build_autoencoder

    def change(manifest, parts):
        record = json.loads(parts["estimators/0.json"])
        stages = {"__tuple__": [1] * n_stages}
        set_pair(record["params"], "conv_channels", stages)
        set_pair(_config_spec(record), "conv_channels", stages)
        spec = NetworkSpec(64, 2, image_shape=(1, 8, 8), conv_channels=(1,) * n_stages)
        with torch.device("meta"):
            network = build_autoencoder(spec, "conv")
        weights = {"module_." + k: torch.zeros(v.shape) for k, v in network.state_dict().items()}
        parameters = list(network.parameters())
        n_weights = sum(1 for p in parameters if p.ndim > 1)
        set_pair(record["optimizer"], "state", {"__dict__": []})
        groups = get_pair(record["optimizer"], "param_groups")
        set_pair(groups[0], "params", list(range(n_weights)))
        set_pair(groups[1], "params", list(range(n_weights, len(parameters))))
        parts["estimators/0.json"] = json.dumps(record).encode()
        parts["estimators/0.safetensors"] = safetensors_torch.save(weights)

    return rewrite(path, change)


def test_sizes_whose_activations_explode_are_refused(data, tmp_path):
    """24 stride-2 stages on 8x8 images: a 14 KB file whose inverse_transform of one row
    allocated terabytes."""
    X = np.random.default_rng(0).random((4, 64)).astype(np.float32)
    model = AutoencoderTransformer(
        2, architecture="conv", image_shape=(8, 8), conv_channels=(1, 1, 1), max_iter=1,
        batch_size=4, **CPU,
    ).fit(X)  # fmt: skip
    path = skae.save(model, tmp_path / "conv.skae")
    _stages_bomb(path, 3)  # the crafting is sound: 3 stages load
    skae.load(path)
    _stages_bomb(path, 24)
    assert_refused(path, match="values for one row of 64 features", review=False)


def test_a_spec_whose_image_is_not_its_rows_is_refused(genuine):
    edit_record(
        genuine, lambda r: set_pair(_config_spec(r), "image_shape", {"__tuple__": [1, 3, 3]})
    )
    assert_refused(genuine, match="wrong kind")


def test_a_subarray_dtype_is_refused(genuine):
    """``(268435456,)<U1`` made a 1 GiB array from 50 bytes of JSON."""
    strings = {"__strings__": ["a"], "dtype": "(268435456,)<U1"}
    edit_record(genuine, lambda r: set_pair(r["fitted"], "feature_names_in_", strings))
    assert_refused(genuine, match="strings of dtype")


def test_a_huge_string_itemsize_is_refused(genuine):
    strings = {"__strings__": [""] * 1000, "dtype": "<U999999"}
    edit_record(genuine, lambda r: set_pair(r["fitted"], "feature_names_in_", strings))
    assert_refused(genuine, match="too much memory")


@pytest.mark.parametrize(
    "rate", ["0.001", {"__tuple__": [0.001]}, True, None], ids=["str", "tuple", "bool", "none"]
)
def test_a_learning_rate_that_is_not_a_float_is_refused(genuine, rate):
    """The loaded optimizer's rates come from the file: each must be a float, as saved."""
    edit_record(
        genuine, lambda r: set_pair(get_pair(r["optimizer"], "param_groups")[0], "lr", rate)
    )
    assert_refused(genuine, match="optimizer state does not fit", review=False)


def test_optimizer_state_of_the_wrong_shape_is_refused(genuine):
    def change(manifest, parts):
        tensors = safetensors_torch.load(parts["estimators/0.safetensors"])
        name = next(n for n in tensors if n.startswith("optimizer_.") and n.endswith("exp_avg"))
        tensors[name] = torch.zeros(2, 2)
        parts["estimators/0.safetensors"] = safetensors_torch.save(tensors)

    rewrite(genuine, change)
    assert_refused(genuine, match="optimizer state does not fit", review=False)


def test_a_tensor_nothing_references_is_refused(genuine):
    def change(manifest, parts):
        tensors = safetensors_torch.load(parts["estimators/0.safetensors"])
        tensors["unused"] = torch.zeros(10)
        parts["estimators/0.safetensors"] = safetensors_torch.save(tensors)

    rewrite(genuine, change)
    assert_refused(genuine, match="tensors that nothing uses")


def _safetensors(header, body=b""):
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


@pytest.mark.parametrize(
    "part, match",
    [
        (b"\x00" * 4, "truncated"),
        (struct.pack("<Q", 2**60), "larger than the part"),
        (_safetensors([1]), "malformed"),
        (_safetensors({"t": {"dtype": "F99", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4),
         "unknown dtype"),
        (_safetensors({"t": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\0" * 4),
         "malformed shape"),
        (_safetensors({"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 4),
         "disagrees with its shape"),
        (_safetensors({"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},
                       "b": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}}, b"\0" * 4),
         "does not follow"),
        (_safetensors({}, b"\0" * 4), "do not fill the part"),
        (_safetensors({"__metadata__": {"a": 1}}), "metadata is malformed"),
    ],
    ids=["short", "huge-header", "not-a-dict", "dtype", "shape", "size", "overlap", "gap",
         "metadata"],
)  # fmt: skip
def test_malformed_safetensors_headers_are_refused(genuine, part, match):
    rewrite(genuine, lambda manifest, parts: parts.update({"estimators/0.safetensors": part}))
    assert_refused(genuine, match=match)


# ---------------------------------------------------------------- the container


def _bomb(manifest, parts, name, size):
    parts[name] = b"\0" * size


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2])
def test_compressed_parts_are_refused(genuine, compression):
    manifest, parts = parts_of(genuine)
    write(genuine, manifest, parts, compression=compression)
    assert_refused(genuine, match="compressed")


def test_an_entry_given_twice_is_refused(genuine):
    manifest, parts = parts_of(genuine)
    with pytest.warns(UserWarning, match="Duplicate name"):
        write(genuine, manifest, parts, entries=[("estimators/0.json", b"{}")])
    assert_refused(genuine, match="same name twice")


@pytest.mark.parametrize("where", ["before", "after"])
def test_data_around_the_zip_is_refused(genuine, where):
    data = genuine.read_bytes()
    genuine.write_bytes(b"#!/bin/sh\n" + data if where == "before" else data + b"trailing")
    assert_refused(genuine, match="data (before|or a comment after)")


def test_a_zip_comment_is_refused(genuine):
    with zipfile.ZipFile(genuine, "a") as archive:
        archive.comment = b"hello"
    assert_refused(genuine, match="comment")


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda m: m.update(n_estimators=10**7), "n_estimators is malformed"),
        (lambda m: m.update(n_estimators=True), "n_estimators is malformed"),
        (lambda m: m.update(n_estimators=-1), "n_estimators is malformed"),
        (lambda m: m.update(root={"estimator": 1}), "root is malformed"),
        (lambda m: m.update(root={"sklearn": "../x", "marker": "m"}), "root is malformed"),
        (lambda m: m.update(format="pickle"), "not a skae model file"),
        (lambda m: m.update(format_version=1), "older skae"),
        (lambda m: m.update(format_version="2"), "format_version is malformed"),
    ],
    ids=["huge-count", "bool-count", "negative", "root", "root-path", "format", "old", "version"],
)
def test_malformed_manifests_are_refused(genuine, change, match):
    rewrite(genuine, lambda manifest, parts: change(manifest))
    assert_refused(genuine, match=match)


@pytest.mark.parametrize(
    "manifest, match",
    [
        (b"[" * 100_000 + b"]" * 100_000, "nests"),
        (b"not json", "not valid JSON"),
        (b'{"format": "skae", "format": "skae"}', "not valid JSON"),
        (b"{}" + b" " * (5 * 2**20), "more than"),
    ],
    ids=["deep", "garbage", "repeated-key", "padded"],
)
def test_manifests_that_are_not_json_are_refused(genuine, manifest, match):
    _, parts = parts_of(genuine)
    write(genuine, manifest, parts, checksums=False)
    assert_refused(genuine, match=match)


def test_an_unlisted_or_missing_part_is_refused(genuine):
    manifest, parts = parts_of(genuine)
    write(genuine, manifest, {**parts, "extra": b"x"}, checksums=False)
    assert_refused(genuine, match="unlisted: \\['extra'\\]")
    write(genuine, manifest, {"estimators/0.json": parts["estimators/0.json"]}, checksums=False)
    assert_refused(genuine, match="missing")


def test_a_truncated_file_is_refused_at_every_length(genuine):
    data = genuine.read_bytes()
    for length in range(0, len(data), max(1, len(data) // 41)):
        genuine.write_bytes(data[:length])
        assert_refused(genuine, review=False)


def test_a_pinned_file_is_checked_whole_before_it_is_read(genuine, data):
    digest = hashlib.sha256(genuine.read_bytes()).hexdigest()
    assert_array_equal(skae.load(genuine, sha256=digest).transform(data[0]),
                       skae.load(genuine).transform(data[0]))  # fmt: skip
    rewrite(genuine, lambda manifest, parts: None)  # same content, another file
    with pytest.raises(ModelFileError, match="SHA-256 differs"):
        skae.load(genuine, sha256=digest)


def test_a_deflated_npy_inside_the_scikit_learn_part_is_refused(genuine_pipeline):
    manifest, parts = parts_of(genuine_pipeline)
    inner = zipfile.ZipFile(io.BytesIO(parts["sklearn.skops"]))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in inner.namelist():
            archive.writestr(name, inner.read(name))
    parts["sklearn.skops"] = buffer.getvalue()
    write(genuine_pipeline, manifest, parts)
    assert_refused(genuine_pipeline, match="compressed")


def _scaler_mean_file(entries):
    schema = json.loads(entries["schema.json"])
    steps = schema["content"]["content"]["steps"]["content"]
    return steps[0]["content"][1]["content"]["content"]["mean_"]["file"]


@pytest.mark.parametrize("shape", [(2**40,), (3 * 2**30,), (2**62, 4), (1,)])
def test_an_npy_array_announcing_other_bytes_is_refused(genuine_pipeline, shape):
    """numpy allocates what a header announces before it reads: 8 TiB from 128 bytes."""
    manifest, parts, entries = skops_entries(genuine_pipeline)
    entries[_scaler_mean_file(entries)] = npy_announcing(shape, b"\0" * 64)
    write_skops(genuine_pipeline, manifest, parts, entries)
    assert_refused(genuine_pipeline, match="header disagrees with its bytes")


def test_an_entry_skops_would_read_otherwise_is_refused(genuine_pipeline):
    manifest, parts, entries = skops_entries(genuine_pipeline)
    entries["x.npz"] = b"PK"
    write_skops(genuine_pipeline, manifest, parts, entries)
    assert_refused(genuine_pipeline, match="'x.npz'; skae reads skops parts of")


def test_a_loader_of_a_missing_library_is_a_refusal(genuine_pipeline):
    """skops raises ImportError for a node whose library is missing: the file chose it."""
    manifest, parts, entries = skops_entries(genuine_pipeline)
    schema = json.loads(entries["schema.json"])
    schema["content"]["content"]["steps"]["content"][0]["content"][1]["__loader__"] = (
        "QuantileForestNode"
    )
    entries["schema.json"] = json.dumps(schema).encode()
    write_skops(genuine_pipeline, manifest, parts, entries)
    assert_refused(genuine_pipeline, match="needs what is not installed here")


def _lists(n_bytes):
    return b"[" + b"[]," * (n_bytes // 3) + b"[]]"


@pytest.mark.parametrize("where", ["record", "header", "schema"])
def test_json_of_many_tiny_values_is_refused_before_it_is_parsed(genuine_pipeline, where):
    """``[[],[],...]`` costs Python 60 bytes for every 3 bytes of JSON."""
    manifest, parts, entries = skops_entries(genuine_pipeline)
    body = _lists(12 * 2**20)
    if where == "record":
        parts["estimators/0.json"] = body
    elif where == "header":
        parts["estimators/0.safetensors"] = struct.pack("<Q", len(body)) + body
    else:
        entries["schema.json"] = body
    write_skops(genuine_pipeline, manifest, parts, entries)
    assert_refused(genuine_pipeline, match="more values than")


def test_a_directory_announcing_many_entries_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "directory.skae"
    path.write_bytes(directory_bomb(20_000))
    assert_refused(path, match="announces 20000 entries")


def _skops_part(path, obj):
    """Rewrite the file's skops part as ``obj`` would be written by skops itself."""
    manifest, parts = parts_of(path)
    parts["sklearn.skops"] = skops_io.dumps(obj)
    return write(path, manifest, parts)


def test_a_pipeline_that_would_cache_where_the_file_says_is_refused(genuine_pipeline, tmp_path):
    """A Pipeline's memory makes every later fit write, then unpickle, files in that folder."""
    _skops_part(genuine_pipeline, Pipeline([("scale", StandardScaler())], memory=str(tmp_path)))
    assert_refused(genuine_pipeline, match=r"Pipeline with \['memory'\]", review=False)


def test_a_search_over_checkpoint_paths_is_refused(genuine_pipeline, tmp_path):
    search = GridSearchCV(SVC(), {"C": [1], "checkpoint": [str(tmp_path / "x")]})
    _skops_part(genuine_pipeline, search)
    trusted = skae.get_untrusted_types(genuine_pipeline)
    assert_refused(genuine_pipeline, match="param_grid", trusted=trusted, review=False)


# ----------------------------------------------------------- what must still work


def test_a_search_that_swaps_pca_for_the_autoencoder_needs_only_sklearns_names(data, tmp_path):
    """The user guide's swap: ``cv_results_`` holds the candidates in masked arrays."""
    X, y = data
    pipe = Pipeline([("scale", StandardScaler()), ("reduce", PCA(2)), ("clf", SVC())])
    grid = {
        "reduce": [PCA(2), AutoencoderTransformer(2, hidden_layer_sizes=(8,), max_iter=1, **CPU)]
    }
    search = GridSearchCV(pipe, grid, cv=2).fit(X, y)
    assert isinstance(search.cv_results_["param_reduce"], np.ma.MaskedArray)
    path = skae.save(search, tmp_path / "search.skae")
    _, parts = parts_of(path)
    assert b"_torch_state" not in parts["sklearn.skops"]
    untrusted = skae.get_untrusted_types(path)
    assert untrusted == [
        "sklearn.metrics._scorer._PassthroughScorer",
        "sklearn.model_selection._split.StratifiedKFold",
    ]
    loaded = skae.load(path, trusted=untrusted)
    assert_array_equal(loaded.predict(X), search.predict(X))
    candidate = loaded.cv_results_["param_reduce"][1]
    assert isinstance(candidate, AutoencoderTransformer)
    assert candidate.get_params() == grid["reduce"][1].get_params()


def test_a_loaded_model_rebuilds_the_network_it_was_fitted_with(data, tmp_path):
    """set_params after fit changes the parameters, not the saved network."""
    X, _ = data
    model = AutoencoderTransformer(
        4, encoder=VGGStyleEncoder, encoder__channels=(4,), image_shape=(4, 4), max_iter=1, **CPU
    ).fit(X)
    model.set_params(encoder__channels=(8, 8))
    path = skae.save(model, tmp_path / "model.skae")
    name = f"{VGGStyleEncoder.__module__}.{VGGStyleEncoder.__qualname__}"
    loaded = skae.load(path, trusted=[name])
    assert_array_equal(loaded.transform(X), model.transform(X))
    assert loaded.get_params()["encoder__channels"] == (8, 8)


def test_paths_of_the_fitting_machine_are_saved_as_none(data, fitted, tmp_path):
    X, y = data
    pipe = Pipeline(
        [("reduce", fitted["transformer"]), ("clf", SVC())], memory=str(tmp_path / "cache")
    ).fit(X, y)
    loaded = skae.load(skae.save(pipe, tmp_path / "pipe.skae"))
    assert loaded.memory is None and pipe.memory == str(tmp_path / "cache")
    assert_array_equal(loaded.predict(X), pipe.predict(X))
    search = GridSearchCV(
        AutoencoderTransformer(2, max_iter=1), {"checkpoint": [str(tmp_path / "a.ckpt")]}
    )
    with pytest.raises(TypeError, match=r"searches over \[\"param_grid\['checkpoint'\]\"\]"):
        skae.save(search, tmp_path / "search.skae")
    assert not (tmp_path / "search.skae").exists()


def test_what_load_would_refuse_is_not_saved(data, fitted, tmp_path):
    """A sparse matrix in a scikit-learn step: skops writes it as .npz, which skae never reads."""
    from scipy.sparse import csr_matrix
    from sklearn.preprocessing import FunctionTransformer

    X, y = data
    step = FunctionTransformer().fit(X)
    step.table_ = csr_matrix(np.eye(3))
    with pytest.raises(TypeError, match="load would refuse it: .*npz"):
        skae.save(make_pipeline(step, fitted["transformer"]), tmp_path / "pipe.skae")
    assert list(tmp_path.iterdir()) == []


def test_trusted_must_be_a_list_of_names(genuine):
    with pytest.raises(TypeError, match="trusted must be a list"):
        skae.load(genuine, trusted="tests._helpers.VGGStyleEncoder")


# ------------------------------------------------------------------ memory bounds

_MEASURE = """
import json, sys, warnings
import skae
warnings.simplefilter("ignore")

def peak():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))

skae.load(sys.argv[1])  # torch's lazy imports (meta kernels, optimizers) paid once, unmeasured
results = {}
for path in sys.argv[2:]:
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    start = peak()
    try:
        skae.load(path)
        outcome = "loaded"
    except Exception as exc:
        outcome = type(exc).__name__
    results[path] = [outcome, peak() - start]
print(json.dumps(results))
"""

_BOMB = 256 * 2**20


def _bombs(genuine, folder):
    """Files that once took memory far beyond their size, and a genuine file to compare."""
    manifest, parts = parts_of(genuine)
    files = {}

    def add(name, *args, **kwargs):
        files[name] = write(folder / f"{name}.skae", *args, **kwargs)

    add("bzip2", manifest, {**parts, "estimators/0.json": b" " * _BOMB},
        compression=zipfile.ZIP_BZIP2)  # fmt: skip
    add("deflate", manifest, {**parts, "estimators/0.json": b" " * _BOMB},
        compression=zipfile.ZIP_DEFLATED)  # fmt: skip
    add("n_estimators", {**manifest, "n_estimators": 10**7}, parts)
    record = json.loads(parts["estimators/0.json"])
    set_pair(record["fitted"], "feature_names_in_",
             {"__strings__": ["a"], "dtype": "(268435456,)<U1"})  # fmt: skip
    add("subarray", manifest, {**parts, "estimators/0.json": json.dumps(record).encode()})
    record = json.loads(parts["estimators/0.json"])
    set_pair(_config_spec(record), "hidden_layer_sizes", {"__tuple__": [2**22]})
    add("wide-network", manifest, {**parts, "estimators/0.json": json.dumps(record).encode()})
    tensors = safetensors_torch.load(parts["estimators/0.safetensors"])
    padded = {**tensors, "unused": torch.zeros(_BOMB // 4)}
    add("unused", manifest, {**parts, "estimators/0.safetensors": safetensors_torch.save(padded)})
    add("json-values", manifest, {**parts, "estimators/0.json": _lists(12 * 2**20)})
    files["directory"] = folder / "directory.skae"
    files["directory"].write_bytes(directory_bomb(2_000_000))
    return files


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_resource_bombs_take_no_more_memory_than_their_size(genuine, tmp_path):
    files = _bombs(genuine, tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(genuine), *map(str, files.values())],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    measured = {name: json.loads(result.stdout)[str(path)] for name, path in files.items()}
    for name, (outcome, peak_kib) in measured.items():
        assert outcome == "ModelFileError", (name, outcome)
        size_kib = files[name].stat().st_size // 1024
        # The file is read whole, once; a bomb adds nothing of what it claims to hold.
        assert peak_kib < size_kib + 64 * 1024, (name, peak_kib, size_kib)
    for name in ("bzip2", "deflate", "n_estimators", "subarray", "wide-network"):
        assert measured[name][1] < 64 * 1024, (name, measured[name])
    # Refused from a count of their bytes, before they are parsed (1.7 GB and 0.8 GB before).
    for name in ("json-values", "directory"):
        assert measured[name][1] < files[name].stat().st_size // 1024 + 64 * 1024


def _wrapped(estimator):
    """skae estimators held in the containers a scikit-learn object may use."""
    from sklearn.frozen import FrozenEstimator

    return {
        "frozen": make_pipeline(FrozenEstimator(estimator), SVC()),
        "nested-search": GridSearchCV(
            GridSearchCV(make_pipeline(PCA(2), SVC()), {"pca": [PCA(2), estimator]}, cv=2),
            {"cv": [2]},
            cv=2,
        ),
    }


@pytest.mark.parametrize("kind", ["frozen", "nested-search"])
def test_skae_estimators_anywhere_in_the_graph_are_saved_as_records(data, fitted, tmp_path, kind):
    X, y = data
    obj = _wrapped(fitted["transformer"])[kind].fit(X, y)
    path = skae.save(obj, tmp_path / "obj.skae")
    _, parts = parts_of(path)
    assert b"_torch_state" not in parts["sklearn.skops"]
    untrusted = skae.get_untrusted_types(path)
    assert all(name.startswith("sklearn.") for name in untrusted)
    loaded = skae.load(path, trusted=untrusted)
    assert_array_equal(loaded.predict(X), obj.predict(X))
