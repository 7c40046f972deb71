"""Name resolution that never blocks the hub: libc's resolver, run in a few worker OS threads.

Why threads
-----------
``getaddrinfo`` and friends are libc calls that may read ``/etc/hosts``, talk to nscd or systemd-resolved,
or send DNS queries, and they block the calling OS thread for as long as that takes.  Running them in
worker threads keeps the hub turning, and because it *is* libc, the answers are exactly what an
unpatched program would get (``/etc/hosts``, ``nsswitch.conf``, search domains, IPv6 preferences).

How a call travels
------------------
The green thread wraps the call in a :class:`_Job`, puts it on the pool's queue and switches to the hub.
A worker runs it and hands the outcome back with ``hub.call_threadsafe(job.finish)``; ``finish`` runs in
the hub's thread and switches to the waiting green thread.  If that green thread gave up meanwhile (a
``Timeout``, a kill), it has cleared ``job.waiter`` and the late answer is dropped: no stray wake-up.

Numeric hosts (``"127.0.0.1"``, ``"::1"``) cannot need the network, so they are resolved inline
without a thread.  Workers are started lazily, up to ``max_workers``; after a ``fork`` the child starts
with a fresh queue (the parent's worker threads do not exist there).
"""

from __future__ import annotations

import _socket
import os
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from greenlet import getcurrent, greenlet

from eventlet.hubs import get_hub
from eventlet.hubs.hub import BaseHub

__all__ = [
    "ResolverPool",
    "getaddrinfo",
    "gethostbyaddr",
    "gethostbyname",
    "gethostbyname_ex",
    "getnameinfo",
    "is_numeric_host",
    "resolver_pool",
]

R = TypeVar("R")

_AF_INET = _socket.AF_INET
_AF_INET6 = getattr(_socket, "AF_INET6", None)
_inet_pton = _socket.inet_pton
_NUMERIC_NAMEINFO = _socket.NI_NUMERICHOST | _socket.NI_NUMERICSERV


def is_numeric_host(host: object) -> bool:
    """True if ``host`` is an IPv4 or IPv6 literal (resolving it cannot touch the network)."""
    if isinstance(host, bytes):
        try:
            host = host.decode("ascii")
        except UnicodeDecodeError:
            return False
    if not isinstance(host, str):
        return False
    try:
        _inet_pton(_AF_INET, host)
        return True
    except (OSError, ValueError):
        pass
    if _AF_INET6 is None:  # pragma: no cover - every supported platform has IPv6 literals
        return False
    try:
        _inet_pton(_AF_INET6, host)
        return True
    except (OSError, ValueError):
        return False


class _Job:
    """One call to run in a worker thread, and its outcome."""

    __slots__ = ("args", "done", "error", "func", "hub", "value", "waiter")

    def __init__(self, func: Callable[..., Any], args: tuple[Any, ...], hub: BaseHub, waiter: greenlet):
        self.func = func
        self.args = args
        self.hub = hub
        self.waiter: greenlet | None = waiter
        self.done = False
        self.value: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        """In a worker thread: make the call, then hand the outcome back to the hub's thread."""
        try:
            self.value = self.func(*self.args)
        except BaseException as exc:
            self.error = exc
        self.hub.call_threadsafe(self.finish)

    def finish(self) -> None:
        """In the hub: mark the job done and wake its green thread, if it still waits."""
        self.done = True
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            waiter.switch()


class ResolverPool:
    """A small pool of daemon OS threads running blocking calls for green threads."""

    def __init__(self, max_workers: int = 10) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.max_workers = max_workers
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._workers = 0
        self._pending = 0
        if hasattr(os, "register_at_fork"):  # pragma: no branch - absent only on Windows
            os.register_at_fork(after_in_child=self._after_fork)

    @property
    def workers(self) -> int:
        """How many worker threads have been started."""
        return self._workers

    def _after_fork(self) -> None:
        self._lock = threading.Lock()
        self._jobs = queue.SimpleQueue()
        self._workers = 0
        self._pending = 0

    def call(self, func: Callable[..., R], *args: Any) -> R:
        """Run ``func(*args)`` in a worker thread; block only the calling green thread meanwhile.

        From the hub greenlet itself (which must never wait) the call is made inline.
        """
        hub = get_hub()
        current = getcurrent()
        if current is hub.greenlet:
            return func(*args)
        job = _Job(func, args, hub, current)
        self._submit(job)
        try:
            while not job.done:
                hub.switch()
        finally:
            job.waiter = None
        if job.error is not None:
            raise job.error
        value: R = job.value
        return value

    def _submit(self, job: _Job) -> None:
        with self._lock:
            self._pending += 1
            start = self._pending > self._workers and self._workers < self.max_workers
            if start:
                self._workers += 1
        self._jobs.put(job)
        if start:
            thread = threading.Thread(
                target=self._work, args=(self._jobs,), name="eventlet.resolver", daemon=True
            )
            thread.start()

    def _work(self, jobs: queue.SimpleQueue[_Job]) -> None:
        while True:
            job = jobs.get()
            job.run()
            with self._lock:
                self._pending -= 1


#: The process-wide pool used by the functions below (eventlet.tpool may reuse or replace it).
resolver_pool = ResolverPool()


def _numeric_port(port: object) -> bool:
    if port is None or isinstance(port, int):
        return True
    if isinstance(port, (str, bytes)):
        return port.isdigit()
    return False


def getaddrinfo(
    host: bytes | str | None,
    port: bytes | str | int | None,
    family: int = 0,
    type: int = 0,
    proto: int = 0,
    flags: int = 0,
) -> list[tuple[Any, ...]]:
    """``socket.getaddrinfo`` without blocking the hub (raw integers; see eventlet.green.socket)."""
    if (host is None or is_numeric_host(host)) and _numeric_port(port):
        return _socket.getaddrinfo(host, port, family, type, proto, flags)
    return resolver_pool.call(_socket.getaddrinfo, host, port, family, type, proto, flags)


def gethostbyname(hostname: str) -> str:
    """``socket.gethostbyname`` without blocking the hub."""
    if is_numeric_host(hostname):
        return _socket.gethostbyname(hostname)
    return resolver_pool.call(_socket.gethostbyname, hostname)


def gethostbyname_ex(hostname: str) -> tuple[str, list[str], list[str]]:
    """``socket.gethostbyname_ex`` without blocking the hub."""
    if is_numeric_host(hostname):
        return _socket.gethostbyname_ex(hostname)
    return resolver_pool.call(_socket.gethostbyname_ex, hostname)


def gethostbyaddr(ip_address: str) -> tuple[str, list[str], list[str]]:
    """``socket.gethostbyaddr`` (a reverse lookup: always in a worker thread)."""
    return resolver_pool.call(_socket.gethostbyaddr, ip_address)


def getnameinfo(sockaddr: tuple[Any, ...], flags: int) -> tuple[str, str]:
    """``socket.getnameinfo``; inline when both host and service are asked for as numbers."""
    if not isinstance(sockaddr, tuple):
        # Fail here, not in a worker, and drop the reference: the traceback keeps this frame.
        del sockaddr
        raise TypeError("getnameinfo() argument 1 must be a tuple")
    if flags & _NUMERIC_NAMEINFO == _NUMERIC_NAMEINFO:
        return _socket.getnameinfo(sockaddr, flags)
    return resolver_pool.call(_socket.getnameinfo, sockaddr, flags)
