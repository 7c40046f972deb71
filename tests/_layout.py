"""Helpers for the tests that check the shape of the tree rather than behaviour.

* :func:`same_name_classes`: the public classes (top-level ``class`` statements whose name has
  no leading underscore) that share a name inside one distribution, found by reading the source
  (nothing is imported).
* :func:`check_public_names`: every name of a list is importable from its module.
"""

from __future__ import annotations

import ast
import importlib
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

PACKAGES = Path(__file__).resolve().parent.parent / "packages"


def source_root(distribution: str) -> Path:
    """``packages/<distribution>/src``."""
    return PACKAGES / distribution / "src"


def same_name_classes(distribution: str) -> dict[str, list[str]]:
    """Public class name -> the modules (dotted) defining a class of that name, where more than one."""
    root = source_root(distribution)
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        module = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                found[node.name].append(module)
    return {name: modules for name, modules in found.items() if len(modules) > 1}


def check_public_names(module_name: str, names: Iterable[str]) -> list[str]:
    """The names of ``names`` that ``from module_name import name`` cannot import."""
    module = importlib.import_module(module_name)
    return [name for name in names if not hasattr(module, name)]
