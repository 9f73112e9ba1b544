"""Every snippet of the "Scaling out" page runs as written, and prints what it should."""

import os
import pathlib
import re
import subprocess
import sys

import pytest

PAGE = pathlib.Path(__file__).resolve().parents[1] / "docs" / "scaling_out.rst"


def _snippets():
    blocks = re.findall(r"^\.\. code-block:: python\n\n((?:    .*\n|\n)+)", PAGE.read_text(), re.M)
    return [re.sub(r"^    ", "", block, flags=re.M) for block in blocks]


def _run(snippet, tmp_path):
    """Run the snippet as a script, as a user would (the Dask workers import it)."""
    script = tmp_path / "snippet.py"
    script.write_text(snippet)
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _snippet(word):
    (snippet,) = [s for s in _snippets() if word in s]
    return snippet


def test_the_page_has_a_snippet_per_section():
    snippets = _snippets()
    assert len(snippets) == 5
    for word in ("GridSearchCV(pipe", "HalvingGridSearchCV(", "HyperbandSearchCV(", "memmap",
                 "checkpoint="):  # fmt: skip
        assert sum(word in s for s in snippets) == 1, word


def test_dask_grid_search_snippet(tmp_path):
    pytest.importorskip("distributed")
    out = _run(_snippet("GridSearchCV(pipe"), tmp_path)
    best = re.search(r"best \{'autoencodertransformer__n_components': (\d+)\} (0\.\d+)", out)
    assert best and int(best.group(1)) in (8, 16) and float(best.group(2)) > 0.8


def test_halving_snippet(tmp_path):
    out = _run(_snippet("HalvingGridSearchCV("), tmp_path)
    assert "epochs per round [2, 4, 8]" in out


def test_hyperband_snippet(tmp_path):
    pytest.importorskip("dask_ml")
    out = _run(_snippet("HyperbandSearchCV("), tmp_path)
    assert float(re.search(r"best \{.*\} (0\.\d+)", out).group(1)) > 0.6


def test_out_of_core_snippet(tmp_path):
    out = _run(_snippet("memmap"), tmp_path)
    assert "codes (20000, 32)" in out


def test_checkpoint_snippet(tmp_path):
    pytest.importorskip("safetensors")
    out = _run(_snippet("checkpoint="), tmp_path)
    assert "epochs 20" in out
    assert not (tmp_path / "ae.ckpt").exists()
