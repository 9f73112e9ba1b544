"""The public names of each package are what its ``__all__`` says and the API reference shows."""

import importlib
import inspect
import re
from pathlib import Path

import pytest

API_REFERENCE = Path(__file__).parents[1] / "docs" / "api.rst"
PACKAGES = ["skae", "skae.nn", "skae.metrics", "skae.inspection", "skae.datasets", "skae.compare"]


def api_reference():
    """By ``currentmodule``: the names of its autosummary blocks, and its prose."""
    listed, prose, module = {}, {}, None
    in_autosummary = False
    for line in API_REFERENCE.read_text().splitlines():
        if match := re.match(r"\.\. currentmodule:: (\S+)", line):
            module = match.group(1)
            listed.setdefault(module, set())
            prose.setdefault(module, "")
        elif line.startswith(".. autosummary::"):
            in_autosummary = True
        elif in_autosummary and re.match(r"   [A-Za-z_]\w*$", line):
            listed[module].add(line.strip())
        elif module is not None:
            in_autosummary = in_autosummary and (not line or line.startswith(" "))
            prose[module] += line + "\n"
    return listed, prose


@pytest.mark.parametrize("package", PACKAGES)
def test_all_is_what_the_api_reference_documents(package):
    module = importlib.import_module(package)
    public = set(module.__all__) - {"__version__"}
    listed, prose = api_reference()
    assert listed[package] <= public
    for name in public - listed[package]:  # data such as ARCHITECTURES, named in prose
        assert f"``{name}``" in prose[package], name


@pytest.mark.parametrize("package", PACKAGES)
def test_no_public_name_outside_all(package):
    module = importlib.import_module(package)
    exported = {  # names defined in the package, not those it imports for itself
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not inspect.ismodule(value)
        and getattr(value, "__module__", package).startswith(package)
    }
    assert exported <= set(module.__all__)


def test_torch_modules_do_not_share_names_with_estimators():
    import skae
    import skae.nn

    assert not set(skae.__all__) & set(skae.nn.__all__)
