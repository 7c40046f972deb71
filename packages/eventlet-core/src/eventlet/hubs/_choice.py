"""Which hub each OS thread gets: the registry of hub kinds and of each thread's hub.

:func:`get_hub` returns the calling thread's hub, created on first use; which kind is created is,
in order: what :func:`use_hub` chose, the ``EVENTLET_HUB`` environment variable, then the best
backend the platform has.  :mod:`eventlet.hubs` publishes these names; they live here so that the
kernel's own modules (:mod:`eventlet.hubs._timeout`) can get the hub without importing the package.
"""

from __future__ import annotations

import importlib
import os
import threading
from types import ModuleType
from typing import TYPE_CHECKING

from eventlet.hubs.hub import BaseHub

__all__ = [
    "BUILTIN_HUBS",
    "HubError",
    "builtin_hub_names",
    "get_default_hub",
    "get_hub",
    "set_hub",
    "use_hub",
]

#: Backends by name, in order of preference for the platform default.
BUILTIN_HUBS = ("epolls", "kqueue", "poll", "selects", "asyncio")
_DEFAULT_ORDER = ("epolls", "kqueue", "poll", "selects")
#: upstream eventlet's name: the backends the platform default is chosen from, in that order
builtin_hub_names = _DEFAULT_ORDER


class HubError(RuntimeError):
    """No hub backend can run here (upstream eventlet's name for the error)."""


if TYPE_CHECKING:

    class _HubLocal(threading.local):
        """What each OS thread keeps: its hub, once created."""

        hub: BaseHub

else:
    # The plain class at run time: a subclass of threading.local reads its attributes more slowly,
    # and greenthread.sleep and spawn read ``hub`` on every call.
    _HubLocal = threading.local


class _HubRegistry:
    """Which hub class to create, and the hub of each thread."""

    def __init__(self) -> None:
        self.hub_class: type[BaseHub] | None = None
        self.local: _HubLocal = _HubLocal()
        self.fork_hook_installed = False

    def create(self) -> BaseHub:
        hub_class = self.hub_class
        if hub_class is None:
            hub_class = self.hub_class = _resolve(os.environ.get("EVENTLET_HUB") or None)
        self.install_fork_hook()
        hub = hub_class()
        self.local.hub = hub
        post_initialize = getattr(hub, "_post_initialize", None)  # upstream's hook for hub classes
        if post_initialize is not None:
            post_initialize()
        return hub

    def install_fork_hook(self) -> None:
        if not self.fork_hook_installed:
            self.fork_hook_installed = True
            if hasattr(os, "register_at_fork"):  # pragma: no branch - absent only on Windows
                os.register_at_fork(after_in_child=self.after_fork)

    def after_fork(self) -> None:
        """In a forked child, only the forking thread survives: renew its hub's kernel objects."""
        hub = getattr(self.local, "hub", None)
        reinit = getattr(hub, "_reinit_after_fork", None)  # a custom hub class may not have it
        if reinit is not None:
            reinit()


_registry = _HubRegistry()


def _load_module(name: str) -> ModuleType:
    if name in BUILTIN_HUBS:
        return importlib.import_module(f"eventlet.hubs.{name}")
    return importlib.import_module(name)


def _resolve(hub: str | ModuleType | type[BaseHub] | None) -> type[BaseHub]:
    """Turn a name, a module or a class into a hub class."""
    if hub is None:
        for name in _DEFAULT_ORDER:
            module = importlib.import_module(f"eventlet.hubs.{name}")
            if module.is_available():  # pragma: no branch - selects is always available
                found: type[BaseHub] = module.Hub
                return found
        raise HubError("No hub backend is available")  # pragma: no cover - selects always is
    if isinstance(hub, type):
        # Any class, as upstream: a hub class of its own need not derive from BaseHub.
        return hub
    if isinstance(hub, str):
        if hub == "epoll":
            hub = "epolls"
        module_name, _, class_name = hub.partition(":")
        try:
            module = _load_module(module_name)
        except ImportError as exc:
            choices = ", ".join(BUILTIN_HUBS)
            raise ValueError(
                f"Unknown hub {hub!r}: choose one of {choices}, or name a module (or module:Class)"
            ) from exc
        if class_name:
            hub_class = getattr(module, class_name, None)
            if hub_class is None:
                raise ValueError(f"{module_name} has no attribute {class_name!r}")
            return _resolve(hub_class)
    else:
        module = hub
    is_available = getattr(module, "is_available", None)
    if is_available is not None and not is_available():
        raise ValueError(f"The {module.__name__} hub is not available on this platform")
    hub_class = getattr(module, "Hub", None)
    if hub_class is None:
        raise ValueError(f"{module.__name__} has no Hub class")
    return _resolve(hub_class)


def use_hub(hub: str | ModuleType | type[BaseHub] | None = None) -> None:
    """Choose the kind of hub to create from now on, by name, module or class.

    ``None`` goes back to the platform default.  The calling thread's current hub, if it has one
    and it is not running, is closed and replaced on next use.  A class is used as it is (as
    upstream, it need not derive from :class:`BaseHub`, though every hub here does); a module must
    have a ``Hub`` class and may have an ``is_available()`` function.
    """
    hub_class = _resolve(hub)
    current = getattr(_registry.local, "hub", None)
    if getattr(current, "running", False):
        raise RuntimeError("Cannot change the hub while it is running in this thread")
    _registry.hub_class = hub_class
    if current is not None:
        del _registry.local.hub
        close = getattr(current, "close", None)  # a custom hub class may not have it
        if close is not None:
            close()


def set_hub(hub: BaseHub | None) -> BaseHub | None:
    """Make ``hub`` the calling thread's hub (``None``: none, one is created on next use).

    Returns the previous hub, which is neither closed nor stopped: the caller owns it now (the
    testing helpers use this to swap in a fresh or virtual-clock hub and put the old one back).
    """
    previous: BaseHub | None = getattr(_registry.local, "hub", None)
    if hub is None:
        if previous is not None:
            del _registry.local.hub
    else:
        _registry.install_fork_hook()
        _registry.local.hub = hub
    return previous


def get_default_hub() -> ModuleType:
    """The module of the hub kind that :func:`get_hub` creates in a new thread."""
    hub_class = _registry.hub_class or _resolve(os.environ.get("EVENTLET_HUB") or None)
    return importlib.import_module(hub_class.__module__)


def _before_monkey_patch() -> None:
    """Called by ``monkey_patch()`` before it patches: the hub kinds in use may prepare for it.

    The asyncio hub keeps ``asyncio`` on the unpatched standard library, which must be arranged
    before the standard modules change (as upstream eventlet arranges by creating the hub then).
    """
    kinds = {_registry.hub_class or _resolve(os.environ.get("EVENTLET_HUB") or None)}
    current = _hub_if_exists()
    if current is not None:
        kinds.add(type(current))
    for kind in kinds:
        prepare = getattr(kind, "_before_monkey_patch", None)  # a custom hub class may not have it
        if prepare is not None:
            prepare()


def get_hub() -> BaseHub:
    """The current OS thread's hub, created on first use."""
    try:
        return _registry.local.hub
    except AttributeError:
        return _registry.create()


def _hub_if_exists() -> BaseHub | None:
    return getattr(_registry.local, "hub", None)
