"""The ``skae compare`` command: arguments, outputs, errors, and a tiny end-to-end run."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from skae.cli import main


def run_cli(*args):
    return main(["compare", *args])


def test_end_to_end_on_digits_writes_table_csv_json_and_plot(tmp_path, capsys):
    out = tmp_path / "results"
    status = run_cli(
        "--n-train", "300", "--n-test", "150", "--n-components", "6",
        "--classifiers", "svc", "logreg", "--epochs", "3", "--device", "cpu",
        "--output", str(out),
    )  # fmt: skip
    assert status == 0
    captured = capsys.readouterr()
    table = captured.out.splitlines()
    assert table[0].split()[:3] == ["reducer", "latent", "classifier"]
    assert [line.split()[:3] for line in table[2:10]] == [
        ["raw", "64", "svc"],
        ["raw", "64", "logreg"],
        ["pca", "6", "svc"],
        ["pca", "6", "logreg"],
        ["autoencoder", "6", "svc"],
        ["autoencoder", "6", "logreg"],
        ["conv-autoencoder", "6", "svc"],
        ["conv-autoencoder", "6", "logreg"],
    ]
    assert "300 training images (300 labeled), 150 test images" in captured.err
    assert "[8/8] conv-autoencoder(6) + logreg" in captured.err
    record = json.loads((out / "results.json").read_text())
    assert record["settings"]["epochs"] == 3
    assert record["settings"]["n_components"] == [6]
    assert len(record["results"]) == 8
    assert (out / "results.csv").read_text().count("\n") == 9
    assert (out / "comparison.png").read_bytes().startswith(b"\x89PNG")
    # The probe that checked --output before the fits left no file behind.
    assert sorted(path.name for path in out.iterdir()) == [
        "comparison.png",
        "results.csv",
        "results.json",
    ]
    assert f"wrote {out / 'comparison.png'}" in captured.err
    # stdout holds the table alone: its header, a rule and one line per pipeline.
    assert len(table) == 10
    assert record["settings"]["device"] == "cpu"
    assert record["settings"]["precision"] == "float32"
    assert {row["epochs_run"] for row in record["results"][4:]} == {3}
    assert {row["epochs_run"] for row in record["results"][:4]} == {None}


def test_label_scarce_run(tmp_path, capsys):
    status = run_cli(
        "--labels-per-class", "5", "--reducers", "raw", "pca", "raw",
        "--n-components", "8", "4", "8", "--classifiers", "svc", "--output", str(tmp_path),
    )  # fmt: skip
    assert status == 0
    record = json.loads((tmp_path / "results.json").read_text())
    rows = record["results"]
    assert {(r["n_labeled"], r["n_unlabeled"]) for r in rows} == {(50, 1297)}
    # Repeated names and sizes run once, and the settings record what ran.
    assert [(r["reducer"], r["n_components"]) for r in rows] == [
        ("raw", 64),
        ("pca", 4),
        ("pca", 8),
    ]
    assert record["settings"]["n_components"] == [4, 8]
    assert record["settings"]["reducers"] == ["raw", "pca"]
    assert "(50 labeled)" in capsys.readouterr().err


def test_verbose_training_output_goes_to_stderr_not_the_table(tmp_path, capsys):
    status = run_cli(
        "--reducers", "autoencoder", "--n-components", "4", "--classifiers", "logreg",
        "--n-train", "200", "--epochs", "2", "-v", "--output", str(tmp_path),
    )  # fmt: skip
    assert status == 0
    captured = capsys.readouterr()
    assert re.search(r"epoch +2/2  train_loss", captured.err)
    assert "epoch" not in captured.out
    assert captured.out.splitlines()[2].split()[:3] == ["autoencoder", "4", "logreg"]


def test_fashion_mnist_run(tiny_fashion_mnist, tmp_path, capsys):
    status = run_cli(
        "--dataset", "fashion-mnist", "--data-home", str(tiny_fashion_mnist.data_home),
        "--labels-per-class", "2", "--reducers", "raw", "--classifiers", "rf",
        "--output", str(tmp_path),
    )  # fmt: skip
    assert status == 0
    row = json.loads((tmp_path / "results.json").read_text())["results"][0]
    assert (row["dataset"], row["n_components"], row["n_labeled"]) == ("fashion-mnist", 784, 20)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--dataset", "cifar"], "argument --dataset: invalid choice: 'cifar'"),
        (["--classifiers", "knn"], "argument --classifiers: invalid choice: 'knn'"),
        (["--reducers"], "argument --reducers: expected at least one argument"),
        (["--n-train", "0"], "argument --n-train: must be a positive integer, got 0"),
        (["--epochs", "ten"], "argument --epochs: invalid integer: 'ten'"),
        (["--n-components", "65"], "--n-components 65 is larger than the 64 features"),
        (["--labels-per-class", "500"], "labels_per_class=500 but class"),
        (["--n-train", "2000"], "n_train=2000 is larger than the 1347 images"),
        (["--device", "tpu"], "device='tpu' is not"),
        (["--precision", "float16", "--device", "cpu"], "precision='float16' needs a CUDA"),
        (["--precision", "half"], "argument --precision: invalid choice: 'half'"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
        (
            ["--n-jobs", "0"],
            "argument --n-jobs: must be -1 (all cores) or a nonzero integer, got 0",
        ),
        (["--seed", "-3"], "argument --seed: must be 0 or more, got -3"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(args, message, capsys, tmp_path):
    with pytest.raises(SystemExit) as info:
        run_cli(*args, "--output", str(tmp_path / "never" / "deeper"))
    assert info.value.code == 2
    assert message in capsys.readouterr().err
    # Checking that --output can be written leaves no folder behind.
    assert not (tmp_path / "never").exists()


def test_an_unwritable_output_fails_before_any_fit(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    cannot_create = "cannot create a folder and a file there"
    for output, problem in (
        (blocker, "exists and is not a folder"),
        (blocker / "sub", f"{cannot_create} (Not a directory)"),
        (blocker / "sub" / "deeper", f"{cannot_create} (Not a directory)"),
    ):
        with pytest.raises(SystemExit) as info:
            run_cli("--output", str(output))
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert f"--output {output}: {problem}." in err
        assert "fitting" not in err


def test_an_output_in_a_writable_folder_is_tried_before_any_fit(tmp_path, capsys):
    # Both sit in a writable folder, yet neither can become one: only trying tells.
    broken_link = tmp_path / "broken-link"
    broken_link.symlink_to(tmp_path / "nowhere")
    for output, problem in (
        (broken_link, "exists and is not a folder"),
        (tmp_path / ("x" * 300), "cannot create a folder and a file there (File name too long)"),
    ):
        # Quick settings: should the check miss, the run ends soon, and exits 1.
        with pytest.raises(SystemExit) as info:
            run_cli(
                "--reducers", "raw", "--classifiers", "svc", "--n-train", "100",
                "--output", str(output),
            )  # fmt: skip
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert f"--output {output}: {problem}." in err
        assert "fitting" not in err
    assert [path.name for path in tmp_path.iterdir()] == ["broken-link"]


def test_corrupt_data_exits_1_and_names_the_file(tiny_fashion_mnist, tmp_path, capsys):
    folder = tiny_fashion_mnist.data_home / "fashion-mnist"
    folder.mkdir()
    source = tiny_fashion_mnist.mirror / "train-images-idx3-ubyte.gz"
    (folder / source.name).write_bytes(source.read_bytes()[:-10])
    status = run_cli(
        "--dataset", "fashion-mnist", "--data-home", str(tiny_fashion_mnist.data_home),
        "--output", str(tmp_path / "out"),
    )  # fmt: skip
    assert status == 1
    err = capsys.readouterr().err
    assert f"{folder / source.name}: truncated or corrupt gzip file" in err


def test_a_command_is_required(capsys):
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    assert "required: COMMAND" in capsys.readouterr().err


def test_missing_dataset_says_how_to_get_it(tiny_fashion_mnist, tmp_path, capsys):
    status = run_cli(
        "--dataset", "fashion-mnist", "--data-home", str(tiny_fashion_mnist.data_home),
        "--no-download", "--output", str(tmp_path / "never"),
    )  # fmt: skip
    assert status == 1
    err = capsys.readouterr().err
    assert err.startswith(
        "skae compare: error: fashion-mnist: train-images-idx3-ubyte.gz not found"
    )
    assert "apt-get install dataset-fashion-mnist" in err
    assert "leave out --no-download" in err
    assert not (tmp_path / "never").exists()


def test_python_dash_m_and_the_console_script_run_the_same_command():
    script = Path(sys.executable).with_name("skae")
    for command in ([sys.executable, "-m", "skae"], [str(script)]):
        result = subprocess.run(
            [*command, "compare", "--help"], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr
        assert "--labels-per-class N" in result.stdout
        assert result.stdout.startswith("usage: skae compare")
