"""Sphinx configuration of the documentation site: ``python -m sphinx -W -b html docs docs/_build/html``.

The pages are the Markdown files of this folder (MyST), the API reference comes from
the numpydoc docstrings (autodoc, autosummary), and the gallery runs the scripts in
``examples/`` (sphinx-gallery) and shows their figures. Everything builds offline.
``tests/test_docs_site.py`` builds it with warnings as errors, so a broken reference or
an example that raises fails the suite.
"""

from __future__ import annotations

import os

import shap_zero

os.environ.setdefault("MPLBACKEND", "Agg")

project = "shap_zero"
author = "the shap_zero developers"
release = version = shap_zero.__version__
copyright = "2026, the shap_zero developers"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
# README.md is the folder's index on GitHub (index.md is the site's).
exclude_patterns = ["_build", "README.md", "auto_examples/*.ipynb", "auto_examples/*.py", "auto_examples/*.zip"]

myst_heading_anchors = 3
myst_enable_extensions = ["dollarmath"]
# GitHub renders ```math fences (api.md has them from the docstrings); so does the site.
myst_fence_as_directive = ["math"]

autosummary_generate = True
autodoc_typehints = "none"  # numpydoc's Parameters sections say the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "abort_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
}

html_theme = "pydata_sphinx_theme"
html_title = f"shap_zero {version}"
html_theme_options = {"navigation_depth": 2, "show_toc_level": 2}
