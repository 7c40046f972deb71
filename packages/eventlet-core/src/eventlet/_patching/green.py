"""Which green modules exist, and which standard modules each ``monkey_patch()`` keyword covers.

A green module replaces (parts of) one standard module.  The core's are listed in
:data:`CORE_GREEN_MODULES`; other distributions register theirs in the entry-point group
:data:`ENTRY_POINT_GROUP` (``ssl = "eventlet.green.ssl"``), so that core never imports them and a
missing distribution is simply absent.  Several green modules may share one standard module
(eventlet-processes greens ``os.waitpid`` next to core's ``os``): they are applied in order, the
core's first, then the entry points' sorted by module path.

:data:`KEYWORD_MODULES` groups standard modules under ``monkey_patch()``'s keywords; a module
registered by an entry point and in no group gets a keyword of its own name.

:class:`GreenModules` holds the table, read from the entry points once, and loads the modules;
the patcher's state is built on it.  :func:`patched_names` says which attributes of a green module
are copied into the standard one.
"""

from __future__ import annotations

import importlib
import logging
from types import ModuleType

__all__ = [
    "CORE_GREEN_MODULES",
    "ENTRY_POINT_GROUP",
    "EXPLICIT_ONLY",
    "KEYWORD_MODULES",
    "GreenModules",
    "patched_names",
]

logger = logging.getLogger("eventlet.patcher")

#: The entry-point group where distributions register green modules (standard name = module path).
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
    "builtins": "eventlet.green.builtin",
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

#: Keywords that a bare ``monkey_patch()`` (or ``all=True``) leaves alone: only ``name=True`` patches
#: them, as upstream eventlet does (``open`` and the MySQL driver are not everyone's business).
EXPLICIT_ONLY = frozenset({"builtins", "MySQLdb"})

#: The standard modules that ``inject()``/``import_patched()`` replace by default, in order.
_DEFAULT_INJECTED = ("os", "select", "selectors", "socket", "ssl", "_thread", "threading", "time")


class GreenModules:
    """The green modules installed: found once (core's table plus entry points), loaded on demand."""

    def __init__(self) -> None:
        self._green_names: dict[str, list[str]] | None = None

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
        """monkey_patch() keyword -> standard modules: :data:`KEYWORD_MODULES` plus entry points'."""
        table = dict(KEYWORD_MODULES)
        grouped = {name for names in table.values() for name in names}
        for name in self.green_module_names():
            if name not in grouped:
                table[name] = (name,)
        return table

    def load_green(self, name: str) -> list[ModuleType]:
        """The green modules replacing parts of standard module ``name`` that are installed.

        A green module whose library is not installed (``eventlet.green.OpenSSL`` without
        pyOpenSSL) is skipped: there is nothing of it to patch.  A green module that is not
        installed is skipped with a warning; any other missing module is an error.
        """
        modules = []
        for path in self.green_module_names().get(name, ()):
            try:
                modules.append(importlib.import_module(path))
            except ModuleNotFoundError as exc:
                missing = exc.name or ""
                if missing.partition(".")[0] == name.partition(".")[0] and missing != path:
                    # The library it greens is not installed (pyOpenSSL, say): nothing to patch.
                    logger.debug("Green module %s skipped: %r is not installed", path, missing)
                    continue
                if missing != path:
                    raise
                logger.warning("Green module %s for %r is not installed", path, name)
        return modules

    def default_green_modules(self) -> list[tuple[str, ModuleType]]:
        """``(standard name, first green module)`` for each module ``inject()`` replaces by default."""
        pairs = []
        for name in _DEFAULT_INJECTED:
            greens = self.load_green(name)
            if greens:
                pairs.append((name, greens[0]))
        return pairs


def patched_names(green: ModuleType, target: ModuleType) -> list[str]:
    """The attributes of ``green`` to copy into standard module ``target``.

    ``green.__patched__`` if it has one; otherwise every public, non-module name it defines that
    ``target`` also has with a different value.
    """
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
