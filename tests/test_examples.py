"""The gallery examples run and print what their text promises."""

import os
import pathlib
import re
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def _run(name):
    pytest.importorskip("matplotlib")
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        env={**os.environ, "MPLBACKEND": "Agg"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _accuracy(output, label):
    return float(re.search(rf"{re.escape(label)}\s+accuracy (\d\.\d+)", output).group(1))


def test_custom_encoder_example():
    output = _run("plot_custom_encoder.py")
    assert "backbone inside the network: VGGBackbone" in output
    assert "backbone weights unchanged by training: True" in output
    assert _accuracy(output, "VGG-style encoder + SVC:") > 0.9
    assert _accuracy(output, "frozen pretrained backbone + SVC:") > 0.9
