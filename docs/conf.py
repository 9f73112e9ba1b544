"""Sphinx configuration for skae's documentation.

Build with ``python -m sphinx -W -b html docs docs/_build/html``. The build
needs no network: cross-references to Python, NumPy, scikit-learn and PyTorch
are only turned on when ``SKAE_DOCS_INTERSPHINX`` is set (to any non-empty
value), because intersphinx downloads the other projects' inventories.
"""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

import skae  # noqa: E402

# -- Project -----------------------------------------------------------------

project = "skae"
author = "skae developers"
copyright = "skae developers"
release = skae.__version__
version = ".".join(release.split(".")[:2])

# -- General -----------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "numpydoc",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
default_role = "literal"

# -- autodoc / autosummary ---------------------------------------------------

autosummary_generate = True
autodoc_default_options = {
    "members": True,
    "inherited-members": False,
    # scikit-learn's generated metadata-routing setters, documented by scikit-learn.
    "exclude-members": "set_fit_request,set_score_request,set_predict_request",
}
autodoc_typehints = "none"
# Show only skae's own docstrings (not torch.nn.Module.forward's, say).
autodoc_inherit_docstrings = False

# -- numpydoc ----------------------------------------------------------------

# Members are listed by the autosummary templates in _templates/autosummary;
# numpydoc's own member tables would list them a second time.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Attributes go through numpydoc like parameters, as in scikit-learn's docs.
numpydoc_attributes_as_param_list = True
# Docstrings use glossary terms (":term:`fit`") from scikit-learn's templates;
# xref_param_type stays off so type strings never need a resolvable target.
numpydoc_xref_param_type = False

# -- intersphinx (opt-in, needs the network) ---------------------------------

if os.environ.get("SKAE_DOCS_INTERSPHINX"):
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
        "torch": ("https://docs.pytorch.org/docs/stable", None),
    }
else:
    intersphinx_mapping = {}
    # skae's docstrings follow scikit-learn's templates, which link glossary
    # terms such as :term:`fit` into scikit-learn's glossary. Offline that
    # glossary is unknown, so only these unresolvable term links are silenced.
    suppress_warnings = ["ref.term"]

# -- HTML --------------------------------------------------------------------

html_theme = "alabaster"
html_theme_options = {
    "description": "PyTorch autoencoders as scikit-learn estimators",
    "fixed_sidebar": True,
}
html_title = f"skae {release}"
