"""Unpatched standard modules: shadows, original copies, and modules kept on them for good.

Monkey patching changes the standard modules in place; whoever must keep the blocking originals
(eventlet itself, :func:`eventlet.patcher.original`'s callers, the asyncio hub's event loop) gets
another module object instead, in one of two kinds:

* **A shadow** (:meth:`Unpatched.shadow`): a module object holding the real module's namespace with
  the original values put back.  Everything else is the very same object (``os.environ``, the
  ``ssl.SSLContext`` class), but functions written in Python still look their globals up in the
  real module.  Enough for built-in and extension modules, whose functions read no globals.
* **An original** (:meth:`Unpatched.original`): a Python module executed afresh, so that its
  functions and classes have globals of their own.  The patchable modules it imports (found in the
  real module's namespace: ``socket`` imports ``selectors`` and ``os``) are answered with their
  originals during that import, recursively, or with shadows for :data:`SHARED` (``os``,
  ``ssl``), whose identity matters more than their globals.  Built-in and extension modules'
  originals are shadows.

Either is taken once and never patched afterwards, so an original made before ``monkey_patch()``
is still unpatched after it: originals are cached for the process (and, as upstream eventlet does,
registered in ``sys.modules`` as ``__original_module_<name>``).

:meth:`Unpatched.isolate` puts modules on the unpatched standard library for good: their globals
naming a patchable module (``socket``, ``threading``...) get the originals, and names they took
from patched modules get the original values.  The asyncio hub isolates ``asyncio`` and
``concurrent.futures.thread`` (its default executor's threads must be OS threads); the patcher then
leaves isolated modules alone (no aliases rebound, no locks greened, no warnings).
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Iterable
from types import ModuleType
from typing import Any

from eventlet._patching.green import CORE_GREEN_MODULES
from eventlet._patching.imports import MISSING, import_fresh

__all__ = ["ORIGINAL_PREFIX", "SHARED", "Unpatched"]

#: Where an original is registered in ``sys.modules`` (upstream eventlet's key).
ORIGINAL_PREFIX = "__original_module_"

#: Standard modules given as shadows, not fresh copies, to the originals and isolated modules that
#: import them: a fresh ``os`` would have an ``environ`` of its own, a fresh ``ssl`` classes that
#: the program's contexts and sockets are not instances of.
SHARED = frozenset({"os", "ssl"})

#: Standard modules with green versions (``builtins`` aside: its ``open`` reads no globals, and
#: ``builtins`` must never be swapped during an import).
_PATCHABLE = frozenset(CORE_GREEN_MODULES) - {"builtins"} | {"ssl", "subprocess"}

_DEFINED_HERE = (type, types.FunctionType, types.BuiltinFunctionType)


def _is_source_module(module: ModuleType) -> bool:
    file = getattr(module, "__file__", None)
    return file is not None and str(file).endswith(".py")


def _fresh_threading(dependencies: dict[str, ModuleType]) -> ModuleType:
    """A fresh ``threading`` that leaves the calling OS thread's ``join()`` working.

    Before Python 3.13, importing ``threading`` makes its ``_MainThread`` with
    ``_thread._set_sentinel()``, which gives the *calling* OS thread a new sentinel lock (released
    when the thread ends) in place of the one its own ``Thread`` object holds: made in a thread
    other than the main one (a server thread whose asyncio hub starts), the copy would leave that
    thread unjoinable.  The copy's main thread gets a lock of its own instead, and the threads it
    starts later the real sentinels.
    """
    thread_module = dependencies.get("_thread") or sys.modules["_thread"]
    set_sentinel = getattr(thread_module, "_set_sentinel", None)
    if set_sentinel is None:  # Python 3.13+: the main thread's handle is not the caller's
        return import_fresh("threading", dependencies)

    def main_thread_lock() -> Any:
        return thread_module.allocate_lock()  # threading acquires it, as it does a sentinel

    view = ModuleType("_thread", thread_module.__doc__)
    vars(view).update(vars(thread_module))
    view._set_sentinel = main_thread_lock  # type: ignore[attr-defined]
    module = import_fresh("threading", {**dependencies, "_thread": view})
    module._set_sentinel = set_sentinel  # type: ignore[attr-defined]
    return module


class Unpatched:
    """The unpatched views of standard modules (part of the patcher's state)."""

    def __init__(self) -> None:
        self.saved: dict[str, dict[str, Any]] = {}  # module -> attribute -> original value
        self.patched: set[str] = set()  # standard modules patched
        self.originals: dict[str, ModuleType] = {}
        self.shadows: dict[str, ModuleType] = {}
        self.shadow_names: dict[int, str] = {}  # id of every shadow or original ever made -> name
        self.all_shadows: list[ModuleType] = []  # keeps those ids valid
        #: names of the modules isolated on the unpatched standard library -> :attr:`changes` then
        self.isolated: dict[str, int] = {}
        #: how many times patching changed the standard library (isolating again is needed after)
        self.changes = 0
        self._building: set[str] = set()

    def patchable(self) -> frozenset[str]:
        """The standard modules that have (or had) a green version."""
        return (_PATCHABLE | self.patched) - {"builtins"}

    def original_attr(self, module_name: str, attr: str, default: Any = MISSING) -> Any:
        """The original value of ``module_name.attr`` (``default`` if it has none)."""
        saved = self.saved.get(module_name, {}).get(attr, MISSING)
        if saved is not MISSING:
            return saved
        module = sys.modules.get(module_name) or importlib.import_module(module_name)
        if default is MISSING:
            return getattr(module, attr)
        return getattr(module, attr, default)

    def shadow(self, name: str) -> ModuleType:
        """A module object holding ``name``'s current namespace with the originals put back.

        Everything but the patched attributes is the very same object as in the real module.  The
        cache is renewed when ``name`` is patched; a shadow handed out before stays unpatched.
        """
        cached = self.shadows.get(name)
        if cached is not None:
            return cached
        current = sys.modules.get(name) or importlib.import_module(name)
        copy = ModuleType(name, current.__doc__)
        namespace = vars(copy)
        namespace.update(vars(current))
        for attr, value in self.saved.get(name, {}).items():
            if value is MISSING:
                namespace.pop(attr, None)
            else:
                namespace[attr] = value
        self.shadows[name] = copy
        self.shadow_names[id(copy)] = name
        self.all_shadows.append(copy)
        return copy

    def original(self, name: str) -> ModuleType:
        """The unpatched module ``name``, made once: a fresh copy, or a shadow (see the module notes)."""
        cached = self.originals.get(name)
        if cached is not None:
            return cached
        current = sys.modules.get(name)
        if current is None and name in self.patchable():
            current = importlib.import_module(name)  # its imports tell which originals it needs
        if current is not None and not _is_source_module(current):
            module = self.shadow(name)  # a built-in or extension module cannot be executed again
        else:
            dependencies = self._dependencies(name, current)
            if name == "threading":
                module = _fresh_threading(dependencies)
            else:
                module = import_fresh(name, dependencies)
        self.originals[name] = module
        self.shadow_names[id(module)] = name
        self.all_shadows.append(module)
        sys.modules[ORIGINAL_PREFIX + name] = module
        return module

    def unpatched(self, name: str) -> ModuleType:
        """What unpatched modules get for ``name``: a shadow for :data:`SHARED`, else the original."""
        return self.shadow(name) if name in SHARED else self.original(name)

    def _dependencies(self, name: str, current: ModuleType | None) -> dict[str, ModuleType]:
        """The unpatched modules to answer ``name``'s imports of patchable modules with."""
        patchable = self.patchable()
        if current is None:  # not imported yet: whatever has been patched
            wanted = {other for other in self.saved if other in patchable}
        else:
            wanted = set()
            for value in list(vars(current).values()):
                if isinstance(value, ModuleType):
                    wanted.add(value.__name__)
                elif isinstance(value, _DEFINED_HERE):
                    wanted.add(str(getattr(value, "__module__", None)))
            wanted &= patchable
        wanted.discard(name)
        self._building.add(name)
        try:
            return {
                other: self.shadow(other) if other in self._building else self.unpatched(other)
                for other in sorted(wanted)
                if other in sys.modules
            }
        finally:
            self._building.discard(name)

    def isolate(self, modules: Iterable[ModuleType]) -> None:
        """Keep ``modules`` on the unpatched standard library, also after later patching.

        Each global naming a patchable standard module gets :meth:`unpatched`; each name bound to
        a patched value (``from _thread import get_ident`` after patching, or an alias that patching
        rebound) gets the original value back, and each free green lock made at import (after
        patching, or greened by it) an OS lock.
        """
        modules = [module for module in modules if self.isolated.get(module.__name__) != self.changes]
        if not modules:
            return  # each is isolated already, and nothing was patched since
        restore: dict[int, Any] = {}
        for module_name, attrs in self.saved.items():
            real = sys.modules.get(module_name)
            for attr, value in attrs.items():
                patched = getattr(real, attr, MISSING)
                if value is not MISSING and patched is not MISSING and patched is not value:
                    restore[id(patched)] = value
        patchable = self.patchable()
        for module in modules:
            namespace = vars(module)
            for key, value in list(namespace.items()):
                if key.startswith("__"):
                    continue
                if isinstance(value, ModuleType):
                    if value.__name__ in patchable and value is sys.modules.get(value.__name__):
                        namespace[key] = self.unpatched(value.__name__)
                elif id(value) in restore:
                    namespace[key] = restore[id(value)]
                else:
                    lock = self._os_lock_for(value)
                    if lock is not None:
                        namespace[key] = lock
            self.isolated[module.__name__] = self.changes

    def _os_lock_for(self, value: Any) -> Any:
        """A new OS lock standing for ``value`` if it is a free green lock, else None."""
        green = sys.modules.get("eventlet.green.thread")
        originals = self.saved.get("_thread")
        if green is None or not originals:
            return None  # no green lock was ever made
        if type(value) is green.LockType:
            return None if value.locked() else originals["allocate_lock"]()
        if type(value) is green.RLock and not value._is_owned() and value.acquire(False):
            value.release()
            return originals["RLock"]()
        return None

    def kept_unpatched(self) -> list[ModuleType]:
        """The originals and the isolated modules: their locks and names are not the patcher's."""
        kept = list(self.originals.values())
        kept.extend(module for name in self.isolated if (module := sys.modules.get(name)) is not None)
        return kept
