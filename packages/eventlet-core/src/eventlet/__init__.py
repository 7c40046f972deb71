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
version_info = (1, 0, 0)

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

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from eventlet.convenience import StopServe, connect, listen, serve
    from eventlet.event import Event
    from eventlet.greenpool import GreenPile, GreenPool
    from eventlet.greenthread import (
        GreenThread,
        getcurrent,
        kill,
        sleep,
        spawn,
        spawn_after,
        spawn_after_local,
        spawn_n,
    )
    from eventlet.patcher import import_patched, monkey_patch
    from eventlet.queue import LightQueue, Queue
    from eventlet.semaphore import BoundedSemaphore, CappedSemaphore, Semaphore
    from eventlet.ssl import wrap_ssl
    from eventlet.taskgroup import TaskGroup
    from eventlet.timeout import Timeout, is_timeout, with_timeout, wrap_is_timeout


#: Submodules provided by the other distributions: the one to install when they are missing.
_DISTRIBUTIONS = {
    "httpd": "eventlet-httpd",
    "wsgi": "eventlet-httpd",
    "websocket": "eventlet-httpd",
    "processes": "eventlet-processes",
    "ssl": "eventlet-ssl",
}


def __getattr__(name: str) -> object:
    import importlib

    module_name = _EXPORTS.get(name)
    if module_name is None:
        if name.startswith("_"):
            raise AttributeError(f"module 'eventlet' has no attribute {name!r}")
        return _submodule(name)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if name == "wrap_ssl" and exc.name == module_name:
            raise ImportError(
                "eventlet.wrap_ssl needs the eventlet-ssl distribution: pip install eventlet-ssl"
            ) from exc
        raise
    value = getattr(module, name)
    globals()[name] = value
    return value


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


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
