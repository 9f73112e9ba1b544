"""The documentation site builds with no warning, and every gallery example runs.

The site is built once, from a copy of ``docs/`` and ``examples/``, exactly as
``tools/build-docs.sh`` builds it. The examples are run by that build (it
aborts on a failing one), so the checks of what each example prints and draws
read the build's own record: the text output sphinx-gallery captured into each
example's page and the figures it saved.
"""

import os
import pathlib
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("sphinx_gallery")
pytest.importorskip("pydata_sphinx_theme")
image = pytest.importorskip("matplotlib.image")

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = sorted(path.stem for path in (ROOT / "examples").glob("plot_*.py"))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    source = tmp_path_factory.mktemp("site")
    for folder in ("docs", "examples"):
        shutil.copytree(
            ROOT / folder, source / folder, ignore=shutil.ignore_patterns("_build", "auto_*")
        )
    html = source / "html"
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "docs", str(html)],
        cwd=source,
        env={**os.environ, "MPLBACKEND": "Agg"},
        capture_output=True,
        text=True,
        timeout=1200,
    )
    return result, source / "docs" / "auto_examples", html


def _output(site, name):
    """The text an example printed, as sphinx-gallery captured it into its page."""
    return (site[1] / f"{name}.rst").read_text()


def _accuracy(text, label):
    return float(re.search(rf"{re.escape(label)}\s+accuracy (\d\.\d+)", text).group(1))


def test_site_builds_without_warnings(site):
    result, _, html = site
    assert result.returncode == 0, result.stderr[-5000:]
    assert "WARNING" not in result.stderr, result.stderr[-5000:]
    for page in ("index", "user_guide", "api", "compare", "auto_examples/index"):
        assert (html / f"{page}.html").is_file(), page


def test_every_public_name_has_an_api_page(site):
    import skae
    import skae.inspection

    html = site[2]
    names = [f"skae.{name}" for name in skae.__all__ if name != "__version__"]
    names += [f"skae.inspection.{name}" for name in skae.inspection.__all__]
    pages = {path.stem for path in html.rglob("skae.*.html")}
    assert not set(names) - pages


def test_the_site_uses_the_pydata_theme(site):
    index = (site[2] / "index.html").read_text()
    assert "pydata-sphinx-theme" in index or "pydata_sphinx_theme" in index


def test_the_gallery_lists_every_example_in_the_chosen_order(site):
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        from gallery_order import EXAMPLES as ORDER
    finally:
        sys.path.remove(str(ROOT / "docs"))
    assert sorted(pathlib.Path(name).stem for name in ORDER) == EXAMPLES
    index = (site[2] / "auto_examples" / "index.html").read_text()
    linked = list(dict.fromkeys(re.findall(r'href="(plot_\w+)\.html"', index)))
    assert linked == [pathlib.Path(name).stem for name in ORDER]


@pytest.mark.parametrize("name", EXAMPLES)
def test_gallery_example_ran_and_drew_figures(site, name):
    _, gallery, html = site
    assert (html / "auto_examples" / f"{name}.html").is_file()
    figures = sorted((gallery / "images").glob(f"sphx_glr_{name}_[0-9]*.png"))
    assert figures, f"{name} drew no figure"
    for figure in figures:
        pixels = image.imread(figure)
        # A figure with content: not one flat colour, and not mostly blank.
        assert pixels.std() > 0.02, figure.name
        assert np.mean(pixels[..., :3].min(axis=-1) < 0.9) > 0.01, figure.name


def test_digits_pipeline_example(site):
    text = _output(site, "plot_digits_pipeline")
    for model in ("Raw pixels + SVC", "PCA + SVC", "Autoencoder + SVC"):
        assert float(re.search(rf"{re.escape(model)}\s+(\d\.\d+)", text).group(1)) > 0.9


def test_grid_search_example(site):
    text = _output(site, "plot_grid_search")
    assert "8 candidates" in text
    scores = [float(s) for s in re.findall(r"CV accuracy (\d\.\d+)", text)]
    assert len(scores) == 8 and min(scores) > 0.8


def test_custom_encoder_example(site):
    text = _output(site, "plot_custom_encoder")
    assert "backbone inside the network: VGGBackbone" in text
    assert "backbone weights unchanged by training: True" in text
    assert _accuracy(text, "VGG-style encoder + SVC:") > 0.9
    assert _accuracy(text, "frozen pretrained backbone + SVC:") > 0.9


def test_anomaly_detection_example(site):
    text = _output(site, "plot_anomaly_detection")
    auc = float(re.search(r"autoencoder ROC AUC: (\d\.\d+)", text).group(1))
    assert auc > 0.8


def test_denoising_example(site):
    text = _output(site, "plot_denoising")
    rows = {
        name: [float(v) for v in re.search(rf"{name}\s+((?:\d\.\d+\s*)+)", text).group(1).split()]
        for name in ("plain autoencoder", "denoising autoencoder")
    }
    # At the strongest noise the denoising code keeps more accuracy.
    assert rows["denoising autoencoder"][-1] > rows["plain autoencoder"][-1]


def test_variational_example(site):
    text = _output(site, "plot_variational")
    match = re.search(r"samples: shape \((\d+), (\d+)\), pixel range \[(\S+), (\S+)\]", text)
    assert match.group(1, 2) == ("24", "64")
    assert 0 <= float(match.group(3)) and float(match.group(4).rstrip("]")) <= 1


def test_scarce_labels_example(site):
    text = _output(site, "plot_scarce_labels")
    assert "50 labeled and 1297 unlabeled" in text
    assert "-1" not in re.search(r"classes_: (.*)", text).group(1)
    # 50 labels for 10 classes: each model must learn far above chance (0.1).
    for model in (
        "raw-pixel SVC (labeled rows only)",
        "PretrainedClassifier (AE on all rows + SVC)",
        "AutoencoderClassifier (defaults)",
    ):
        assert _accuracy(text, model) > 0.75, model
    # The defaults learn from the unlabeled images: the gain the example shows.
    raw = _accuracy(text, "raw-pixel SVC (labeled rows only)")
    assert _accuracy(text, "AutoencoderClassifier (defaults)") >= raw + 0.03
    assert "architecture_='vgg'" in text


def test_compare_example(site):
    text = _output(site, "plot_compare")
    assert "reducer" in text and "accuracy" in text
    rows = re.findall(r"^\s*(raw|pca|autoencoder|conv-autoencoder)\s+\d+\s+(\w+)", text, re.M)
    assert {classifier for _, classifier in rows} == {"svc", "logreg", "finetuned"}
    assert len(rows) == 10
