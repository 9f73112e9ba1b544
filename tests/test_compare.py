"""skae.compare: the split, the pipelines, the timing rows and the report files."""

import csv
import json
import sys

import numpy as np
import pytest
from sklearn.decomposition import PCA

from skae import AutoencoderClassifier
from skae.compare import (
    _runner,
    format_table,
    load_comparison_data,
    make_classifier,
    make_reducer,
    run_comparison,
    write_report,
)


def test_public_names_are_the_documented_functions():
    import skae.compare

    assert skae.compare.__all__ == [
        "ComparisonData", "environment_info", "format_table", "load_comparison_data",
        "make_classifier", "make_reducer", "plot_results", "run_comparison", "write_report",
    ]  # fmt: skip
    for name in skae.compare.__all__:
        assert callable(getattr(skae.compare, name)), name
    # Nothing else public in the namespace: the recipe and the name lists are private.
    public = {name for name in vars(skae.compare) if not name.startswith("_")}
    assert public == set(skae.compare.__all__)
    for private in ("MIRROR_SYMMETRIC", "REDUCERS", "choose_scaling", "make_finetuned"):
        assert not hasattr(skae.compare, private), private


def quiet_comparison(data, reducers, classifiers, n_components=(8,), **settings):
    """``run_comparison`` on the CPU, without progress lines."""
    settings = {"device": "cpu", "log": lambda line: None, **settings}
    return run_comparison(
        data, reducers=reducers, classifiers=classifiers, n_components=n_components, **settings
    )


@pytest.fixture(scope="module")
def small_digits():
    """Digits cut to 400 training and 200 test images, all labeled."""
    return load_comparison_data("digits", n_train=400, n_test=200, random_state=0)


def test_digits_split_is_stratified_and_scaled():
    data = load_comparison_data("digits")
    assert data.X_train.shape == (1347, 64)
    assert data.X_test.shape == (450, 64)
    assert data.X_train.dtype == np.float32
    assert 0 <= data.X_train.min() and data.X_train.max() <= 1
    assert data.X_labeled is data.X_train
    train_share = np.bincount(data.y_labeled) / len(data.y_labeled)
    test_share = np.bincount(data.y_test) / len(data.y_test)
    np.testing.assert_allclose(train_share, test_share, atol=0.01)


def test_labels_per_class_picks_a_labeled_subset_of_the_training_images():
    data = load_comparison_data("digits", labels_per_class=7, random_state=3)
    np.testing.assert_array_equal(np.bincount(data.y_labeled), [7] * 10)
    train_rows = {row.tobytes() for row in data.X_train}
    assert all(row.tobytes() in train_rows for row in data.X_labeled)
    other_seed = load_comparison_data("digits", labels_per_class=7, random_state=4)
    assert not np.array_equal(data.X_labeled, other_seed.X_labeled)


def test_subsets_are_stratified_and_seeded():
    a = load_comparison_data("digits", n_train=200, n_test=100, random_state=1)
    b = load_comparison_data("digits", n_train=200, n_test=100, random_state=1)
    assert a.X_train.shape == (200, 64) and a.X_test.shape == (100, 64)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    assert np.bincount(a.y_labeled).min() >= 19


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_train": 5000}, "n_train=5000 is larger than the 1347 images"),
        ({"n_test": 451}, "n_test=451 is larger than the 450 images"),
        ({"labels_per_class": 200}, "labels_per_class=200 but class"),
        ({"dataset": "cifar"}, "dataset='cifar' is not one of"),
        ({"n_test": 5}, "n_test=5: a stratified subset needs between 10 and 440"),
        ({"n_train": 1340}, "n_train=1340: a stratified subset needs between 10 and 1337"),
    ],
)
def test_bad_split_requests_are_explained(kwargs, message):
    with pytest.raises(ValueError, match=message):
        load_comparison_data(**{"dataset": "digits", **kwargs})


def test_fashion_mnist_uses_the_official_split(tiny_fashion_mnist):
    data = load_comparison_data(
        "fashion-mnist", labels_per_class=2, data_home=tiny_fashion_mnist.data_home
    )
    assert data.X_train.shape == (40, 784)
    assert data.X_test.shape == (20, 784)
    assert len(data.y_labeled) == 20
    assert data.target_names[0] == "T-shirt/top"


def test_unknown_names_are_rejected_before_anything_is_fit(small_digits):
    lines = []
    with pytest.raises(ValueError, match="Unknown classifier 'knn'"):
        run_comparison(small_digits, classifiers=["svc", "knn"], log=lines.append)
    with pytest.raises(ValueError, match="Unknown reducer 'ica'"):
        run_comparison(small_digits, reducers=["raw", "ica"], log=lines.append)
    assert lines == []
    with pytest.raises(ValueError, match="at least one result row"):
        write_report([], "unused", {})


def test_unknown_names_are_rejected():
    with pytest.raises(ValueError, match="reducer='ica'"):
        make_reducer("ica", 2, epochs=1, device="cpu", random_state=0)
    with pytest.raises(ValueError, match="classifier='knn'"):
        make_classifier("knn", random_state=0, n_jobs=None)


def test_run_comparison_scores_every_pipeline(small_digits):
    lines = []
    rows = run_comparison(
        small_digits,
        reducers=["raw", "pca", "autoencoder"],
        classifiers=["svc", "logreg"],
        n_components=[8, 12],
        epochs=3,
        device="cpu",
        log=lines.append,
    )
    keys = [(r["reducer"], r["n_components"], r["classifier"]) for r in rows]
    assert keys == [
        ("raw", 64, "svc"),
        ("raw", 64, "logreg"),
        ("pca", 8, "svc"),
        ("pca", 8, "logreg"),
        ("pca", 12, "svc"),
        ("pca", 12, "logreg"),
        ("autoencoder", 8, "svc"),
        ("autoencoder", 8, "logreg"),
        ("autoencoder", 12, "svc"),
        ("autoencoder", 12, "logreg"),
    ]
    raw_svc = rows[0]
    assert raw_svc["accuracy"] > 0.9  # digits are easy: a broken harness would not get here
    for row in rows:
        assert 0 <= row["accuracy"] <= 1
        assert row["fit_seconds"] >= row["reducer_fit_seconds"] >= 0
        assert row["predict_seconds"] > 0
        assert (row["n_labeled"], row["n_unlabeled"], row["n_test"]) == (400, 0, 200)
    # One reducer fit is shared by the classifiers behind it.
    assert rows[6]["reducer_fit_seconds"] == rows[7]["reducer_fit_seconds"] > 0
    assert raw_svc["reducer_fit_seconds"] == 0
    assert sum(line.startswith("[") for line in lines) == 20
    assert "[1/10] raw(64) + svc: fitting on 400 labeled images ..." in lines
    assert "[10/10] autoencoder(12) + logreg: accuracy" in lines[-1]


def test_reducers_learn_from_every_image_classifiers_from_the_labeled(monkeypatch):
    data = load_comparison_data("digits", labels_per_class=5, random_state=0)
    fitted_on = {}

    class RecordingPCA(PCA):
        def fit(self, X, y=None):
            fitted_on["reducer"] = len(X)
            return super().fit(X, y)

    monkeypatch.setattr(
        _runner, "make_reducer", lambda name, k, **_: RecordingPCA(k) if name == "pca" else None
    )
    rows = quiet_comparison(data, ["pca"], ["svc"], [4])
    assert fitted_on["reducer"] == len(data.X_train) == 1347
    assert rows[0]["n_labeled"] == 50
    assert rows[0]["n_unlabeled"] == 1297


def test_run_comparison_is_reproducible(small_digits):
    def accuracies():
        rows = quiet_comparison(
            small_digits, ["autoencoder"], ["rf"], [6], epochs=3, random_state=5
        )
        return [row["accuracy"] for row in rows]

    assert accuracies() == accuracies()


@pytest.fixture
def two_rows():
    common = {"dataset": "digits", "n_unlabeled": 0, "n_labeled": 10, "n_test": 5, "seed": 0}
    return [
        {
            **common,
            "reducer": "raw",
            "classifier": "svc",
            "n_components": 64,
            "scaled": False,
            "accuracy": 0.9,
            "fit_seconds": 0.5,
            "predict_seconds": 0.25,
            "reducer_fit_seconds": 0.0,
        },
        {
            **common,
            "reducer": "autoencoder",
            "classifier": "rf",
            "n_components": 8,
            "scaled": True,
            "accuracy": 0.8125,
            "fit_seconds": 12.0,
            "predict_seconds": 1.5,
            "reducer_fit_seconds": 11.0,
        },
    ]


def test_format_table_shows_one_line_per_pipeline(two_rows):
    lines = format_table(two_rows).splitlines()
    assert lines[0].split() == [
        "reducer",
        "latent",
        "classifier",
        "scaled",
        "accuracy",
        "fit",
        "s",
        "predict",
        "s",
    ]
    assert set(lines[1]) == {"-"}
    assert lines[2].split() == ["raw", "64", "svc", "no", "0.9000", "0.50", "0.25"]
    assert lines[3].split() == ["autoencoder", "8", "rf", "yes", "0.8125", "12.00", "1.50"]


def test_write_report_writes_csv_json_and_plot(two_rows, tmp_path):
    written = write_report(two_rows, tmp_path / "out", {"dataset": "digits", "seed": 0})
    assert set(written) == {"csv", "json", "plot"}
    with written["csv"].open() as f:
        table = list(csv.DictReader(f))
    assert [r["reducer"] for r in table] == ["raw", "autoencoder"]
    assert float(table[1]["accuracy"]) == 0.8125
    record = json.loads(written["json"].read_text())
    assert record["settings"] == {"dataset": "digits", "seed": 0}
    assert record["results"] == two_rows
    assert record["environment"]["cpu_count"] >= 1
    assert "torch" in record["environment"]
    assert record["environment"]["processor"]
    assert written["plot"].read_bytes().startswith(b"\x89PNG")


def test_plotting_leaves_the_callers_matplotlib_backend_alone(two_rows, tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    before = matplotlib.get_backend()
    matplotlib.use("svg")
    try:
        write_report(two_rows, tmp_path, {})
        assert matplotlib.get_backend() == "svg"
    finally:
        matplotlib.use(before)
    assert (tmp_path / "comparison.png").read_bytes().startswith(b"\x89PNG")


def test_plot_tells_every_pipeline_apart_with_legends_beside_the_axes():
    pytest.importorskip("matplotlib")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import to_hex
    from matplotlib.legend import Legend

    from skae.compare._pipelines import CLASSIFIERS, DEFAULT_REDUCERS, FINETUNED_REDUCERS
    from skae.compare._report import comparison_figure

    common = {"dataset": "digits", "n_unlabeled": 0, "n_labeled": 10, "n_test": 5, "seed": 0}
    rows = [
        {
            **common,
            "reducer": reducer,
            "classifier": classifier,
            "n_components": 8,
            "scaled": False,
            "accuracy": 0.5 + 0.01 * i,
            "fit_seconds": 1.0 + i,
            "predict_seconds": 0.1,
            "reducer_fit_seconds": 0.0,
        }
        for i, (reducer, classifier) in enumerate(
            (r, c)
            for r in DEFAULT_REDUCERS
            for c in CLASSIFIERS
            if c != "finetuned" or r in FINETUNED_REDUCERS
        )
    ]
    assert {row["classifier"] for row in rows} == set(CLASSIFIERS)
    fig = comparison_figure(rows)
    FigureCanvasAgg(fig).draw()
    (ax,) = fig.axes
    assert len(ax.collections) == len(rows)  # one scatter per row, in row order
    markers, colors = {}, {}
    for row, points in zip(rows, ax.collections, strict=True):
        path = points.get_paths()[0]
        marker = (path.vertices.round(6).tobytes(), path.codes is None or path.codes.tobytes())
        markers.setdefault(row["classifier"], set()).add(marker)
        colors.setdefault(row["reducer"], set()).add(to_hex(points.get_facecolor()[0]))
    # One marker per classifier and one colour per reducer, each different.
    assert all(len(m) == 1 for m in markers.values()), markers
    assert len(set.union(*markers.values())) == len(CLASSIFIERS)
    assert all(len(c) == 1 for c in colors.values()), colors
    assert len(set.union(*colors.values())) == len(DEFAULT_REDUCERS)
    # A legend of the reducers and one of the classifiers, right of the axes, unclipped.
    legends = [child for child in ax.get_children() if isinstance(child, Legend)]
    labels = [{text.get_text() for text in legend.get_texts()} for legend in legends]
    assert len(legends) == 2
    assert set(DEFAULT_REDUCERS) in labels and set(CLASSIFIERS) in labels
    axes_box = ax.get_window_extent()
    for legend in legends:
        box = legend.get_window_extent()
        assert box.x0 >= axes_box.x1, (box, axes_box)
        assert box.x1 <= fig.bbox.x1 and box.y0 >= fig.bbox.y0 and box.y1 <= fig.bbox.y1


def test_plot_labels_coinciding_points_of_a_reducer_once():
    pytest.importorskip("matplotlib")
    from matplotlib.text import Annotation

    from skae.compare._report import comparison_figure

    common = {
        "dataset": "digits", "n_unlabeled": 0, "n_labeled": 10, "n_test": 5, "seed": 0,
        "scaled": False, "predict_seconds": 0.0, "reducer_fit_seconds": 0.0,
    }  # fmt: skip
    points = [  # reducer, latent size, accuracy, seconds
        ("raw", 64, 0.99, 0.03), ("pca", 16, 0.9933, 0.22), ("pca", 32, 0.9933, 0.23),
        ("pca", 8, 0.90, 0.22), ("autoencoder", 16, 0.9933, 0.225), ("autoencoder", 32, 0.95, 10.0),
    ]  # fmt: skip
    rows = [
        {**common, "reducer": r, "classifier": "svc", "n_components": k, "accuracy": a,
         "fit_seconds": t}
        for r, k, a, t in points
    ]  # fmt: skip
    (ax,) = comparison_figure(rows).axes
    labels = sorted(
        child.get_text() for child in ax.get_children() if isinstance(child, Annotation)
    )
    # PCA's 16 and 32 sit on one spot: one label. The autoencoder's 16 there keeps its own
    # (its colour tells it apart), as do the far points; raw pixels have no latent size.
    assert labels == ["16", "16, 32", "32", "8"]


def test_write_report_without_matplotlib_skips_only_the_plot(two_rows, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    written = write_report(two_rows, tmp_path, {})
    assert set(written) == {"csv", "json"}
    assert not (tmp_path / "comparison.png").exists()


def test_conv_autoencoder_reducer_reads_rows_as_images(small_digits):
    rows = quiet_comparison(small_digits, ["conv-autoencoder"], ["svc"], epochs=2)
    assert rows[0]["reducer"] == "conv-autoencoder" and rows[0]["epochs_run"] == 2
    reducer = make_reducer(
        "conv-autoencoder", 8, epochs=2, device="cpu", random_state=0, image_shape=(8, 8)
    )
    assert reducer.architecture == "conv" and reducer.image_shape == (8, 8)
    assert reducer.corruption is None  # the recorded comparisons trained on clean images
    assert small_digits.image_shape == (8, 8)


def test_vgg_autoencoder_reducer_and_its_classifier_use_the_chosen_network(small_digits):
    from skae.compare._pipelines import DEFAULT_REDUCERS, REDUCERS, make_finetuned

    assert "vgg-autoencoder" in REDUCERS and "vgg-autoencoder" not in DEFAULT_REDUCERS
    reducer = make_reducer(
        "vgg-autoencoder", 8, epochs=2, device="cpu", random_state=0, image_shape=(8, 8),
        precision="bfloat16",
    )  # fmt: skip
    assert (reducer.architecture, reducer.learning_rate) == ("vgg", "cosine")
    assert reducer.image_shape == (8, 8) and reducer.precision == "bfloat16"
    classifier = make_finetuned(
        "vgg-autoencoder", 128, pretrain_epochs=5, finetune_epochs=30, device="cpu",
        random_state=0, image_shape=(28, 28), dataset="fashion-mnist", precision="bfloat16",
    )  # fmt: skip
    assert classifier.architecture == "vgg" and classifier.augment_flip
    assert classifier.precision == "bfloat16" and classifier.image_shape == (28, 28)
    # The schedule and the signals are the classifier's defaults, resolved at fit.
    assert classifier.learning_rate == classifier.pseudo_label_threshold == "auto"
    rows = quiet_comparison(
        small_digits, ["vgg-autoencoder"], ["svc", "finetuned"], epochs=3, finetune_epochs=10
    )
    assert [(r["reducer"], r["classifier"], r["epochs_run"]) for r in rows] == [
        ("vgg-autoencoder", "svc", 3),
        ("vgg-autoencoder", "finetuned", 10),
    ]
    # Far above chance (0.1) after a few epochs on 400 digits (0.72 with one torch thread,
    # 0.75 with two; at 5 epochs, 0.49 and 0.51).
    assert min(r["accuracy"] for r in rows) > 0.5


def test_precision_reaches_every_autoencoder(small_digits, monkeypatch):
    seen = []
    for name in ("make_reducer", "make_finetuned"):
        original = getattr(_runner, name)

        def spy(*args, _original=original, **kwargs):
            model = _original(*args, **kwargs)
            if hasattr(model, "precision"):  # not None (raw) or PCA
                seen.append((type(model).__name__, model.precision))
            return model

        monkeypatch.setattr(_runner, name, spy)
    quiet_comparison(
        small_digits, ["pca", "autoencoder"], ["svc", "finetuned"],
        epochs=1, finetune_epochs=1, precision="bfloat16",
    )  # fmt: skip
    assert seen == [
        ("AutoencoderTransformer", "bfloat16"),
        ("AutoencoderClassifier", "bfloat16"),
    ]


def test_scaling_is_chosen_by_cross_validation_on_labeled_rows_only(small_digits, monkeypatch):
    seen = {}

    def spy(features, y, classifier, *, random_state):
        seen["rows"] = len(features)
        return True

    monkeypatch.setattr(_runner, "choose_scaling", spy)
    rows = quiet_comparison(small_digits, ["raw", "pca"], ["svc", "rf", "logreg"])
    assert seen["rows"] == len(small_digits.X_labeled)  # never the test rows
    scaled = {(r["reducer"], r["classifier"]): r["scaled"] for r in rows}
    assert scaled == {
        ("raw", "svc"): False,  # pixels share one scale
        ("raw", "rf"): False,
        ("raw", "logreg"): True,  # always standardized
        ("pca", "svc"): True,  # the cross-validated choice
        ("pca", "rf"): False,
        ("pca", "logreg"): True,
    }


def test_choose_scaling_follows_what_cross_validation_prefers():
    from sklearn.svm import SVC

    from skae.compare._pipelines import choose_scaling

    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 60)
    signal = y[:, None] + 0.3 * rng.standard_normal((120, 2))
    # A tiny informative scale beside unit noise: only standardizing reveals the signal.
    hidden_signal = np.hstack([0.001 * signal, rng.standard_normal((120, 4))])
    assert choose_scaling(hidden_signal, y, SVC(), random_state=0) is True
    # Unit signal beside near-constant noise: standardizing would blow the noise up.
    quiet_noise = np.hstack([signal, 1e-3 * rng.standard_normal((120, 20))])
    assert choose_scaling(quiet_noise, y, SVC(), random_state=0) is False
    # One labeled row of a class leaves nothing to cross-validate.
    assert choose_scaling(signal[:3], np.array([0, 1, 1]), SVC(), random_state=0) is False


def test_finetuned_rows_pair_with_autoencoders_and_see_unlabeled_rows(monkeypatch):
    data = load_comparison_data("digits", n_train=400, n_test=200, labels_per_class=10)
    assert (data.y_train == -1).sum() == 300
    seen = {}
    original = _runner.make_finetuned

    def spy(*args, **kwargs):
        classifier = original(*args, **kwargs)
        fit = classifier.fit

        def recording_fit(X, y):
            seen["rows"], seen["unlabeled"] = len(X), int((y == -1).sum())
            return fit(X, y)

        classifier.fit = recording_fit
        seen["classifier"] = classifier
        return classifier

    monkeypatch.setattr(_runner, "make_finetuned", spy)
    rows = quiet_comparison(
        data, ["raw", "pca", "conv-autoencoder"], ["svc", "finetuned"], epochs=2, finetune_epochs=2
    )
    # The classifier's defaults for images with unlabeled rows, resolved at fit.
    classifier = seen.pop("classifier")
    assert (classifier.pseudo_label_threshold_, classifier.consistency_weight_) == (0.95, 1.0)
    assert (classifier.corruption_, classifier.learning_rate_) == ("cutout", "cosine")
    assert classifier.augment_shift_ == 0 and not classifier.augment_flip  # conv on 8x8
    pairs = [(r["reducer"], r["classifier"]) for r in rows]
    assert pairs == [
        ("raw", "svc"),
        ("pca", "svc"),
        ("conv-autoencoder", "svc"),
        ("conv-autoencoder", "finetuned"),
    ]
    assert seen == {"rows": 400, "unlabeled": 300}
    finetuned = rows[-1]
    assert finetuned["reducer_fit_seconds"] == 0 and finetuned["epochs_run"] == 2
    assert 0 <= finetuned["accuracy"] <= 1


def test_make_finetuned_follows_the_reducer():
    from skae.compare._pipelines import make_finetuned

    common = dict(pretrain_epochs=3, finetune_epochs=4, device="cpu", random_state=0)
    conv = make_finetuned("conv-autoencoder", 8, image_shape=(8, 8), dataset="digits", **common)
    assert conv.architecture == "conv" and conv.pretrain_iter == 3
    assert conv.image_shape == (8, 8) and not conv.augment_flip  # digits are not mirror-symmetric
    fashion = make_finetuned(
        "conv-autoencoder", 8, image_shape=(28, 28), dataset="fashion-mnist", **common
    )
    assert fashion.augment_flip
    dense = make_finetuned("autoencoder", 8, image_shape=(28, 28), **common)
    assert dense.architecture == "dense" and dense.max_iter == 4
    assert dense.image_shape is None and not dense.augment_flip  # it reads flat rows
    assert make_finetuned("pca", 8, **common) is None


def test_finetuned_rows_keep_the_classifiers_own_budget_unless_told(monkeypatch):
    import inspect

    from skae.cli import build_parser

    # A schedule that decays over a budget chosen for another data set cost the conv
    # row on digits 2 points at 30 epochs (benchmarks/DECISIONS.md, "skae compare on the
    # defaults"), so compare fine-tunes for the classifier's own "auto" budget.
    assert inspect.signature(run_comparison).parameters["finetune_epochs"].default == "auto"
    args = build_parser().parse_args(["compare"])
    assert args.finetune_epochs == "auto"
    assert build_parser().parse_args(["compare", "--finetune-epochs", "7"]).finetune_epochs == 7
    seen = {}
    original = _runner.make_finetuned

    def spy(*args, **kwargs):
        seen["classifier"] = original(*args, **kwargs)
        return seen["classifier"]

    monkeypatch.setattr(_runner, "make_finetuned", spy)
    data = load_comparison_data("digits", n_train=200, n_test=50)
    quiet_comparison(data, ["conv-autoencoder"], ["finetuned"], n_components=(4,), epochs=1)
    classifier = seen["classifier"]
    assert classifier.max_iter == "auto"
    assert classifier.max_iter_ == classifier.n_iter_ == 150  # the budget on 200 8x8 images


def test_only_finetuned_rows_fit_no_reducer(monkeypatch):
    def no_reducer(*args, **kwargs):
        raise AssertionError("a reducer was built though no classifier reads its code")

    monkeypatch.setattr(_runner, "make_reducer", no_reducer)
    data = load_comparison_data("digits", n_train=120, n_test=30)
    rows = quiet_comparison(
        data, ["raw", "autoencoder"], ["finetuned"], epochs=1, finetune_epochs=1
    )
    assert [(r["reducer"], r["classifier"]) for r in rows] == [("autoencoder", "finetuned")]
    assert rows[0]["reducer_fit_seconds"] == 0 and rows[0]["epochs_run"] == 1


def test_make_finetuned_sets_only_the_network_the_budgets_and_the_flips():
    from skae.compare._pipelines import make_finetuned

    classifier = make_finetuned(
        "vgg-autoencoder", 16, pretrain_epochs=3, finetune_epochs=4, device="cpu",
        random_state=0, image_shape=(28, 28), dataset="fashion-mnist",
    )  # fmt: skip
    defaults = AutoencoderClassifier().get_params()
    changed = {
        name: value for name, value in classifier.get_params().items() if value != defaults[name]
    }
    assert changed == {
        "n_components": 16, "architecture": "vgg", "image_shape": (28, 28), "augment_flip": True,
        "pretrain_iter": 3, "max_iter": 4, "device": "cpu", "random_state": 0,
        "precision": "float32",
    }  # fmt: skip


def test_pipelines_ask_the_architecture_record_whether_rows_are_images(monkeypatch):
    from dataclasses import replace

    from skae.compare._pipelines import make_finetuned
    from skae.nn import ARCHITECTURES

    options = dict(device="cpu", random_state=0, image_shape=(28, 28))
    finetuned_options = dict(pretrain_epochs=1, finetune_epochs=1, dataset="fashion-mnist")
    assert make_reducer("autoencoder", 8, epochs=1, **options).image_shape is None
    assert make_finetuned("autoencoder", 8, **finetuned_options, **options).image_shape is None
    # Were the dense network to read images, it would be given their shape and shifts.
    dense = replace(ARCHITECTURES["dense"], needs_image_shape=True)
    monkeypatch.setitem(ARCHITECTURES, "dense", dense)
    assert make_reducer("autoencoder", 8, epochs=1, **options).image_shape == (28, 28)
    classifier = make_finetuned("autoencoder", 8, **finetuned_options, **options)
    assert classifier.image_shape == (28, 28) and classifier.augment_flip
