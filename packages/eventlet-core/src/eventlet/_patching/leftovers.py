"""References that patching a module cannot reach: rebind them, or warn about them.

Setting ``socket.socket`` to the green class does nothing to a module that ran
``from socket import socket`` earlier, nor to a class that subclassed the blocking one.  The patcher
deals with such leftovers in two ways, chosen per standard module:

* **Rebind** (:data:`REBIND`: ``_thread`` and ``threading``).  A captured ``allocate_lock``,
  ``get_ident`` or ``Lock`` is harmless to swap, and leaving it would make locks that block the
  OS thread, so :func:`rebind_aliases` replaces it in every loaded module that is not eventlet's
  (remembering the old value, so that ``original_attr`` and shadows still give it).
* **Warn** (:data:`WARN_FOR`, the others worth it: ``socket``, ``ssl``).  Swapping arbitrary
  references could break code that meant the original, so :func:`warn_leftovers` reports them
  with a :class:`MonkeyPatchWarning` naming them (names bound elsewhere, and subclasses defined
  in non-patched modules), once per module.  It also warns once about OS threads started before
  ``threading`` was patched, and about locks that were held when existing locks were greened.

The functions take the patcher's state (:class:`eventlet._patching.state.PatchState`): the saved original
values, the set of patched modules and the set of warnings already given.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterable, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any

from eventlet._patching.imports import MISSING, is_own

if TYPE_CHECKING:
    from eventlet._patching.state import PatchState as _Patcher

__all__ = ["REBIND", "WARN_FOR", "MonkeyPatchWarning", "rebind_aliases", "warn_leftovers"]

#: Modules whose captured references are rebound everywhere instead of being warned about.
REBIND = frozenset({"_thread", "threading"})
#: Modules for which a captured reference left behind is worth a warning.
WARN_FOR = frozenset({"threading", "socket", "ssl"})


class MonkeyPatchWarning(RuntimeWarning):
    """Some blocking object survives monkey patching (it was imported or created too early)."""


def _foreign_modules(state: _Patcher) -> Iterable[tuple[str, ModuleType]]:
    """Loaded modules that are neither eventlet's nor kept unpatched (originals, isolated ones)."""
    kept = {id(m) for m in state.kept_unpatched()}
    for mod_name, module in list(sys.modules.items()):
        if isinstance(module, ModuleType) and not is_own(mod_name) and id(module) not in kept:
            yield mod_name, module


def rebind_aliases(state: _Patcher, name: str, replacements: Mapping[str, Any]) -> None:
    """Swap captured references to ``name``'s replaced originals in every loaded module."""
    saved = state.saved[name]
    swap = {
        id(saved[attr]): value
        for attr, value in replacements.items()
        if callable(saved[attr]) and not isinstance(saved[attr], ModuleType)
    }
    for mod_name, module in _foreign_modules(state):
        namespace = vars(module)
        for key, value in list(namespace.items()):
            new = swap.get(id(value))
            if new is not None and value is not new and not key.startswith("__"):
                state.saved.setdefault(mod_name, {}).setdefault(key, value)
                state.shadows.pop(mod_name, None)
                namespace[key] = new


def warn_leftovers(state: _Patcher, changed: Mapping[str, Mapping[str, Any]], held: list[str]) -> None:
    """Warn, once per module, about blocking objects that patching could not replace.

    Called by the patcher's ``monkey_patch``, itself called by :func:`eventlet.monkey_patch`: the
    ``stacklevel`` of the warnings points at the user's call.
    """
    if held and "threading" not in state.warned:
        state.warned.add("threading")
        warnings.warn(
            "eventlet.monkey_patch(): these locks were held and stay OS-level locks: "
            + ", ".join(held[:10])
            + ("..." if len(held) > 10 else ""),
            MonkeyPatchWarning,
            stacklevel=4,
        )
    if "threading" in changed:
        _warn_os_threads(state)
    for name, replacements in changed.items():
        if name in WARN_FOR and name not in REBIND and name not in state.warned:
            found = _captured(state, name, replacements)
            if found:
                state.warned.add(name)
                warnings.warn(
                    f"{name} was imported before eventlet.monkey_patch(), and these still refer "
                    f"to its blocking originals: {', '.join(found[:10])}"
                    + ("..." if len(found) > 10 else "")
                    + ". Call monkey_patch() before importing them.",
                    MonkeyPatchWarning,
                    stacklevel=4,
                )


def _warn_os_threads(state: _Patcher) -> None:
    threading = sys.modules["threading"]
    green_thread = sys.modules["eventlet.green.thread"]  # loaded: _thread is patched first
    main = threading.main_thread()
    alive = [
        t.name
        for t in threading.enumerate()
        if t is not main
        and not isinstance(t, threading._DummyThread)
        and t.is_alive()
        and green_thread.greenlet_of(t.ident, t) is None  # green threads of eventlet.green.threading
    ]
    if alive and "threading-os" not in state.warned:
        state.warned.add("threading-os")
        warnings.warn(
            "eventlet.monkey_patch(): threads started before patching stay OS threads: " + ", ".join(alive),
            MonkeyPatchWarning,
            stacklevel=5,
        )


def _captured(state: _Patcher, name: str, replacements: Mapping[str, Any]) -> list[str]:
    """Names in other modules, and subclasses, still bound to ``name``'s replaced originals."""
    saved = state.saved[name]
    originals = {
        id(saved[attr]): f"{name}.{attr}"
        for attr in replacements
        if saved[attr] is not MISSING and callable(saved[attr]) and not isinstance(saved[attr], ModuleType)
    }
    found: list[str] = []
    unwarned = state.patched | state.imported_for_hub  # patched, or imported by eventlet itself
    for mod_name, module in _foreign_modules(state):
        if mod_name in unwarned:
            continue
        for key, value in list(vars(module).items()):
            if id(value) not in originals or key.startswith("__"):
                continue
            if getattr(value, "__module__", None) != mod_name:  # not where it is defined
                found.append(f"{mod_name}.{key} ({originals[id(value)]})")
    for attr in replacements:
        cls = saved[attr]
        if isinstance(cls, type):
            subclasses: list[type] = cls.__subclasses__()
            for sub in subclasses:
                home = sys.modules.get(sub.__module__)
                if is_own(sub.__module__) or getattr(home, sub.__name__, None) is not sub:
                    continue
                if sub.__module__ in unwarned:
                    continue
                found.append(f"{sub.__module__}.{sub.__qualname__} (subclass of {name}.{attr})")
    return found
