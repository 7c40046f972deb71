"""Monkey patching: make the standard library's blocking modules cooperate with green threads.

Two tools, for two needs:

* :func:`monkey_patch` changes the standard library *in place*, for the whole process: it sets
  attributes of ``socket``, ``threading``, ``time``... to their green versions, so that every
  module, imported before or after, that looks them up at call time (``socket.socket(...)``)
  gets the green one.
* :func:`import_patched` leaves the process alone and returns a *private copy* of one module whose
  imports of ``socket``, ``threading``... were answered with the green modules.

**Green modules.**  Each replaces one standard module.  The core ones ship here (see
``CORE_GREEN_MODULES``); other distributions add theirs through the entry-point group
``eventlet.green_modules`` (``ssl = "eventlet.green.ssl"``), so core never imports them.  A green
module exposes replacement attributes; its optional ``__patched__`` list names those to copy into
the standard module (default: every public name it defines that the standard module also has),
and an optional ``__patch_module__(stdlib_module) -> dict`` computes further replacements from the
standard module itself.  The original values are kept, so :func:`original` can rebuild the
unpatched module and :func:`original_attr` can hand out one original function.  A green module
whose library is not installed (``eventlet.green.OpenSSL`` without pyOpenSSL) is skipped.

**What patching cannot reach** is a reference taken before it: ``from socket import socket``
executed earlier holds the blocking class.  For ``_thread`` and ``threading`` such references are
rebound in every loaded module (a captured ``allocate_lock`` or ``get_ident`` is harmless to swap),
and the locks that already exist (``logging``'s, handlers', queues') are replaced by green ones
found by walking the garbage collector's objects.  For the other modules a reference left behind
is reported with a :class:`MonkeyPatchWarning` naming it, once.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from eventlet._patching import green as _green
from eventlet._patching.green import ENTRY_POINT_GROUP as ENTRY_POINT_GROUP
from eventlet._patching.green import EXPLICIT_ONLY as _EXPLICIT_ONLY
from eventlet._patching.green import KEYWORD_MODULES as KEYWORD_MODULES
from eventlet._patching.green import patched_names as _patched_names
from eventlet._patching.imports import MISSING as _MISSING
from eventlet._patching.imports import OwnModuleFinder, is_own
from eventlet._patching.imports import import_fresh as import_fresh
from eventlet._patching.leftovers import REBIND as _REBIND
from eventlet._patching.leftovers import MonkeyPatchWarning as MonkeyPatchWarning
from eventlet._patching.leftovers import rebind_aliases, warn_leftovers
from eventlet._patching.locks import green_existing_locks as green_existing_locks
from eventlet._patching.psycopg import patch_psycopg as _patch_psycopg
from eventlet._patching.psycopg import psycopg_wait as _psycopg_wait  # noqa: F401 - tests check identity
from eventlet._patching.state import STATE, PatchState
from eventlet._patching.state import import_patched as import_patched
from eventlet._patching.state import inject as inject
from eventlet._patching.state import original as original
from eventlet._patching.state import original_attr as original_attr

# The work is shared with the private modules of eventlet._patching, each with its own notes: state
# (the patching state, original() and inject(): what the rest of eventlet imports instead of this
# module), green (which green modules exist, the keywords), imports (fresh imports, guarding
# eventlet's later imports), leftovers (captured references: rebinding, warnings), locks (greening
# existing locks), originals (shadows, originals, modules isolated on them: asyncio's), psycopg (the
# PostgreSQL drivers).  This module does the monkey patching and keeps the public API; the private
# names above stay importable from here (_state is the process's state, _Patcher its class).

__all__ = [
    "CORE_GREEN_MODULES",
    "MonkeyPatchWarning",
    "already_patched",
    "import_patched",
    "inject",
    "is_monkey_patched",
    "monkey_patch",
    "original",
    "original_attr",
]

logger: logging.Logger = logging.getLogger("eventlet.patcher")

#: The process's patching state, and its class (private names, kept for the tests and tools).
_state: PatchState = STATE
_Patcher = PatchState

#: Standard module name -> the green module of eventlet-core that replaces it.
CORE_GREEN_MODULES = _green.CORE_GREEN_MODULES

# Public names defined in the private modules are shown (repr, docs) as this module's.
for _public in (MonkeyPatchWarning, import_fresh, original, original_attr, inject, import_patched):
    _public.__module__ = __name__
del _public


def _monkey_patch(state: PatchState, all: bool | None, on: Mapping[str, bool]) -> None:
    """:func:`monkey_patch`'s work, on the process's ``state``."""
    if os.environ.get("EVENTLET_NO_PATCH", "").strip().lower() not in ("", "0", "false", "no"):
        logger.info("EVENTLET_NO_PATCH is set: monkey_patch() does nothing")
        return
    on = dict(on)
    if "__builtin__" in on:  # the Python 2 name, still accepted upstream
        if "builtins" in on:
            raise TypeError("monkey_patch() got both builtins and __builtin__")
        on["builtins"] = on.pop("__builtin__")
    table = state.keyword_table()
    for keyword in on:
        if keyword not in table:
            raise TypeError(f"monkey_patch() got an unexpected keyword argument {keyword!r}")
    default = (True not in on.values()) if all is None else bool(all)
    chosen = [
        kw for kw in table if on.get(kw, default and kw not in _EXPLICIT_ONLY) and kw not in state.keywords
    ]
    import eventlet.hubs  # the hub registry must hold OS-thread locals

    if chosen:
        eventlet.hubs._before_monkey_patch()  # the asyncio hub keeps asyncio unpatched
    plan: list[tuple[str, ModuleType]] = []
    for keyword in chosen:
        for name in table[keyword]:
            if name in state.patched:
                continue
            greens = state.load_green(name)
            if not greens:
                if on.get(keyword) and name == keyword:
                    logger.warning("monkey_patch(%s=True): no green module is installed", keyword)
                continue
            try:
                importlib.import_module(name)
            except ImportError:
                logger.debug("Not patching %s: it cannot be imported", name)
                continue
            plan.extend((name, green) for green in greens)
    changed: dict[str, dict[str, Any]] = {}
    for name, green in plan:
        changed.setdefault(name, {}).update(_patch_module(state, name, green))
    for keyword in chosen:
        # psycopg counts as patched only once a driver took the hook (retried on every call).
        if keyword != "psycopg" or _patch_psycopg():
            state.keywords[keyword] = True
    state.protect_own_modules(module for name, module in _own_modules())
    if state.finder is None and state.patched:
        state.finder = OwnModuleFinder(state)
        sys.meta_path.insert(0, state.finder)
    held: list[str] = []
    if "_thread" in changed:
        # The import system's locks stay OS locks: a green wait inside an import could need
        # an import itself (the hub's module), and two OS threads importing must exclude
        # each other for real.
        importlib._bootstrap._thread = state.shadow("_thread")  # type: ignore[attr-defined]
        held = green_existing_locks(
            state.saved["_thread"], sys.modules["eventlet.green.thread"], state.kept_unpatched()
        )
    warn_leftovers(state, changed, held)


def _patch_module(state: PatchState, name: str, green: ModuleType) -> dict[str, Any]:
    """Copy ``green``'s replacements into standard module ``name``; return {attr: new value}."""
    target = sys.modules[name]
    replacements: dict[str, Any] = {}
    for attr in _patched_names(green, target):
        try:
            replacements[attr] = getattr(green, attr)
        except AttributeError:
            raise AttributeError(
                f"green module {green.__name__} lists {attr!r} in __patched__ but lacks it"
            ) from None
    hook = getattr(green, "__patch_module__", None)
    if hook is not None:
        replacements.update(hook(target))
    # Names the green module removes (blocking objects it has no green version of).
    for attr in getattr(green, "__deleted__", ()):
        if hasattr(target, attr):
            replacements[attr] = _MISSING
    saved = state.saved.setdefault(name, {})
    for attr, value in replacements.items():
        if attr not in saved:
            saved[attr] = getattr(target, attr, _MISSING)
        if value is _MISSING:
            delattr(target, attr)
        else:
            setattr(target, attr, value)
    state.patched.add(name)
    state.changes += 1
    state.shadows.pop(name, None)  # originals stay: they were made unpatched for good
    if name in _REBIND:
        rebind_aliases(state, name, replacements)
    logger.debug("Patched %s: %s", name, ", ".join(sorted(replacements)))
    return replacements


def _own_modules() -> list[tuple[str, ModuleType]]:
    return [
        (name, module)
        for name, module in list(sys.modules.items())
        if is_own(name) and isinstance(module, ModuleType)
    ]


#: The ``monkey_patch()`` keywords applied so far, each mapped to True (upstream's name and shape).
already_patched: dict[str, bool] = _state.keywords


# ------------------------------------------------------------------------------------ public API
def monkey_patch(all: bool | None = None, **on: bool) -> None:
    """Replace blocking parts of the standard library with green ones, for the whole process.

    Keywords choose groups: ``os``, ``select`` (``select`` and ``selectors``), ``socket``
    (``socket``, and ``ssl`` when eventlet-ssl is installed), ``thread`` (``_thread``,
    ``threading``, ``queue``), ``time``, ``subprocess`` (with eventlet-processes), ``psycopg``
    (psycopg2's wait callback, psycopg 3's waiter), ``builtins`` (``open`` tells the hub about
    each file descriptor it opens; ``__builtin__`` is accepted too) and ``MySQLdb`` (patched only
    if some distribution registers a green module of that name), plus any module registered in the
    ``eventlet.green_modules`` entry-point group.  Without keywords, everything is patched but
    ``builtins`` and ``MySQLdb``, which are patched only when asked for by name; if any keyword is
    true, only those; ``all=`` sets the default for the rest explicitly.

    A green module whose third-party library is not installed (pyOpenSSL, a database driver) is
    skipped: there is nothing of it to patch.  Calling it again patches only what was not patched
    yet; :data:`already_patched` lists the keywords applied.  With ``EVENTLET_NO_PATCH=1`` in the
    environment it does nothing (and logs so).
    """
    _monkey_patch(_state, all, on)


def is_monkey_patched(module: str | ModuleType) -> bool:
    """True if ``module`` (a name, a keyword such as ``"thread"``, or a module) has been patched.

    ``"psycopg"`` is true only once a PostgreSQL driver took the green wait hook.
    """
    name = module if isinstance(module, str) else module.__name__
    return name in _state.patched or name in _state.keywords
