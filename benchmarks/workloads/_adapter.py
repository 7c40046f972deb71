"""A tiny adapter so one workload body runs on eventlet (ours or upstream) and on gevent.

Ours and upstream eventlet share the eventlet API, so both use :class:`EventletGreen`;
gevent gets :class:`GeventGreen`.  Everything is imported lazily, on first use, so a
workload touching only ``spawn`` and ``sleep`` still runs on an implementation that does
not have green sockets yet, and a missing piece surfaces as that workload's error.

The adapter hands out the libraries' own callables (``spawn``, ``sleep``, bound
methods) rather than wrappers wherever the two APIs agree, so a measured loop pays for
the library, not for the adapter.
"""

from __future__ import annotations

import importlib
import operator
import socket
from collections.abc import Callable, Iterable
from typing import Any, Protocol


class Signal(Protocol):
    """A one-shot event: ``wait()`` blocks the green thread until ``set()``."""

    def wait(self) -> Any:
        """Block until set."""

    def set(self) -> Any:
        """Wake every waiter."""


class Green(Protocol):
    """What the workloads need from a green-thread library."""

    name: str

    def version(self) -> str:
        """The library's version string."""

    def spawn(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Start ``fn(*args)`` in a new green thread; return its handle."""

    def join_all(self, handles: Iterable[Any]) -> None:
        """Wait until every handle has finished."""

    def sleep(self, seconds: float = 0) -> None:
        """Green sleep; ``sleep(0)`` yields to the other green threads."""

    def queue(self) -> Any:
        """A new unbounded green queue with ``put`` and ``get``."""

    def event(self) -> Signal:
        """A new one-shot event."""

    def timers(self) -> tuple[Callable[[float, Callable[[], None]], Any], Callable[[Any], Any]]:
        """``(schedule, cancel)``: ``schedule(delay, fn)`` runs ``fn`` in the hub later."""

    def listen(self, backlog: int) -> Any:
        """A green listening TCP socket on 127.0.0.1, ephemeral port."""

    def timeout_class(self) -> Callable[[float], Any]:
        """The library's ``Timeout`` class: ``with Timeout(seconds):`` bounds a block."""

    def spawn_later(self) -> tuple[Callable[..., Any], Callable[[Any], Any]]:
        """``(spawn_later, cancel)``: start ``fn(*args)`` after a delay; stop it before it starts."""

    def getaddrinfo(self, host: str, port: int) -> list[Any]:
        """Green name resolution."""


class _EventletSignal:
    """eventlet's Event spells ``set`` as ``send``."""

    __slots__ = ("_event",)

    def __init__(self, event: Any) -> None:
        self._event = event

    def wait(self) -> Any:
        """Block until set."""
        return self._event.wait()

    def set(self) -> Any:
        """Wake every waiter."""
        return self._event.send(True)


class EventletGreen:
    """The eventlet API (ours and upstream 0.41.3)."""

    name = "eventlet"

    def __init__(self) -> None:
        self._mod = importlib.import_module("eventlet")
        self.spawn: Callable[..., Any] = self._mod.spawn
        self.sleep: Callable[..., None] = self._mod.sleep

    def version(self) -> str:
        """The library's version string."""
        return str(getattr(self._mod, "__version__", "unknown"))

    def join_all(self, handles: Iterable[Any]) -> None:
        """Wait until every handle has finished."""
        for handle in handles:
            handle.wait()

    def queue(self) -> Any:
        """A new unbounded ``eventlet.queue.Queue``."""
        return importlib.import_module("eventlet.queue").Queue()

    def event(self) -> Signal:
        """A new ``eventlet.event.Event``."""
        return _EventletSignal(importlib.import_module("eventlet.event").Event())

    def timers(self) -> tuple[Callable[[float, Callable[[], None]], Any], Callable[[Any], Any]]:
        """``hub.schedule_call_global`` and ``Timer.cancel``."""
        hub = importlib.import_module("eventlet.hubs").get_hub()
        return hub.schedule_call_global, operator.methodcaller("cancel")

    def listen(self, backlog: int) -> Any:
        """``eventlet.listen`` on 127.0.0.1, ephemeral port."""
        return self._mod.listen(("127.0.0.1", 0), backlog=backlog)

    def timeout_class(self) -> Callable[[float], Any]:
        """``eventlet.Timeout``."""
        timeout: Callable[[float], Any] = importlib.import_module("eventlet.timeout").Timeout
        return timeout

    def spawn_later(self) -> tuple[Callable[..., Any], Callable[[Any], Any]]:
        """``eventlet.spawn_after`` and ``GreenThread.cancel``."""
        return self._mod.spawn_after, operator.methodcaller("cancel")

    def getaddrinfo(self, host: str, port: int) -> list[Any]:
        """``eventlet.green.socket.getaddrinfo``."""
        green_socket = importlib.import_module("eventlet.green.socket")
        return list(green_socket.getaddrinfo(host, port))


class GeventGreen:
    """The gevent API."""

    name = "gevent"

    def __init__(self) -> None:
        self._mod = importlib.import_module("gevent")
        self.spawn: Callable[..., Any] = self._mod.spawn
        self.sleep: Callable[..., None] = self._mod.sleep

    def version(self) -> str:
        """The library's version string."""
        return str(self._mod.__version__)

    def join_all(self, handles: Iterable[Any]) -> None:
        """``gevent.joinall``."""
        self._mod.joinall(list(handles))

    def queue(self) -> Any:
        """A new unbounded ``gevent.queue.Queue``."""
        return importlib.import_module("gevent.queue").Queue()

    def event(self) -> Signal:
        """A new ``gevent.event.Event``."""
        event: Signal = importlib.import_module("gevent.event").Event()
        return event

    def timers(self) -> tuple[Callable[[float, Callable[[], None]], Any], Callable[[Any], Any]]:
        """``loop.timer(delay).start(fn)`` and ``watcher.close``."""
        make_timer = self._mod.get_hub().loop.timer

        def schedule(delay: float, fn: Callable[[], None]) -> Any:
            watcher = make_timer(delay)
            watcher.start(fn)
            return watcher

        return schedule, operator.methodcaller("close")

    def listen(self, backlog: int) -> Any:
        """A ``gevent.socket.socket`` bound to 127.0.0.1, ephemeral port."""
        green_socket = importlib.import_module("gevent.socket")
        sock = green_socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(backlog)
        return sock

    def timeout_class(self) -> Callable[[float], Any]:
        """``gevent.Timeout``."""
        timeout: Callable[[float], Any] = self._mod.Timeout
        return timeout

    def spawn_later(self) -> tuple[Callable[..., Any], Callable[[Any], Any]]:
        """``gevent.spawn_later`` and ``Greenlet.kill(block=False)``."""
        return self._mod.spawn_later, operator.methodcaller("kill", block=False)

    def getaddrinfo(self, host: str, port: int) -> list[Any]:
        """``gevent.socket.getaddrinfo`` (gevent's default resolver)."""
        return list(importlib.import_module("gevent.socket").getaddrinfo(host, port))


def load(impl: str) -> Green:
    """The adapter for implementation ``impl`` (``ours``, ``eventlet`` or ``gevent``)."""
    if impl in ("ours", "eventlet"):
        return EventletGreen()
    if impl == "gevent":
        return GeventGreen()
    raise ValueError(f"no green adapter for implementation {impl!r}")
