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
unpatched module and :func:`original_attr` can hand out one original function.

**What patching cannot reach** is a reference taken before it: ``from socket import socket``
executed earlier holds the blocking class.  For ``_thread`` and ``threading`` such references are
rebound in every loaded module (a captured ``allocate_lock`` or ``get_ident`` is harmless to swap),
and the locks that already exist (``logging``'s, handlers', queues') are replaced by green ones
found by walking the garbage collector's objects.  For the other modules a reference left behind
is reported with a :class:`MonkeyPatchWarning` naming it, once.
"""

from __future__ import annotations

import _imp
import importlib
import importlib.abc
import logging
import os
import sys
import warnings
from collections.abc import Iterable, Mapping
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

from eventlet._patch_locks import green_existing_locks

__all__ = [
    "CORE_GREEN_MODULES",
    "MonkeyPatchWarning",
    "import_patched",
    "inject",
    "is_monkey_patched",
    "monkey_patch",
    "original",
    "original_attr",
]

logger = logging.getLogger("eventlet.patcher")

ENTRY_POINT_GROUP = "eventlet.green_modules"

#: Standard module name -> the green module of eventlet-core that replaces it.
CORE_GREEN_MODULES = {
    "os": "eventlet.green.os",
    "select": "eventlet.green.select",
    "selectors": "eventlet.green.selectors",
    "socket": "eventlet.green.socket",
    "_thread": "eventlet.green.thread",
    "threading": "eventlet.green.threading",
    "queue": "eventlet.green.queue",
    "time": "eventlet.green.time",
}

#: monkey_patch() keyword -> the standard modules it patches, in order.  A green module from an
#: entry point whose name is in no group gets a keyword of its own name.
KEYWORD_MODULES: dict[str, tuple[str, ...]] = {
    "os": ("os",),
    "select": ("select", "selectors"),
    "socket": ("socket", "ssl"),
    "thread": ("_thread", "threading", "queue"),
    "time": ("time",),
    "subprocess": ("subprocess",),
    "builtins": ("builtins",),
    "MySQLdb": ("MySQLdb",),
    "psycopg": (),
}

#: Modules whose captured references are rebound everywhere instead of being warned about.
_REBIND = frozenset({"_thread", "threading"})
#: Modules for which a captured reference left behind is worth a warning.
_WARN_FOR = frozenset({"threading", "socket", "ssl"})
#: Standard modules that eventlet's own code gets as fresh unpatched imports (see protect_own_modules).
_FRESH = frozenset({"threading", "queue"})

_MISSING: Any = object()


class MonkeyPatchWarning(RuntimeWarning):
    """Some blocking object survives monkey patching (it was imported or created too early)."""


def _is_own(name: str) -> bool:
    return name == "eventlet" or name.startswith("eventlet.")


class _Patcher:
    """The process's patching state: what was patched, the original values, the original modules."""

    def __init__(self) -> None:
        self.saved: dict[str, dict[str, Any]] = {}  # module -> attribute -> original value
        self.patched: set[str] = set()  # standard modules patched
        self.keywords: set[str] = set()  # monkey_patch keywords applied
        self.originals: dict[str, ModuleType] = {}
        self.warned: set[str] = set()
        self.shadows: dict[str, ModuleType] = {}
        self.shadow_names: dict[int, str] = {}  # id of every shadow ever made -> module name
        self.all_shadows: list[ModuleType] = []  # keeps those ids valid
        self.finder: _OwnModuleFinder | None = None
        self._green_names: dict[str, list[str]] | None = None

    # -------------------------------------------------------------- discovering green modules
    def green_module_names(self) -> dict[str, list[str]]:
        """Standard module name -> green module paths: the core's first, then the entry points'.

        Several distributions may green parts of one module (eventlet-processes adds ``waitpid``
        to ``os``); monkey_patch applies them all, in that order.
        """
        if self._green_names is None:
            table = {name: [path] for name, path in CORE_GREEN_MODULES.items()}
            from importlib.metadata import entry_points

            for entry in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.value):
                paths = table.setdefault(entry.name, [])
                if entry.value not in paths:
                    paths.append(entry.value)
            self._green_names = table
        return self._green_names

    def keyword_table(self) -> dict[str, tuple[str, ...]]:
        table = dict(KEYWORD_MODULES)
        grouped = {name for names in table.values() for name in names}
        for name in self.green_module_names():
            if name not in grouped:
                table[name] = (name,)
        return table

    def load_green(self, name: str) -> list[ModuleType]:
        """The green modules replacing parts of standard module ``name`` that are installed."""
        modules = []
        for path in self.green_module_names().get(name, ()):
            try:
                modules.append(importlib.import_module(path))
            except ModuleNotFoundError as exc:
                if exc.name != path:
                    raise
                logger.warning("Green module %s for %r is not installed", path, name)
        return modules

    # -------------------------------------------------------------- patching
    def monkey_patch(self, all: bool | None, on: Mapping[str, bool]) -> None:
        if os.environ.get("EVENTLET_NO_PATCH", "").strip().lower() not in ("", "0", "false", "no"):
            logger.info("EVENTLET_NO_PATCH is set: monkey_patch() does nothing")
            return
        table = self.keyword_table()
        for keyword in on:
            if keyword not in table:
                raise TypeError(f"monkey_patch() got an unexpected keyword argument {keyword!r}")
        default = (True not in on.values()) if all is None else bool(all)
        chosen = [kw for kw in table if on.get(kw, default) and kw not in self.keywords]
        import eventlet.hubs  # noqa: F401 - the hub registry must hold OS-thread locals

        plan: list[tuple[str, ModuleType]] = []
        for keyword in chosen:
            for name in table[keyword]:
                if name in self.patched:
                    continue
                greens = self.load_green(name)
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
            changed.setdefault(name, {}).update(self.patch_module(name, green))
        if "psycopg" in chosen:
            _patch_psycopg()
        self.keywords.update(chosen)
        self.protect_own_modules(module for name, module in self._own_modules())
        if self.finder is None and self.patched:
            self.finder = _OwnModuleFinder(self)
            sys.meta_path.insert(0, self.finder)
        held: list[str] = []
        if "_thread" in changed:
            held = green_existing_locks(self.saved["_thread"], sys.modules["eventlet.green.thread"])
        self.warn_leftovers(changed, held)

    def patch_module(self, name: str, green: ModuleType) -> dict[str, Any]:
        """Copy ``green``'s replacements into standard module ``name``; return {attr: new value}."""
        target = sys.modules[name]
        replacements = {}
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
        saved = self.saved.setdefault(name, {})
        for attr, value in replacements.items():
            if attr not in saved:
                saved[attr] = getattr(target, attr, _MISSING)
            setattr(target, attr, value)
        self.patched.add(name)
        self.originals.pop(name, None)
        self.shadows.pop(name, None)
        if name in _REBIND:
            self.rebind_aliases(name, replacements)
        logger.debug("Patched %s: %s", name, ", ".join(sorted(replacements)))
        return replacements

    def _own_modules(self) -> list[tuple[str, ModuleType]]:
        return [
            (name, module)
            for name, module in list(sys.modules.items())
            if _is_own(name) and isinstance(module, ModuleType)
        ]

    def protect_own_modules(self, modules: Iterable[ModuleType]) -> None:
        """Point eventlet's own modules at unpatched views of the standard modules they import.

        Eventlet's code must reach the blocking originals (``select.epoll``, ``os.read``,
        OS threads): each global of an eventlet module that is a patched standard module becomes
        that module's :meth:`shadow`, or for ``threading`` and ``queue``, whose classes reach the
        patched ``_thread`` through their module's globals, the :meth:`original` module.
        """
        stdlib = {id(sys.modules[name]): name for name in self.patched if name in sys.modules}
        if not stdlib:
            return
        for module in modules:
            namespace = vars(module)
            for key, value in list(namespace.items()):
                name = stdlib.get(id(value)) or self.shadow_names.get(id(value))
                if name is not None and not key.startswith("__"):
                    namespace[key] = self.original(name) if name in _FRESH else self.shadow(name)

    def _foreign_modules(self) -> Iterable[tuple[str, ModuleType]]:
        """Loaded modules that are neither eventlet's nor the original copies."""
        copies = {id(m) for m in self.originals.values()}
        for mod_name, module in list(sys.modules.items()):
            if isinstance(module, ModuleType) and not _is_own(mod_name) and id(module) not in copies:
                yield mod_name, module

    def rebind_aliases(self, name: str, replacements: Mapping[str, Any]) -> None:
        """Swap captured references to ``name``'s replaced originals in every loaded module."""
        saved = self.saved[name]
        swap = {
            id(saved[attr]): value
            for attr, value in replacements.items()
            if callable(saved[attr]) and not isinstance(saved[attr], ModuleType)
        }
        for mod_name, module in self._foreign_modules():
            namespace = vars(module)
            for key, value in list(namespace.items()):
                new = swap.get(id(value))
                if new is not None and value is not new and not key.startswith("__"):
                    self.saved.setdefault(mod_name, {}).setdefault(key, value)
                    self.shadows.pop(mod_name, None)
                    namespace[key] = new

    def warn_leftovers(self, changed: Mapping[str, Mapping[str, Any]], held: list[str]) -> None:
        """Warn, once per module, about blocking objects that patching could not replace."""
        if held and "threading" not in self.warned:
            self.warned.add("threading")
            warnings.warn(
                "eventlet.monkey_patch(): these locks were held and stay OS-level locks: "
                + ", ".join(held[:10])
                + ("..." if len(held) > 10 else ""),
                MonkeyPatchWarning,
                stacklevel=4,
            )
        if "threading" in changed:
            self._warn_os_threads()
        for name, replacements in changed.items():
            if name in _WARN_FOR and name not in _REBIND and name not in self.warned:
                found = self._captured(name, replacements)
                if found:
                    self.warned.add(name)
                    warnings.warn(
                        f"{name} was imported before eventlet.monkey_patch(), and these still refer "
                        f"to its blocking originals: {', '.join(found[:10])}"
                        + ("..." if len(found) > 10 else "")
                        + ". Call monkey_patch() before importing them.",
                        MonkeyPatchWarning,
                        stacklevel=4,
                    )

    def _warn_os_threads(self) -> None:
        threading = sys.modules["threading"]
        main = threading.main_thread()
        alive = [
            t.name
            for t in threading.enumerate()
            if t is not main and not isinstance(t, threading._DummyThread) and t.is_alive()
        ]
        if alive and "threading-os" not in self.warned:
            self.warned.add("threading-os")
            warnings.warn(
                "eventlet.monkey_patch(): threads started before patching stay OS threads: "
                + ", ".join(alive),
                MonkeyPatchWarning,
                stacklevel=5,
            )

    def _captured(self, name: str, replacements: Mapping[str, Any]) -> list[str]:
        """Names in other modules, and subclasses, still bound to ``name``'s replaced originals."""
        saved = self.saved[name]
        originals = {
            id(saved[attr]): f"{name}.{attr}"
            for attr in replacements
            if saved[attr] is not _MISSING
            and callable(saved[attr])
            and not isinstance(saved[attr], ModuleType)
        }
        found: list[str] = []
        for mod_name, module in self._foreign_modules():
            if mod_name in self.patched:
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
                    if _is_own(sub.__module__) or getattr(home, sub.__name__, None) is not sub:
                        continue
                    if sub.__module__ in self.patched:
                        continue
                    found.append(f"{sub.__module__}.{sub.__qualname__} (subclass of {name}.{attr})")
        return found

    # -------------------------------------------------------------- originals and copies
    def original_attr(self, module_name: str, attr: str, default: Any = _MISSING) -> Any:
        saved = self.saved.get(module_name, {}).get(attr, _MISSING)
        if saved is not _MISSING:
            return saved
        module = sys.modules.get(module_name) or importlib.import_module(module_name)
        if default is _MISSING:
            return getattr(module, attr)
        return getattr(module, attr, default)

    def shadow(self, name: str) -> ModuleType:
        """A module object holding ``name``'s current namespace with the originals put back.

        Everything but the patched attributes is the very same object as in the real module.
        """
        cached = self.shadows.get(name)
        if cached is not None:
            return cached
        current = sys.modules.get(name) or importlib.import_module(name)
        copy = ModuleType(name, current.__doc__)
        namespace = vars(copy)
        namespace.update(vars(current))
        for attr, value in self.saved.get(name, {}).items():
            if value is _MISSING:
                namespace.pop(attr, None)
            else:
                namespace[attr] = value
        self.shadows[name] = copy
        self.shadow_names[id(copy)] = name
        self.all_shadows.append(copy)
        return copy

    def original(self, name: str) -> ModuleType:
        cached = self.originals.get(name)
        if cached is not None:
            return cached
        replacements = {
            # queue's classes must be built on the original threading, not on a shadow of it
            other: self.original(other) if other == "threading" else self.shadow(other)
            for other in self.saved
            if other != name
        }
        current = sys.modules.get(name)
        if name in self.saved and getattr(current, "__file__", None) is None:
            module = self.shadow(name)  # a built-in module cannot be executed again
        elif name in self.saved and not str(current.__file__).endswith(".py"):  # type: ignore[union-attr]
            module = self.shadow(name)  # nor can an extension module
        else:
            module = import_fresh(name, replacements)
        self.originals[name] = module
        self.shadow_names[id(module)] = name
        self.all_shadows.append(module)
        return module

    def default_green_modules(self) -> list[tuple[str, ModuleType]]:
        pairs = []
        for name in ("os", "select", "selectors", "socket", "ssl", "_thread", "threading", "time"):
            greens = self.load_green(name)
            if greens:
                pairs.append((name, greens[0]))
        return pairs


class _ProtectingLoader(importlib.abc.Loader):
    """Wraps the loader of an eventlet module imported after patching (see protect_own_modules)."""

    def __init__(self, inner: Any, state: _Patcher) -> None:
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


class _OwnModuleFinder(importlib.abc.MetaPathFinder):
    """Finds eventlet's modules with the other finders and wraps their loaders."""

    def __init__(self, state: _Patcher) -> None:
        self.state = state

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> ModuleSpec | None:
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


_state = _Patcher()


def _patched_names(green: ModuleType, target: ModuleType) -> list[str]:
    names = getattr(green, "__patched__", None)
    if names is not None:
        return list(names)
    chosen = []
    for attr, value in vars(green).items():
        if attr.startswith("_") or isinstance(value, ModuleType) or not hasattr(target, attr):
            continue
        if getattr(target, attr) is not value:
            chosen.append(attr)
    return chosen


def _binds_green(module: Any, green_ids: set[int]) -> bool:
    for value in list(vars(module).values()):
        if id(value) in green_ids or _is_own(str(getattr(value, "__module__", "") or "")):
            return True
    return False


def import_fresh(name: str, replacements: Mapping[str, ModuleType]) -> ModuleType:
    """Import ``name`` anew while ``sys.modules`` answers with ``replacements``; leave no trace.

    Modules imported along the way that bound one of the replacements are dropped from
    ``sys.modules`` again, so that a later ordinary import does not get a green dependency.
    """
    parent_name, _, child = name.rpartition(".")
    parent = importlib.import_module(parent_name) if parent_name else None
    parent_attr = getattr(parent, child, _MISSING) if parent is not None else _MISSING
    saved = {key: sys.modules.get(key, _MISSING) for key in (name, *replacements)}
    green_ids = {id(module) for module in replacements.values()}
    _imp.acquire_lock()
    try:
        before = set(sys.modules)
        sys.modules.update(replacements)
        sys.modules.pop(name, None)
        try:
            module = importlib.import_module(name)
        finally:
            for key, value in saved.items():
                if value is _MISSING:
                    sys.modules.pop(key, None)
                else:
                    sys.modules[key] = value
            for key in set(sys.modules) - before:
                if _binds_green(sys.modules[key], green_ids):
                    _forget(key)
            if parent is not None:
                if parent_attr is _MISSING:
                    vars(parent).pop(child, None)
                else:
                    setattr(parent, child, parent_attr)
    finally:
        _imp.release_lock()
    return module


def _forget(name: str) -> None:
    module = sys.modules.pop(name)
    parent_name, _, child = name.rpartition(".")
    parent = sys.modules.get(parent_name)
    if parent is not None and getattr(parent, child, None) is module:
        delattr(parent, child)


def _psycopg_wait(conn: Any, timeout: float | None = None) -> None:
    """psycopg2's wait callback: poll the connection, waiting greenly on its socket."""
    extensions = importlib.import_module("psycopg2.extensions")
    operational_error = importlib.import_module("psycopg2").OperationalError

    from eventlet.hubs import trampoline

    while True:
        state = conn.poll()
        if state == extensions.POLL_OK:
            return
        if state == extensions.POLL_READ:
            trampoline(conn.fileno(), read=True)
        elif state == extensions.POLL_WRITE:
            trampoline(conn.fileno(), write=True)
        else:
            raise operational_error(f"Bad result from poll: {state!r}")


def _patch_psycopg() -> bool:
    """Make psycopg2 and psycopg 3 wait on their sockets through the hub; True if either is there."""
    patched = _patch_psycopg3()
    try:
        extensions = importlib.import_module("psycopg2.extensions")
    except ImportError:
        logger.debug("psycopg2 is not installed: nothing to patch")
        return patched
    extensions.set_wait_callback(_psycopg_wait)
    return True


def _patch_psycopg3() -> bool:
    """psycopg 3 waits in C (blocking the OS thread) unless told otherwise: choose its poll() waiter.

    ``select.poll`` is green once ``select`` is patched, so its ``wait_poll`` cooperates.  If
    psycopg is already imported its choice is replaced; otherwise ``PSYCOPG_WAIT_FUNC`` (read by
    psycopg at import) is set, unless the user set it.
    """
    waiting: Any = sys.modules.get("psycopg.waiting")
    if waiting is None:
        os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_poll")
        return False
    waiting.wait = waiting.wait_poll
    if hasattr(waiting, "_ready_poll"):
        waiting._ready = waiting._ready_poll
    return True


# ------------------------------------------------------------------------------------ public API
def monkey_patch(all: bool | None = None, **on: bool) -> None:
    """Replace blocking parts of the standard library with green ones, for the whole process.

    Keywords choose groups: ``os``, ``select`` (``select`` and ``selectors``), ``socket``
    (``socket``, and ``ssl`` when eventlet-ssl is installed), ``thread`` (``_thread``,
    ``threading``, ``queue``), ``time``, ``subprocess`` (with eventlet-processes), ``psycopg``
    (psycopg2's wait callback), ``builtins`` and ``MySQLdb`` (patched only if some distribution
    registers a green module of that name), plus any module registered in the
    ``eventlet.green_modules`` entry-point group.  Without keywords, everything is patched; if
    any keyword is true, only those; ``all=`` sets the default for the rest explicitly.

    Calling it again patches only what was not patched yet.  With ``EVENTLET_NO_PATCH=1`` in the
    environment it does nothing (and logs so).
    """
    _state.monkey_patch(all, on)


def is_monkey_patched(module: str | ModuleType) -> bool:
    """True if ``module`` (a name, a keyword such as ``"thread"``, or a module) has been patched."""
    name = module if isinstance(module, str) else module.__name__
    return name in _state.patched or name in _state.keywords


def original(name: str) -> ModuleType:
    """The unpatched module ``name``: imported afresh (or rebuilt, for built-ins) and cached."""
    return _state.original(name)


def original_attr(module_name: str, attr: str, default: Any = _MISSING) -> Any:
    """The original (unpatched) value of ``module_name.attr``; ``default`` if it has none."""
    return _state.original_attr(module_name, attr, default)


def inject(
    module_name: str, new_globals: dict[str, Any] | None, *additional_modules: tuple[str, ModuleType]
) -> ModuleType:
    """Import a private copy of ``module_name`` whose imports of the named modules get the given ones.

    ``additional_modules`` are ``(name, module)`` pairs (default: every green module installed).
    If ``new_globals`` is a dict, the copy's names are copied into it too.
    """
    pairs = additional_modules or tuple(_state.default_green_modules())
    module = import_fresh(module_name, dict(pairs))
    if new_globals is not None:
        for key, value in vars(module).items():
            if not (key.startswith("__") and key.endswith("__")):
                new_globals[key] = value
    return module


def import_patched(
    module_name: str, *additional_modules: tuple[str, ModuleType], **kw_additional_modules: ModuleType
) -> ModuleType:
    """A private copy of ``module_name`` built on green modules; the process stays unpatched.

    ``import_patched("http.client")`` uses every green module installed; give ``(name, module)``
    pairs or ``name=module`` keywords to choose which standard modules are replaced.
    """
    pairs = tuple(additional_modules) + tuple(kw_additional_modules.items())
    return inject(module_name, None, *pairs)
