"""Hubs: choosing one, getting the current thread's, and waiting on file descriptors.

Each OS thread has its own hub, created on first use by :func:`get_hub`.  Which kind is created is,
in order: what :func:`use_hub` chose, the ``EVENTLET_HUB`` environment variable, then the best
backend the platform has (epolls on Linux, kqueue on macOS and the BSDs, poll elsewhere on POSIX,
selects on Windows).
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable
from types import FunctionType, ModuleType
from typing import TYPE_CHECKING, Any

from greenlet import getcurrent, greenlet

from eventlet.hubs._fds import IOClosed
from eventlet.hubs.hub import EV_READ, EV_WRITE, READ, WRITE, BaseHub, FdListener, Timer
from eventlet.hubs.timer import _CHECK_MASK, _HALF_THRESHOLD

__all__ = [
    "READ",
    "WRITE",
    "BaseHub",
    "FdListener",
    "HubError",
    "IOClosed",
    "Timer",
    "get_default_hub",
    "get_hub",
    "notify_close",
    "notify_opened",
    "set_hub",
    "trampoline",
    "use_hub",
    "wait_fd",
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

_throw = greenlet.throw  # a wait's timeout: _throw(waiter, exception)


def _throw_made(waiter: greenlet, make: Callable[[], BaseException]) -> None:
    """A wait's timeout whose exception is made only now (see :func:`wait_fd`)."""
    waiter.throw(make())


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


def wait_fd(
    fileno: int,
    mask: int,
    timeout: float | None = None,
    timeout_exc: BaseException | type[BaseException] | Callable[[], BaseException] = TimeoutError,
    serial: int = 0,
    mark_as_closed: Callable[[], Any] | None = None,
) -> Any:
    """Block the current green thread until ``fileno`` is ready (the fast path behind sockets).

    ``mask`` is ``EV_READ`` or ``EV_WRITE``.  With ``timeout``, ``timeout_exc`` is raised once it
    passes: an exception, an exception class, or a function (a plain ``def``) that makes the
    exception, called only if the timeout fires (the usual wait, which the fd wins, then builds
    no exception).  ``serial`` is the owner's identity (see :func:`eventlet.hubs.hub.new_serial`);
    an owner that promises :func:`notify_close` before closing lets the hub keep the fd
    registered between waits.
    """
    hub = get_hub()
    current = getcurrent()
    if current is hub.greenlet:
        raise RuntimeError("Cannot wait for a file descriptor from the hub itself")
    listener = FdListener(
        READ if mask == EV_READ else WRITE, fileno, current.switch, current.throw, mark_as_closed
    )
    hub._add_listener(listener, mask, serial)
    if timeout is None:
        try:
            return hub.switch()
        finally:
            listener.tb = None  # drop a close notice queued for us, if we leave for another reason
            if not listener.spent:
                hub._remove_listener(listener)
    # hub.schedule_call_global(timeout, greenlet.throw, current, timeout_exc), inlined with a
    # plain-list entry: usually the fd wins and the timer is cancelled, which must cost next to
    # nothing (see eventlet.hubs._timers).
    now = hub.clock()
    deadline = now + timeout if timeout > 0 else now
    thrower: Callable[..., Any] = _throw_made if type(timeout_exc) is FunctionType else _throw
    timer: list[Any] = [deadline, 0, thrower, (current, timeout_exc), hub, None, timeout]
    hub._incoming.append(timer)
    if deadline < hub._next_due:
        hub._next_due = deadline
    try:
        return hub.switch()
    finally:
        if timer[2] is not None:
            timer[2] = None
            timer[3] = ()
            incoming = hub._incoming
            if incoming and incoming[-1] is timer:
                incoming.pop()
            else:
                cancelled = hub.timers_canceled = hub.timers_canceled + 1
                if cancelled > _HALF_THRESHOLD and not cancelled & _CHECK_MASK:
                    hub._compact_if_mostly_cancelled()
        listener.tb = None
        if not listener.spent:
            hub._remove_listener(listener)


def trampoline(
    fd: Any,
    read: bool = False,
    write: bool = False,
    timeout: float | None = None,
    timeout_exc: BaseException | type[BaseException] | None = None,
    mark_as_closed: Callable[[], Any] | None = None,
) -> Any:
    """Suspend the current green thread until ``fd`` is readable (``read``) or writable (``write``).

    ``fd`` is an int or has a ``fileno()`` method.  With ``timeout``, raise ``timeout_exc`` once it
    passes (default: :class:`eventlet.Timeout`, as upstream).  Raises ``OSError(EBADF)`` if the fd
    is closed through :func:`notify_close` meanwhile; ``mark_as_closed`` is called first then.
    """
    if timeout_exc is None:
        from eventlet.timeout import Timeout

        timeout_exc = Timeout
    if read == write:
        raise ValueError("trampoline waits for exactly one of read=True or write=True")
    fileno = fd if isinstance(fd, int) else fd.fileno()
    mask = EV_READ if read else EV_WRITE
    return wait_fd(fileno, mask, timeout, timeout_exc, mark_as_closed=mark_as_closed)


def notify_close(fd: int) -> None:
    """Tell this thread's hub that ``fd`` is being closed; its waiters get ``OSError(EBADF)``."""
    hub = _hub_if_exists()
    if hub is not None:
        hub.notify_close(fd)


def notify_opened(fd: int) -> None:
    """Tell this thread's hub that ``fd`` is a newly opened file.

    It drops any kept registration of the number, and green threads still waiting on it (on the file
    that had the number before) get :class:`IOClosed`.
    """
    hub = _hub_if_exists()
    if hub is not None:
        hub.mark_as_reopened(fd)
