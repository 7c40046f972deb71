"""Shortcuts for the common server and client chores: listen, connect, serve.

``serve`` is an accept loop that hands each connection to a handler in its own green thread, at most
``concurrency`` at a time.  A handler that raises :class:`StopServe` ends the loop; any other exception
of a handler is logged and ends the loop too, re-raised by ``serve`` (upstream eventlet's contract:
a server whose handler is broken stops rather than failing every connection quietly).  When the
process runs out of file descriptors (``EMFILE``, ``ENFILE``) the loop backs off, sleeping a little
longer each time up to half a second, instead of spinning on a listening socket that stays readable;
it recovers by itself once descriptors are freed (:mod:`eventlet._accept`, shared by every accept
loop of the project).

``listen`` sets ``SO_REUSEPORT`` only when asked (``reuse_port=True``), and warns
(:class:`ReuseRandomPortWarning`) when asked for it on a random port, and
(:class:`ReusePortUnavailableWarning`) when the platform defines the option but refuses it.
"""

from __future__ import annotations

import errno
import logging
import socket as _stdsocket
import sys
import warnings
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

from greenlet import getcurrent, greenlet

from eventlet._accept import AcceptBackoff
from eventlet._typing import Address as Address
from eventlet._typing import Closable, Listener
from eventlet.greenio.socket import GreenSocket
from eventlet.greenthread import kill, spawn_n
from eventlet.hubs import get_hub

__all__ = [
    "Address",
    "ReusePortUnavailableWarning",
    "ReuseRandomPortWarning",
    "StopServe",
    "connect",
    "listen",
    "serve",
]

logger: logging.Logger = logging.getLogger("eventlet.convenience")

S = TypeVar("S", bound=Closable)

#: setsockopt errors meaning "SO_REUSEPORT is defined here but not supported" (EINVAL, ENOPROTOOPT).
_REUSEPORT_UNSUPPORTED = frozenset({errno.EINVAL, errno.ENOPROTOOPT})


class StopServe(Exception):
    """Raise this from a handler given to :func:`serve` to make ``serve`` return."""


class ReuseRandomPortWarning(Warning):
    """``listen(..., reuse_port=True)`` on port 0: another process may get the same random port."""


class ReusePortUnavailableWarning(Warning):
    """The platform defines ``SO_REUSEPORT`` but refuses it; the socket listens without it."""


def listen(
    addr: Address,
    family: int = _stdsocket.AF_INET,
    backlog: int = 50,
    reuse_addr: bool = True,
    reuse_port: bool | None = None,
) -> GreenSocket:
    """A green socket listening on ``addr``.

    ``SO_REUSEADDR`` is set unless ``reuse_addr`` is false (never on Windows, where it means something
    else); ``SO_REUSEPORT`` only when ``reuse_port`` is true (see the module docstring for the
    warnings).  For ``AF_UNIX``, ``addr`` is a path.
    """
    sock = GreenSocket(family, _stdsocket.SOCK_STREAM)
    try:
        if reuse_addr and not sys.platform.startswith("win"):
            sock.setsockopt(_stdsocket.SOL_SOCKET, _stdsocket.SO_REUSEADDR, 1)
        if reuse_port:
            _set_reuse_port(sock, family, addr)
        sock.bind(addr)
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return sock


def _set_reuse_port(sock: GreenSocket, family: int, addr: Address) -> None:
    if family in (_stdsocket.AF_INET, _stdsocket.AF_INET6) and addr[1] == 0:
        warnings.warn(
            "listening on a random port (0) with SO_REUSEPORT: another process asking the same may "
            "get the same port and share its connections; pass reuse_port=False or a fixed port",
            ReuseRandomPortWarning,
            stacklevel=3,
        )
    option = getattr(_stdsocket, "SO_REUSEPORT", None)
    if option is None:  # pragma: no cover - Windows has no SO_REUSEPORT
        return
    try:
        sock.setsockopt(_stdsocket.SOL_SOCKET, option, 1)
    except OSError as exc:
        if exc.errno not in _REUSEPORT_UNSUPPORTED:
            raise
        warnings.warn(
            f"SO_REUSEPORT is defined on this platform but not supported ({exc}); listening without it",
            ReusePortUnavailableWarning,
            stacklevel=3,
        )


def connect(addr: Address, family: int = _stdsocket.AF_INET, bind: Address | None = None) -> GreenSocket:
    """A green stream socket connected to ``addr`` (bound to ``bind`` first, if given)."""
    sock = GreenSocket(family, _stdsocket.SOCK_STREAM)
    try:
        if bind is not None:
            sock.bind(bind)
        sock.connect(addr)
    except BaseException:
        sock.close()
        raise
    return sock


class _ServeState:
    """What the handlers of one ``serve`` call share: how to stop it, once."""

    __slots__ = ("active", "server")

    def __init__(self, server: greenlet) -> None:
        self.server = server
        self.active = True

    def stop(self, error: BaseException | None = None) -> None:
        """Stop the accept loop (from a handler's green thread), raising ``error`` in it if given.

        Later calls do nothing.
        """
        if self.active:
            self.active = False
            kill(self.server, error if error is not None else StopServe())


class _Limiter:
    """Run at most ``size`` green threads at once (when eventlet.greenpool is not installed)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.running = 0
        self._waiters: deque[greenlet] = deque()

    def spawn_n(self, func: Callable[..., Any], *args: Any) -> None:
        """Start ``func(*args)`` in a green thread, first waiting for a free slot."""
        while self.running >= self.size:
            current = getcurrent()
            self._waiters.append(current)
            try:
                get_hub().switch()
            finally:
                self._waiters.remove(current)
        self.running += 1
        spawn_n(self._run, func, args)

    def _run(self, func: Callable[..., Any], args: tuple[Any, ...]) -> None:
        try:
            func(*args)
        finally:
            self.running -= 1
            if self._waiters:
                get_hub().call_soon(self._wake_first)

    def _wake_first(self) -> None:
        if self._waiters and self.running < self.size:
            self._waiters[0].switch()


def _make_pool(concurrency: int) -> Any:
    try:
        from eventlet.greenpool import GreenPool
    except ImportError:
        return _Limiter(concurrency)
    return GreenPool(concurrency)


def _run_handler(handle: Callable[[S, Any], object], conn: S, addr: Any, state: _ServeState) -> None:
    try:
        handle(conn, addr)
    except StopServe:
        state.stop()
    except Exception as exc:
        logger.exception("serve: the handler %r failed on the connection from %r", handle, addr)
        state.stop(exc)
    finally:
        conn.close()


def serve(sock: Listener[S], handle: Callable[[S, Any], object], concurrency: int = 1000) -> None:
    """Accept connections on ``sock`` forever, calling ``handle(conn, addr)`` in a green thread each.

    At most ``concurrency`` handlers run at once (the loop waits for one to finish).  The connection
    is closed when its handler returns.  ``serve`` returns when a handler raises :class:`StopServe`;
    another exception of a handler is logged (logger ``eventlet.convenience``) and raised by
    ``serve``, which stops.  Errors of the listening socket itself (it was closed, say) propagate.
    """
    pool = _make_pool(concurrency)
    state = _ServeState(getcurrent())
    accept = AcceptBackoff(logger, "serve").accept
    try:
        while True:
            conn, addr = accept(sock)
            pool.spawn_n(_run_handler, handle, conn, addr, state)
            del conn, addr  # drop the references while waiting for the next connection
    except StopServe:
        return
    finally:
        state.active = False
