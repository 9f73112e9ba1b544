"""Sphinx configuration for skae's documentation.

Build with ``bash tools/build-docs.sh`` (``python -m sphinx -W -b html docs
docs/_build/html`` in a set-up environment). Every example in ``examples/``
runs during the build, through sphinx-gallery, and any warning or failing
example fails it. The build needs no network: cross-references to Python,
NumPy, scikit-learn and PyTorch are only turned on when
``SKAE_DOCS_INTERSPHINX`` is set (to any non-empty value), because
intersphinx downloads the other projects' inventories.
"""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))
sys.path.insert(0, os.path.abspath("."))  # gallery_order

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
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "auto_examples/*.ipynb"]
default_role = "literal"

# -- autodoc / autosummary ---------------------------------------------------

autosummary_generate = True
autodoc_default_options = {
    "members": True,
    "inherited-members": False,
    # scikit-learn's generated metadata-routing setters, documented by scikit-learn.
    "exclude-members": (
        "set_fit_request,set_partial_fit_request,set_score_request,set_predict_request"
    ),
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

# -- sphinx-gallery ----------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    # A failing example fails the build, as a warning does.
    "abort_on_example_error": True,
    "download_all_examples": False,
    "within_subsection_order": "gallery_order.ExampleOrder",
    "matplotlib_animations": False,
    "show_memory": False,
    "image_srcset": [],
    # Each example's page links back to the API pages of what it uses.
    "doc_module": ("skae",),
    "backreferences_dir": "generated/backreferences",
}

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

html_theme = "pydata_sphinx_theme"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "header_links_before_dropdown": 5,
    "navbar_persistent": [],
    "navbar_end": ["search-button", "theme-switcher"],
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_sidebars = {"index": [], "install": [], "compare": [], "datasets": []}
html_title = f"skae {release}"
html_static_path = ["_static"]
html_css_files = ["skae.css"]
