"""The import-system side of patching: private fresh imports, and guarding eventlet's own modules.

Patching needs two things from the import system, and :mod:`eventlet.patcher` gets both here:

* **A fresh copy of a module built on other modules.**  :func:`import_fresh` executes a module
  anew while ``sys.modules`` answers some of its imports with given module objects: green ones
  for ``import_patched``, the unpatched ones when ``original()`` rebuilds a standard module.  It
  holds the import lock meanwhile and then puts everything back: the entries of ``sys.modules`` it
  swapped, the parent package's attribute, and it drops again the modules first imported along
  the way that bound one of the substitutes (a later ordinary import must not find a copy wired
  to green modules, nor to private unpatched ones).
* **Eventlet's modules imported after patching.**  Eventlet's own code must keep reaching the
  blocking originals (``select.epoll``, ``os.read``, OS threads).  Modules loaded before
  ``monkey_patch()`` are fixed up by the patcher directly; :class:`OwnModuleFinder`, put first on
  ``sys.meta_path`` once something is patched, wraps the loader of every later ``eventlet.*``
  module so that its namespace is handed to the patcher (``protect_own_modules``) right after
  it executes.

:data:`MISSING` marks "this attribute did not exist"; the patcher's saved originals use it, so
every part of patching shares this one object.
"""

from __future__ import annotations

import _imp
import importlib
import importlib.abc
import sys
from collections.abc import Iterable, Mapping
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any, Protocol

__all__ = ["MISSING", "OwnModuleFinder", "import_fresh", "is_own"]

#: Stands for an attribute that a module did not have (so that restoring it means deleting it).
MISSING: Any = object()


def is_own(name: str) -> bool:
    """True if ``name`` is eventlet's package or one of its modules."""
    return name == "eventlet" or name.startswith("eventlet.")


class ModuleProtector(Protocol):
    """What :class:`OwnModuleFinder` needs from the patcher."""

    def protect_own_modules(self, modules: Iterable[ModuleType]) -> None:
        """Point ``modules``' globals at unpatched views of the patched standard modules."""
        ...


# ---------------------------------------------------------------------------------- fresh imports
def _binds_green(module: Any, green_ids: set[int]) -> bool:
    for value in list(vars(module).values()):
        if id(value) in green_ids or is_own(str(getattr(value, "__module__", "") or "")):
            return True
    return False


def _forget(name: str) -> None:
    module = sys.modules.pop(name)
    parent_name, _, child = name.rpartition(".")
    parent = sys.modules.get(parent_name)
    if parent is not None and getattr(parent, child, None) is module:
        delattr(parent, child)


def import_fresh(name: str, replacements: Mapping[str, ModuleType]) -> ModuleType:
    """Import ``name`` anew while ``sys.modules`` answers with ``replacements``; leave no trace.

    ``name``'s own submodules already imported are imported anew as well (a package that does
    ``from .sub import f`` gets a ``f`` built on the replacements), then put back.  Modules
    imported along the way that bound one of the replacements are dropped from ``sys.modules``
    again, so that a later ordinary import does not get a green dependency.
    """
    parent_name, _, child = name.rpartition(".")
    parent = importlib.import_module(parent_name) if parent_name else None
    parent_attr = getattr(parent, child, MISSING) if parent is not None else MISSING
    _imp.acquire_lock()
    try:
        submodules = [key for key in list(sys.modules) if key.startswith(name + ".")]
        saved = {key: sys.modules.get(key, MISSING) for key in (name, *submodules, *replacements)}
        green_ids = {id(module) for module in replacements.values()}
        before = set(sys.modules)
        sys.modules.update(replacements)
        sys.modules.pop(name, None)
        for key in submodules:
            sys.modules.pop(key, None)
        try:
            module = importlib.import_module(name)
        finally:
            for key, value in saved.items():
                if value is MISSING:
                    sys.modules.pop(key, None)
                else:
                    sys.modules[key] = value
            for key in set(sys.modules) - before:
                if _binds_green(sys.modules[key], green_ids):
                    _forget(key)
            if parent is not None:
                if parent_attr is MISSING:
                    vars(parent).pop(child, None)
                else:
                    setattr(parent, child, parent_attr)
    finally:
        _imp.release_lock()
    return module


# ------------------------------------------------------------------- eventlet's later imports
class _ProtectingLoader(importlib.abc.Loader):
    """Wraps the loader of an eventlet module imported after patching (see protect_own_modules)."""

    def __init__(self, inner: Any, state: ModuleProtector) -> None:
        self.inner = inner
        self.state = state

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        module: ModuleType | None = self.inner.create_module(spec)
        return module

    def exec_module(self, module: ModuleType) -> None:
        self.inner.exec_module(module)
        self.state.protect_own_modules([module])

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class OwnModuleFinder(importlib.abc.MetaPathFinder):
    """Finds eventlet's modules with the other finders and wraps their loaders."""

    def __init__(self, state: ModuleProtector) -> None:
        self.state = state

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> ModuleSpec | None:
        """The spec the other finders give for an ``eventlet.*`` module, with its loader wrapped."""
        if not fullname.startswith("eventlet."):
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec: ModuleSpec | None = find(fullname, path, target)
            if spec is None:
                continue
            if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                spec.loader = _ProtectingLoader(spec.loader, self.state)
            return spec
        return None
