"""Eventlet: concurrent networking with green threads, written as plain blocking code.

Everything here is imported lazily (PEP 562): ``import eventlet`` creates no hub, starts no thread,
patches nothing and prints nothing; the first use of a name imports the module that defines it.
That includes the submodules: as with upstream eventlet, where ``import eventlet`` imports most of
them, ``eventlet.greenpool``, ``eventlet.hubs``, ``eventlet.wsgi`` (with eventlet-httpd installed)
and the rest are attributes of the package, imported the first time they are read.
``eventlet.greenlet`` is the ``greenlet`` module, as upstream.
"""

# pkgutil-style namespace: find eventlet/ in every sys.path entry, so that the other distributions'
# subpackages (eventlet.httpd, eventlet.ssl, ...) import from wheels and from editable checkouts alike.
# Written out rather than calling pkgutil.extend_path, whose imports cost more than the rest of this
# module; it does the same for the plain directory entries that installs put on sys.path.
_entry = _dir = None
for _entry in __import__("sys").path:
    if isinstance(_entry, str):
        _dir = __import__("os").path.join(_entry or ".", __name__)
        if _dir not in __path__ and __import__("os").path.isdir(_dir):
            __path__.append(_dir)
del _entry, _dir

# Upstream eventlet's files in our folder (installed over or under ours): refuse, with the repair
# (eventlet._coinstall).  Two stats, for its UPSTREAM_MARKERS, files only upstream ships.
_exists = __import__("os").path.exists
if _exists(__path__[0] + "/_version.py") or _exists(__path__[0] + "/support/stacklesss.py"):
    from eventlet._coinstall import check_package

    check_package()
del _exists

TYPE_CHECKING = False

#: Numbered above upstream eventlet's 0.x releases, so that clients gating on its version accept it.
__version__ = "1.0.0"
version_info: tuple[int, int, int] = (1, 0, 0)

#: Public name -> the module that defines it.
_EXPORTS = {
    "GreenThread": "eventlet.greenthread",
    "getcurrent": "eventlet.greenthread",
    "kill": "eventlet.greenthread",
    "sleep": "eventlet.greenthread",
    "spawn": "eventlet.greenthread",
    "spawn_after": "eventlet.greenthread",
    "spawn_after_local": "eventlet.greenthread",
    "spawn_n": "eventlet.greenthread",
    "Timeout": "eventlet.timeout",
    "is_timeout": "eventlet.timeout",
    "with_timeout": "eventlet.timeout",
    "wrap_is_timeout": "eventlet.timeout",
    "Event": "eventlet.event",
    "Semaphore": "eventlet.semaphore",
    "BoundedSemaphore": "eventlet.semaphore",
    "CappedSemaphore": "eventlet.semaphore",
    "Queue": "eventlet.queue",
    "LightQueue": "eventlet.queue",
    "GreenPool": "eventlet.greenpool",
    "GreenPile": "eventlet.greenpool",
    "TaskGroup": "eventlet.taskgroup",
    "connect": "eventlet.convenience",
    "listen": "eventlet.convenience",
    "serve": "eventlet.convenience",
    "StopServe": "eventlet.convenience",
    "monkey_patch": "eventlet.patcher",
    "import_patched": "eventlet.patcher",
    "wrap_ssl": "eventlet.ssl",
}

#: What ``from eventlet import *`` gives: written out, so that type checkers can read it (the same
#: names as ``_EXPORTS``: tests/core/test_package.py checks it).
__all__ = [
    "BoundedSemaphore",
    "CappedSemaphore",
    "Event",
    "GreenPile",
    "GreenPool",
    "GreenThread",
    "LightQueue",
    "Queue",
    "Semaphore",
    "StopServe",
    "TaskGroup",
    "Timeout",
    "connect",
    "getcurrent",
    "import_patched",
    "is_timeout",
    "kill",
    "listen",
    "monkey_patch",
    "serve",
    "sleep",
    "spawn",
    "spawn_after",
    "spawn_after_local",
    "spawn_n",
    "with_timeout",
    "wrap_is_timeout",
    "wrap_ssl",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    # Explicit re-exports (``import x as x``): what mypy --strict and pyright accept from user code.
    # At run time, __getattr__ below imports each name on first use instead.
    from collections.abc import Callable, Mapping
    from typing import Any

    import greenlet as greenlet

    from eventlet import convenience as convenience
    from eventlet import event as event
    from eventlet import green as green
    from eventlet import greenio as greenio
    from eventlet import greenpool as greenpool
    from eventlet import greenthread as greenthread
    from eventlet import hubs as hubs
    from eventlet import patcher as patcher
    from eventlet import queue as queue
    from eventlet import semaphore as semaphore
    from eventlet import support as support
    from eventlet import timeout as timeout
    from eventlet.convenience import StopServe as StopServe
    from eventlet.convenience import connect as connect
    from eventlet.convenience import listen as listen
    from eventlet.convenience import serve as serve
    from eventlet.event import Event as Event
    from eventlet.greenpool import GreenPile as GreenPile
    from eventlet.greenpool import GreenPool as GreenPool
    from eventlet.greenthread import GreenThread as GreenThread
    from eventlet.greenthread import getcurrent as getcurrent
    from eventlet.greenthread import kill as kill
    from eventlet.greenthread import sleep as sleep
    from eventlet.greenthread import spawn as spawn
    from eventlet.greenthread import spawn_after as spawn_after
    from eventlet.greenthread import spawn_after_local as spawn_after_local
    from eventlet.greenthread import spawn_n as spawn_n
    from eventlet.patcher import import_patched as import_patched
    from eventlet.patcher import monkey_patch as monkey_patch
    from eventlet.queue import LightQueue as LightQueue
    from eventlet.queue import Queue as Queue
    from eventlet.semaphore import BoundedSemaphore as BoundedSemaphore
    from eventlet.semaphore import CappedSemaphore as CappedSemaphore
    from eventlet.semaphore import Semaphore as Semaphore
    from eventlet.ssl import wrap_ssl as wrap_ssl
    from eventlet.taskgroup import TaskGroup as TaskGroup
    from eventlet.timeout import Timeout as Timeout
    from eventlet.timeout import is_timeout as is_timeout
    from eventlet.timeout import with_timeout as with_timeout
    from eventlet.timeout import wrap_is_timeout as wrap_is_timeout


#: Submodules provided by the other distributions: the one to install when they are missing.
_DISTRIBUTIONS = {
    "httpd": "eventlet-httpd",
    "wsgi": "eventlet-httpd",
    "websocket": "eventlet-httpd",
    "processes": "eventlet-processes",
    "ssl": "eventlet-ssl",
}
#: Every module another distribution provides at the top of its tree -> that distribution.
_COMPONENT_MODULES = {
    "eventlet.httpd": "eventlet-httpd",
    "eventlet.wsgi": "eventlet-httpd",
    "eventlet.websocket": "eventlet-httpd",
    "eventlet.processes": "eventlet-processes",
    "eventlet.green.subprocess": "eventlet-processes",
    "eventlet.ssl": "eventlet-ssl",
    "eventlet.green.ssl": "eventlet-ssl",
    "eventlet.green.OpenSSL": "eventlet-ssl",
}


class _MissingComponentFinder:
    """The last entry of ``sys.meta_path``: names the distribution of a component not installed.

    Consulted only after every other finder found nothing, and only answers for the exact names of
    ``_COMPONENT_MODULES``: ``import eventlet.httpd`` without eventlet-httpd then raises
    ``ModuleNotFoundError`` (``name="eventlet.httpd"``, as without the finder) whose message says
    what to install.  Every other import passes through it with one dictionary lookup.
    """

    _eventlet_missing_component = True  # how a later import of this module finds it installed

    @staticmethod
    def find_spec(name: str, path: object = None, target: object = None) -> None:
        """``None`` (not ours to find), or ``ModuleNotFoundError`` for a component's module."""
        distribution = _COMPONENT_MODULES.get(name)
        if distribution is not None:
            raise ModuleNotFoundError(
                f"No module named {name!r}: it is part of the {distribution} distribution, "
                f"which is not installed (pip install {distribution})",
                name=name,
            )


_meta_path = __import__("sys").meta_path
if not any(getattr(finder, "_eventlet_missing_component", False) for finder in _meta_path):
    _meta_path.append(_MissingComponentFinder)
del _meta_path


def _submodule(name: str) -> object:
    """``eventlet.<name>`` read as an attribute: the submodule, imported now; else upstream's extras."""
    import importlib

    if name == "greenlet":
        value: object = importlib.import_module("greenlet")
    else:
        try:
            value = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise  # the submodule exists but something it imports does not
            from eventlet._deprecated import TOP_LEVEL_NAMES

            if name in TOP_LEVEL_NAMES:
                return TOP_LEVEL_NAMES[name]  # not cached: each use warns, as upstream
            hint = f" (install {_DISTRIBUTIONS[name]})" if name in _DISTRIBUTIONS else ""
            raise AttributeError(f"module 'eventlet' has no attribute {name!r}{hint}") from None
    globals()[name] = value
    return value


def _lazy_exports(
    namespace: "dict[str, Any]",
    exports: "Mapping[str, str]",
    *,
    fallback: "Callable[[str], Any] | None" = None,
    needs: "Mapping[str, str] | None" = None,
) -> "tuple[Callable[[str], Any], Callable[[], list[str]]]":
    """The ``__getattr__`` and ``__dir__`` of the package whose globals are ``namespace`` (PEP 562:
    a name read for the first time imports the module that defines it, and is stored in the
    package's namespace, so the next read is a plain global).  eventlet-processes uses it too.

    ``exports`` maps each lazily imported name to the module that defines it.  A name not in it
    is ``fallback(name)`` (a public name only; without ``fallback``, ``AttributeError``).
    ``needs`` maps a name to the distribution its module comes from: when that module is not
    installed, reading the name raises ``ImportError`` saying what to install.
    """
    package = namespace["__name__"]

    def __getattr__(name: str) -> "Any":
        module_name = exports.get(name)
        if module_name is None:
            if fallback is None or name.startswith("_"):
                raise AttributeError(f"module {package!r} has no attribute {name!r}")
            return fallback(name)
        import importlib

        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            distribution = needs.get(name) if needs else None
            if distribution is not None and exc.name == module_name:
                raise ImportError(
                    f"{package}.{name} needs the {distribution} distribution: pip install {distribution}"
                ) from exc
            raise
        value = getattr(module, name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__


# ``eventlet.<name>`` read for the first time imports what defines it; a name that is not an
# export is a submodule or one of upstream's extras (_submodule).
__dir__: "Callable[[], list[str]]"
_lazy_attribute, __dir__ = _lazy_exports(
    globals(), _EXPORTS, fallback=_submodule, needs={"wrap_ssl": "eventlet-ssl"}
)

# Hidden from type checkers: for them the package has the names above and its submodules, as any
# package; a module __getattr__ would make every misspelt name type-check as ``object``.
if not TYPE_CHECKING:
    __getattr__ = _lazy_attribute
