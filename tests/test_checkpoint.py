"""Fits that survive a crash: ``checkpoint=`` writes every epoch, a new fit resumes."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

import skae._training
import skae.nn._training as training
from skae import AutoencoderClassifier, AutoencoderTransformer, ModelFileError, _checkpoint

from ._helpers import blobs

pytest.importorskip("safetensors", reason="needs the 'persistence' extra")

#: The script a subprocess fits, killed mid-epoch by the test: float64, CPU, seeded.
KILLED_FIT = textwrap.dedent(
    """
    import sys
    import numpy as np
    from skae import AutoencoderTransformer

    X = np.random.default_rng(0).random((20000, 64))
    AutoencoderTransformer(**{params}, checkpoint=sys.argv[1], verbose=1).fit(X)
    """
)
KILLED_PARAMS = dict(
    n_components=4,
    hidden_layer_sizes=(32,),
    batch_size=32,
    max_iter=12,
    precision="float64",
    device="cpu",
    random_state=0,
    loss="mse",
)


def _weights(model):
    return {name: value.clone() for name, value in model.module_.state_dict().items()}


def _assert_same_fit(resumed, reference):
    for (name, a), b in zip(_weights(resumed).items(), _weights(reference).values(), strict=True):
        assert torch.equal(a, b), f"{name} differs"
    assert resumed.loss_curve_ == reference.loss_curve_
    assert resumed.n_iter_ == reference.n_iter_


class _Crash(Exception):
    pass


def _crash_after(monkeypatch, n_writes):
    """Make the fit die (as a killed process would) right after its n-th checkpoint."""
    write = _checkpoint.Checkpoint.write
    count = {"writes": 0}

    def crashing(self, loop, **kwargs):
        write(self, loop, **kwargs)
        count["writes"] += 1
        if count["writes"] == n_writes:
            raise _Crash

    monkeypatch.setattr(_checkpoint.Checkpoint, "write", crashing)
    return lambda: monkeypatch.setattr(_checkpoint.Checkpoint, "write", write)


def test_fit_killed_by_sigkill_mid_epoch_resumes_to_the_same_weights(tmp_path):
    path = tmp_path / "fit.ckpt"
    script = KILLED_FIT.replace("{params}", repr(KILLED_PARAMS))
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        epoch_seconds = []
        for line in child.stdout:
            if line.startswith("epoch"):
                epoch_seconds.append(float(line.split()[-1].rstrip("s")))
                if len(epoch_seconds) == 3:
                    break
        assert len(epoch_seconds) == 3, "the child stopped before its third epoch"
        time.sleep(epoch_seconds[-1] / 2)  # in the middle of epoch 4
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        child.kill()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    written = json.loads(zipfile.ZipFile(path).read("state.json"))
    assert 3 <= _loop_epoch(written) < KILLED_PARAMS["max_iter"]

    X = np.random.default_rng(0).random((20000, 64))
    resumed = AutoencoderTransformer(**KILLED_PARAMS, checkpoint=path).fit(X)
    reference = AutoencoderTransformer(**KILLED_PARAMS).fit(X)
    _assert_same_fit(resumed, reference)
    assert not path.exists()  # a finished fit removes its checkpoint


def _loop_epoch(state):
    """The completed epochs a checkpoint's JSON holds (its loop record is tagged JSON)."""
    return dict((key, value) for key, value in state["loop"]["__dict__"])["epoch"]


def test_classifier_resumes_in_either_phase_with_cosine_and_early_stopping(tmp_path, monkeypatch):
    X, y = load_digits(return_X_y=True)
    X, y = (X[:600] / 16).astype(np.float32), y[:600]
    y = np.where(np.arange(len(y)) % 3 == 0, y, -1)
    params = dict(
        image_shape=(8, 8),
        architecture="conv",
        conv_channels=(4, 8),
        n_components=8,
        pretrain_iter=3,
        max_iter=5,
        learning_rate="cosine",
        early_stopping=True,
        validation_fraction=0.2,
        consistency_weight=1.0,
        precision="float64",
        device="cpu",
        random_state=0,
    )
    reference = AutoencoderClassifier(**params).fit(X, y)
    for n_writes in (2, 3, 6):  # in pretraining, at its end, in fine-tuning
        path = tmp_path / f"crash-{n_writes}.ckpt"
        restore = _crash_after(monkeypatch, n_writes)
        with pytest.raises(_Crash):
            AutoencoderClassifier(**params, checkpoint=path).fit(X, y)
        restore()
        resumed = AutoencoderClassifier(**params, checkpoint=path).fit(X, y)
        _assert_same_fit(resumed, reference)
        assert resumed.pretrain_loss_curve_ == reference.pretrain_loss_curve_
        assert resumed.validation_scores_ == reference.validation_scores_


SMALL_PARAMS = dict(
    n_components=3, hidden_layer_sizes=(8,), max_iter=5, random_state=0, device="cpu"
)


def _crashed_small_fit(tmp_path, monkeypatch):
    """``(X, path, params)`` of a small fit that died after its second epoch's checkpoint."""
    X, _ = blobs(200, 10)
    path = tmp_path / "fit.ckpt"
    restore = _crash_after(monkeypatch, 2)
    with pytest.raises(_Crash):
        AutoencoderTransformer(**SMALL_PARAMS, checkpoint=path).fit(X)
    restore()
    return X, path, SMALL_PARAMS


def test_resume_needs_the_same_data_and_parameters(tmp_path, monkeypatch):
    X, path, params = _crashed_small_fit(tmp_path, monkeypatch)
    with pytest.raises(ValueError, match=r"on X of shape \(200, 10\), not \(199, 10\) as now"):
        AutoencoderTransformer(**params, checkpoint=path).fit(X[:199])
    with pytest.raises(ValueError, match="on other data of the same shape"):
        AutoencoderTransformer(**params, checkpoint=path).fit(X[::-1])
    with pytest.raises(ValueError, match=r"other parameters \(n_components differ\)"):
        AutoencoderTransformer(**{**params, "n_components": 2}, checkpoint=path).fit(X)
    with pytest.raises(ValueError, match=r"other parameters \(max_iter differ\)"):
        AutoencoderTransformer(**{**params, "max_iter": 9}, checkpoint=path).fit(X)
    with pytest.raises(ValueError, match="checkpoint of a AutoencoderTransformer, not of a Auto"):
        AutoencoderClassifier(checkpoint=path).fit(X, np.arange(200) % 2)
    assert path.exists()  # a refused resume leaves the checkpoint as it was
    resumed = AutoencoderTransformer(**params, checkpoint=path, verbose=0).fit(X)
    assert resumed.n_iter_ == 5


def test_a_corrupted_checkpoint_is_an_error_never_a_restart(tmp_path, monkeypatch):
    X, path, params = _crashed_small_fit(tmp_path, monkeypatch)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="corrupted|truncated"):
        AutoencoderTransformer(**params, checkpoint=path).fit(X)
    path.write_bytes(bytes(data[: len(data) // 3]))
    with pytest.raises(ValueError, match="truncated"):
        AutoencoderTransformer(**params, checkpoint=path).fit(X)
    path.write_text("not a checkpoint")
    with pytest.raises(ValueError, match="not a skae checkpoint"):
        AutoencoderTransformer(**params, checkpoint=path).fit(X)


def test_checkpoint_is_written_every_epoch_atomically(tmp_path, monkeypatch):
    X, _ = blobs(200, 10)
    path = tmp_path / "fit.ckpt"
    seen = []
    write = _checkpoint.Checkpoint.write

    def spy(self, loop, **kwargs):
        write(self, loop, **kwargs)
        seen.append(_loop_epoch(json.loads(zipfile.ZipFile(path).read("state.json"))))
        assert [p.name for p in tmp_path.iterdir()] == ["fit.ckpt"]  # no temporary left

    monkeypatch.setattr(_checkpoint.Checkpoint, "write", spy)
    model = AutoencoderTransformer(
        n_components=3, hidden_layer_sizes=(8,), max_iter=4, random_state=0, checkpoint=path
    ).fit(X)
    assert seen == [1, 2, 3, 4] and model.n_iter_ == 4
    assert not path.exists()


def test_checkpoint_refuses_partial_fit_and_warm_start(tmp_path):
    X, _ = blobs(100, 10)
    path = tmp_path / "fit.ckpt"
    with pytest.raises(ValueError, match="checkpoint applies to a fit that trains a new network"):
        AutoencoderTransformer(max_iter=2, checkpoint=path).partial_fit(X)
    model = AutoencoderTransformer(max_iter=2, warm_start=True, random_state=0).fit(X)
    with pytest.raises(ValueError, match="save the model between calls with skae.save"):
        model.set_params(checkpoint=path).fit(X)
    assert model.n_iter_ == 2


def test_a_planted_checkpoint_is_refused_never_resumed(tmp_path, monkeypatch):
    """Another user computes the fit's identity (public data) and plants a checkpoint."""
    monkeypatch.setenv(_checkpoint.KEY_FILE_VARIABLE, str(tmp_path / "attackers.key"))
    X, path, params = _crashed_small_fit(tmp_path, monkeypatch)
    planted = path.read_bytes()
    monkeypatch.setenv(_checkpoint.KEY_FILE_VARIABLE, str(tmp_path / "users.key"))
    with pytest.raises(ModelFileError, match="not signed with this user's key"):
        AutoencoderTransformer(**params, checkpoint=path).fit(X)
    assert path.read_bytes() == planted  # refused, not overwritten
    # An unsigned checkpoint (the signature removed) is refused the same way.
    with zipfile.ZipFile(path) as archive:
        entries = {n: archive.read(n) for n in archive.namelist() if n != "skae.sig"}
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    with pytest.raises(ModelFileError, match="not signed with this user's key"):
        AutoencoderTransformer(**params, checkpoint=path).fit(X)


def test_the_key_is_made_once_and_readable_by_the_user_alone(tmp_path, monkeypatch):
    key_file = tmp_path / "keys" / "checkpoint.key"
    monkeypatch.setenv(_checkpoint.KEY_FILE_VARIABLE, str(key_file))
    key = _checkpoint.checkpoint_key()
    assert len(key) == 64 and _checkpoint.checkpoint_key() == key
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in key_file.parent.iterdir()] == ["checkpoint.key"]


@pytest.mark.skipif(os.name != "posix", reason="owners and modes of POSIX files")
def test_a_key_file_others_could_write_or_read_is_refused(tmp_path, monkeypatch):
    key_file = tmp_path / "checkpoint.key"
    monkeypatch.setenv(_checkpoint.KEY_FILE_VARIABLE, str(key_file))
    _checkpoint.checkpoint_key()
    key_file.chmod(0o644)
    with pytest.raises(PermissionError, match="has mode 644; others may read or write it"):
        _checkpoint.checkpoint_key()
    key_file.chmod(0o600)
    link = tmp_path / "link.key"
    link.symlink_to(key_file)
    monkeypatch.setenv(_checkpoint.KEY_FILE_VARIABLE, str(link))
    with pytest.raises(PermissionError, match="is not a regular file"):
        _checkpoint.checkpoint_key()
    if os.getuid() == 0:  # root can give the file away, as another user's planted key
        os.chown(key_file, 4242, -1)
        monkeypatch.setenv(_checkpoint.KEY_FILE_VARIABLE, str(key_file))
        with pytest.raises(PermissionError, match="belongs to another user"):
            _checkpoint.checkpoint_key()


def _no_training(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(skae._training, "fit_loop", fail)


def test_a_checkpoint_path_that_cannot_be_written_fails_before_training(tmp_path, monkeypatch):
    X, _ = blobs(100, 10)
    _no_training(monkeypatch)
    given = str(tmp_path / "missing" / "fit.ckpt")
    with pytest.raises(FileNotFoundError, match=f"checkpoint='{given}': its folder .* not exist"):
        AutoencoderTransformer(max_iter=2, checkpoint=given).fit(X)
    with pytest.raises(IsADirectoryError, match="is a folder"):
        AutoencoderTransformer(max_iter=2, checkpoint=tmp_path).fit(X)
    monkeypatch.setattr(_checkpoint.os, "access", lambda path, mode: False)
    with pytest.raises(PermissionError, match="is not writable"):
        AutoencoderTransformer(max_iter=2, checkpoint=tmp_path / "fit.ckpt").fit(X)


def test_after_ctrl_c_the_checkpoint_stays_and_the_next_fit_resumes(tmp_path, monkeypatch):
    X, _ = blobs(200, 10)
    path = tmp_path / "fit.ckpt"
    original = training.TrainStep.__call__
    calls = {"n": 0}

    def interrupting_step(self, batch):
        calls["n"] += 1
        loss = original(self, batch)
        if calls["n"] == 3:  # in the third epoch: one batch of 200 rows per epoch
            os.kill(os.getpid(), signal.SIGINT)
        return loss

    monkeypatch.setattr(training.TrainStep, "__call__", interrupting_step)
    with pytest.warns(UserWarning, match="interrupted by the user"):
        interrupted = AutoencoderTransformer(**SMALL_PARAMS, checkpoint=path).fit(X)
    assert path.exists() and interrupted.n_iter_ < SMALL_PARAMS["max_iter"]
    monkeypatch.setattr(training.TrainStep, "__call__", original)
    resumed = AutoencoderTransformer(**SMALL_PARAMS, checkpoint=path).fit(X)
    _assert_same_fit(resumed, AutoencoderTransformer(**SMALL_PARAMS).fit(X))
    assert not path.exists()
