"""AutoencoderClassifier: pretraining, fine-tuning, unlabeled rows, signals, labels."""

import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError

import skae.nn._losses as losses
import skae.nn._training as training
from skae import AutoencoderClassifier

UNLABELED = -1


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32), y


def _scarce(y, every=5):
    """Keep one label in ``every``; the rest become -1."""
    return np.where(np.arange(len(y)) % every == 0, y, UNLABELED)


def _clf(**params):
    """A quick classifier; the squared error, so that the decoder's raw output is the image."""
    defaults = dict(
        n_components=16, loss="mse", pretrain_iter=5, max_iter=20, random_state=0, device="cpu"
    )
    return AutoencoderClassifier(**{**defaults, **params})


def test_fit_predict_and_fitted_attributes(digits):
    X, y = digits
    clf = _clf(max_iter=60).fit(X[:1200], y[:1200])
    assert_array_equal(clf.classes_, np.arange(10))
    assert clf.score(X[1200:], y[1200:]) > 0.85
    proba = clf.predict_proba(X[1200:])
    assert proba.shape == (597, 10)
    assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    assert_allclose(np.exp(clf.predict_log_proba(X[1200:])), proba, rtol=1e-5)
    assert_array_equal(clf.predict(X[1200:]), clf.classes_[proba.argmax(axis=1)])
    assert len(clf.pretrain_loss_curve_) == 5
    assert clf.n_iter_ == len(clf.loss_curve_) <= 60
    assert clf.transform(X[:3]).shape == (3, 16)


def test_unlabeled_rows_never_reach_the_cross_entropy(digits, monkeypatch):
    X, y = digits
    y_scarce = _scarce(y)
    seen_targets = []
    original = F.cross_entropy

    def spy(logits, target, *args, **kwargs):
        seen_targets.append(target.detach().clone())
        return original(logits, target, *args, **kwargs)

    monkeypatch.setattr(losses.F, "cross_entropy", spy)
    clf = _clf(pretrain_iter=0, max_iter=2, reconstruction_weight=1.0).fit(X, y_scarce)
    targets = torch.cat(seen_targets)
    assert len(targets) > 0 and targets.min() >= 0  # class indices, never -1
    # Each epoch passes over the unlabeled rows; the labeled rows are cycled alongside,
    # so the cross-entropy saw labeled rows only: as many as the batches drew.
    n_labeled = int((y_scarce != UNLABELED).sum())
    assert len(targets) >= n_labeled
    assert UNLABELED not in clf.classes_


def test_unlabeled_rows_join_pretraining(digits, monkeypatch):
    X, y = digits
    rows_seen = []
    original = losses.AutoencoderObjective.__call__

    def spy(self, model, batch):
        rows_seen.append(len(batch))
        return original(self, model, batch)

    monkeypatch.setattr(losses.AutoencoderObjective, "__call__", spy)
    _clf(pretrain_iter=1, max_iter=1).fit(X, _scarce(y))
    assert sum(rows_seen) == len(X)  # every row, labeled or not


@pytest.mark.parametrize(
    "signal",
    [
        {"reconstruction_weight": 1.0},
        {"consistency_weight": 1.0, "augment_noise": 0.1},
        {"pseudo_label_threshold": 0.5, "augment_noise": 0.1},
    ],
    ids=["reconstruction", "consistency", "pseudo-labels"],
)
def test_each_signal_changes_training_and_switches_off(digits, signal):
    X, y = digits
    y_scarce = _scarce(y)
    off = _clf(max_iter=3, augment_noise=signal.get("augment_noise", 0.0)).fit(X, y_scarce)
    on = _clf(max_iter=3, **signal).fit(X, y_scarce)
    zero = {name: (None if name == "pseudo_label_threshold" else 0.0) for name in signal}
    zero["augment_noise"] = signal.get("augment_noise", 0.0)
    switched_off = _clf(max_iter=3, **zero).fit(X, y_scarce)
    assert not np.allclose(on.predict_proba(X[:20]), off.predict_proba(X[:20]))
    assert_array_equal(switched_off.predict_proba(X[:20]), off.predict_proba(X[:20]))


def test_reconstruction_signal_keeps_the_decoder_working(digits):
    X, y = digits
    y_scarce = _scarce(y)
    kept = _clf(max_iter=20, reconstruction_weight=1.0).fit(X, y_scarce)
    dropped = _clf(max_iter=20).fit(X, y_scarce)

    def error(clf):
        with torch.inference_mode():
            x = torch.from_numpy(X)
            return float((clf.module_.autoencoder(x) - x).square().mean())

    assert error(kept) < error(dropped)


def test_pseudo_labels_only_from_confident_predictions():
    objective = losses.ClassifierObjective(
        losses.ReconstructionLoss("mse"), pseudo_label_threshold=0.9
    )
    confident = torch.tensor([[10.0, 0.0], [0.1, 0.0]])  # 0.99995 and 0.52
    student = torch.tensor([[0.0, 5.0], [0.0, 5.0]], requires_grad=True)
    loss = objective._unlabeled_loss(confident, student)
    expected = F.cross_entropy(student[:1], torch.tensor([0])) / 2  # only the first row
    assert torch.allclose(loss, expected)


class _Recorder(torch.nn.Module):
    """An identity encoder that records every batch it encodes, and a linear head."""

    def __init__(self):
        super().__init__()
        self.head = torch.nn.Linear(4, 2)
        self.seen = []

    def encode(self, x):
        self.seen.append(x.clone())
        return x

    def classify(self, code):
        return self.head(code)


def test_noise_never_reaches_the_view_pseudo_labels_come_from():
    objective = losses.ClassifierObjective(
        losses.ReconstructionLoss("mse"), pseudo_label_threshold=0.9, consistency_weight=1.0,
        noise=0.2, generator=torch.Generator().manual_seed(0),
    )  # fmt: skip
    labeled, unlabeled = torch.zeros(8, 4), torch.zeros(16, 4)
    model = _Recorder().train()
    objective(model, (labeled, torch.zeros(8, dtype=torch.long), unlabeled))
    student_labeled, teacher, student = model.seen
    assert torch.equal(teacher, unlabeled)  # pseudo-labels from clean images
    assert student.std() > 0.05  # noisy unlabeled views learned from
    assert torch.equal(student_labeled, labeled)  # beside them, the labeled rows stay clean


@pytest.mark.parametrize(
    "signals, unlabeled_rows",
    [({}, 16), ({"pseudo_label_threshold": 0.9}, 0), ({"reconstruction_weight": 1.0}, 16)],
)
def test_half_the_labeled_rows_are_noisy_without_second_views(signals, unlabeled_rows):
    objective = losses.ClassifierObjective(
        losses.ReconstructionLoss("mse"), noise=0.2, generator=torch.Generator().manual_seed(0),
        **signals,
    )  # fmt: skip
    model = _Recorder().train()
    model.autoencoder = torch.nn.Module()
    model.autoencoder.decoder = torch.nn.Identity()
    labeled = torch.zeros(400, 4)
    objective(model, (labeled, torch.zeros(400, dtype=torch.long), torch.zeros(unlabeled_rows, 4)))
    clean = (model.seen[0] == 0).all(dim=1)
    assert 0.4 < clean.float().mean() < 0.6
    assert model.seen[0][~clean].std() > 0.05  # the others are the noisy views


@pytest.mark.parametrize("noise_range", [None, (0.0, 1.0)])
def test_noisy_views_are_clipped_to_the_noise_range(noise_range):
    objective = losses.ClassifierObjective(
        losses.ReconstructionLoss("mse"), pseudo_label_threshold=0.9, noise=0.2,
        noise_range=noise_range, generator=torch.Generator().manual_seed(0),
    )  # fmt: skip
    pixels = torch.rand(64, 4).round()  # black and white pixels: half the noise leaves [0, 1]
    model = _Recorder().train()
    objective(model, (pixels[:16], torch.zeros(16, dtype=torch.long), pixels))
    noisy = model.seen[2]  # the unlabeled rows' second views
    inside = (noisy.min() >= 0) and (noisy.max() <= 1)
    assert inside == (noise_range is not None)
    assert (noisy != pixels).float().mean() > 0.3  # noisy either way


@pytest.mark.parametrize("scale, clipped", [(1.0, True), (2.0, False)])
def test_noise_is_clipped_to_unit_interval_only_for_data_in_it(digits, monkeypatch, scale, clipped):
    X, y = digits
    ranges = []
    real = losses.random_noise
    monkeypatch.setattr(losses, "random_noise", lambda *args: ranges.append(args[3]) or real(*args))
    _clf(augment_noise=0.1, max_iter=1, pretrain_iter=1).fit(X[:300] * scale, _scarce(y[:300]))
    assert ranges and set(ranges) == {(0.0, 1.0) if clipped else None}


def test_augmentation_is_never_applied_at_predict(digits, monkeypatch):
    X, y = digits
    clf = _clf(
        architecture="conv", image_shape=(8, 8), conv_channels=(8, 16), augment_shift=1,
        augment_noise=0.1, max_iter=2, precision="float32",
    ).fit(X, _scarce(y))  # fmt: skip
    calls = []
    monkeypatch.setattr(
        "skae.nn._perturbations.random_shift", lambda *args: calls.append(1) or args[0]
    )
    first = clf.predict_proba(X[:30])
    assert_array_equal(clf.predict_proba(X[:30]), first)
    assert calls == []
    with torch.inference_mode():
        direct = clf.module_(torch.from_numpy(X[:30])).softmax(dim=1).numpy()
    assert_allclose(first, direct, rtol=1e-6)


def test_augment_shift_needs_image_shape(digits):
    X, y = digits
    with pytest.raises(ValueError, match="augment_shift and augment_flip move pixels"):
        _clf(augment_shift=2).fit(X, y)


def test_string_labels_with_object_array_and_minus_one(digits):
    X, y = digits
    names = np.array(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    )
    y_obj = names[y].astype(object)
    y_obj[np.arange(len(y)) % 5 != 0] = UNLABELED
    clf = _clf(max_iter=30).fit(X, y_obj)
    assert sorted(clf.classes_) == sorted(names)
    assert set(clf.predict(X[:100])) <= set(names)
    assert clf.score(X, names[y].astype(object)) > 0.5
    # A numpy string array: the string "-1" marks an unlabeled row there too.
    assert len(_clf(max_iter=1).fit(X[:200], names[y[:200]]).classes_) == 10
    partly = names[y[:200]].copy().astype("<U5")
    partly[::3] = "-1"
    assert "-1" not in _clf(max_iter=1).fit(X[:200], partly).classes_


def test_score_ignores_unlabeled_rows(digits):
    X, y = digits
    clf = _clf(max_iter=30).fit(X, y)
    y_test = y.copy()
    y_test[::2] = UNLABELED
    labeled = y_test != UNLABELED
    assert clf.score(X, y_test) == pytest.approx(np.mean(clf.predict(X[labeled]) == y[labeled]))


def test_one_class_is_an_error(digits):
    X, y = digits
    with pytest.raises(ValueError, match="at least 2 classes; got 1"):
        _clf().fit(X[:50], np.where(np.arange(50) < 10, 3, UNLABELED))


def test_early_stopping_on_a_stratified_split_of_labeled_rows(digits):
    X, y = digits
    clf = _clf(early_stopping=True, max_iter=200, n_iter_no_change=3).fit(X, _scarce(y, 2))
    assert clf.n_iter_ < 200
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    with pytest.raises(ValueError, match="early_stopping needs at least one labeled row"):
        _clf(early_stopping=True).fit(X[:40], y[:40])


def test_reproducible_and_global_rng_untouched(digits):
    X, y = digits
    y_scarce = _scarce(y)
    params = dict(
        architecture="conv", image_shape=(8, 8), conv_channels=(8, 16), augment_shift=1,
        consistency_weight=1.0, pseudo_label_threshold=0.8, corruption="masking", max_iter=2,
    )  # fmt: skip
    torch.manual_seed(1)
    np.random.seed(1)
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()[1].copy()
    a = _clf(**params).fit(X, y_scarce)
    b = _clf(**params).fit(X, y_scarce)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert_array_equal(np.random.get_state()[1], numpy_state)
    assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert a.loss_curve_ == b.loss_curve_


def test_pickle_round_trip(digits):
    X, y = digits
    clf = _clf(max_iter=3).fit(X, _scarce(y))
    loaded = pickle.loads(pickle.dumps(clf))
    assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert_array_equal(loaded.classes_, clf.classes_)


def test_warm_start_continues_fine_tuning_and_keeps_classes(digits):
    X, y = digits
    clf = _clf(max_iter=3, warm_start=True, n_iter_no_change=100).fit(X, y)
    clf.fit(X, y)
    assert clf.n_iter_ == 6 and len(clf.pretrain_loss_curve_) == 5  # no second pretraining
    with pytest.raises(ValueError, match="needs the classes of the first fit"):
        clf.fit(X[y < 5], y[y < 5])
    with pytest.raises(ValueError, match="n_components=8 differs"):
        clf.set_params(n_components=8).fit(X, y)


def test_partial_fit_learns_from_chunks_with_some_classes_each(digits):
    X, y = digits
    order = np.argsort(y[:1200], kind="stable")  # each chunk holds 2 or 3 classes only
    chunks = np.array_split(order, 4)
    clf = _clf()
    for epoch in range(8):
        for chunk in chunks:
            clf.partial_fit(X[chunk], y[chunk], classes=np.arange(10) if epoch == 0 else None)
    assert clf.n_iter_ == len(clf.loss_curve_) == 32
    assert len(clf.pretrain_loss_curve_) == 5  # the first call pretrains, once
    assert_array_equal(clf.classes_, np.arange(10))
    assert clf.score(X[1200:], y[1200:]) > 0.8


def test_partial_fit_uses_unlabeled_rows_and_string_classes(digits):
    X, y = digits
    labels = np.array(list("abcdefghij"), dtype=object)[y]
    y_semi = np.where(np.arange(len(y)) % 5 == 0, labels, "-1")
    clf = _clf(pretrain_iter=0, consistency_weight=1.0)
    clf.partial_fit(X, y_semi, classes=list("abcdefghij"))
    assert_array_equal(clf.classes_, np.array(list("abcdefghij"), dtype=object))
    assert clf.n_iter_ == 1 and clf.pretrain_loss_curve_ == []


def test_partial_fit_on_chunks_without_a_labeled_row(digits):
    """Streaming mostly unlabeled data: a chunk may hold no label at all (was ZeroDivisionError)."""
    X, y = digits
    unlabeled = np.full(300, -1)
    clf = _clf(pretrain_iter=1).partial_fit(X[:300], unlabeled, classes=range(10))
    assert clf.n_iter_ == 0 and len(clf.pretrain_loss_curve_) == 1  # pretrained, no fine-tuning
    clf.partial_fit(X[300:600], y[300:600])
    before = clf.predict_proba(X[:50])
    clf.partial_fit(X[600:900], unlabeled)
    assert clf.n_iter_ == 1 and len(clf.loss_curve_) == 1
    assert_array_equal(clf.predict_proba(X[:50]), before)  # nothing to fine-tune on


def test_integer_labels_in_an_object_array_are_classes(digits):
    """scikit-learn calls them an "unknown" target; a pandas column of mixed types holds them."""
    X, y = digits
    clf = _clf(max_iter=2).fit(X[:300], y[:300].astype(object))
    assert clf.classes_.dtype == np.int64
    assert_array_equal(clf.classes_, np.arange(10))
    semi = np.where(np.arange(300) % 2, y[:300], -1).astype(object)
    assert_array_equal(_clf(max_iter=1).fit(X[:300], semi).classes_, np.arange(10))


def test_fine_tuning_keeps_the_order_with_shuffle_false(digits, monkeypatch):
    X, y = digits
    seen = []
    original = training.InMemoryBatches.__init__

    def spy(self, X, batch_size, *, shuffle, **kwargs):
        seen.append(shuffle)
        original(self, X, batch_size, shuffle=shuffle, **kwargs)

    monkeypatch.setattr(training.InMemoryBatches, "__init__", spy)
    _clf(max_iter=1, shuffle=False).fit(X[:300], np.where(np.arange(300) % 2, y[:300], -1))
    assert seen and not any(seen)


def test_partial_fit_errors(digits):
    X, y = digits
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        _clf().partial_fit(X, y)
    with pytest.raises(ValueError, match=r"y has labels that are not in classes=\[0, 1\]"):
        _clf().partial_fit(X[y < 3], y[y < 3], classes=[0, 1])
    with pytest.raises(ValueError, match="holds -1"):
        _clf().partial_fit(X, y, classes=[-1, *range(10)])
    clf = _clf(pretrain_iter=1).partial_fit(X[:200], y[:200], classes=range(10))
    before = clf.predict_proba(X[:50])
    with pytest.raises(ValueError, match="is not the classes of the first call"):
        clf.partial_fit(X, y, classes=range(11))
    with pytest.raises(ValueError, match="n_components=8 differs"):
        clf.set_params(n_components=8).partial_fit(X, y)
    with pytest.raises(ValueError, match="X has 10 features"):
        clf.set_params(n_components=16).partial_fit(X[:, :10], y)
    assert_array_equal(clf.predict_proba(X[:50]), before)  # failed calls changed nothing


def test_unfitted_classifier_raises(digits):
    X, _ = digits
    for method in ("predict", "predict_proba", "transform"):
        with pytest.raises(NotFittedError):
            getattr(_clf(), method)(X)
