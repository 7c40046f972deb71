"""Sphinx configuration for Eventlet's documentation.

Build (warnings are errors)::

    sphinx-build -W --keep-going -b html docs docs/_build/html

The API reference is generated from the docstrings of the installed distributions (all four,
editable), so install them first: ``pip install -e packages/eventlet-core -e packages/eventlet-httpd
-e packages/eventlet-processes -e packages/eventlet-ssl[pyopenssl]`` and the docs group.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import eventlet  # noqa: E402

project = "Eventlet"
author = "The Eventlet developers"
copyright = "The Eventlet developers"
release = eventlet.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
    "myst_parser",
    "eventlet_docs",
]

source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "_snapshots", "Thumbs.db", ".DS_Store"]
templates_path: list[str] = []

# Docstrings are plain reST.  Signatures show the annotations; descriptions stay readable.
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
autodoc_inherit_docstrings = False
add_module_names = False
python_use_unqualified_type_names = True

myst_enable_extensions = ["colon_fence"]
# The committed Markdown snapshots (benchmarks, stdlib conformance) are included inside a section,
# and the conformance report starts at "##": that is intended, not a structure error.
suppress_warnings = ["myst.header"]

html_theme = "furo" if importlib.util.find_spec("furo") else "alabaster"
html_title = f"Eventlet {release}"
html_static_path = ["_static"]
html_css_files = ["tables.css"]
