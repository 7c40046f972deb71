""":func:`server`, :class:`Server` and the log wrappers of :mod:`eventlet.wsgi`, as upstream's.

:func:`server` accepts connections on a listening socket and runs each in a green thread of a
``GreenPool`` (``max_size`` of them at once, or ``custom_pool``):
``pool.spawn(serv.process_request, [address, socket, STATE_IDLE])``, the list being the
connection's state shared with its :class:`~eventlet.wsgi.HttpProtocol`.  On
``KeyboardInterrupt``/``SystemExit`` (or when killed) it stops accepting, shuts down the
connections idle between requests, lets the others finish their request, waits for all, and
closes the listening socket (only that object: a ``dup`` of it stays usable).

The log is upstream's: ``log`` is a logger (anything with ``info`` and ``debug``) used as is, or
a file object (default ``sys.stderr``) wrapped in :class:`LoggerFileWrapper`, which writes one
line per message and drops ``debug`` messages unless ``debug`` is true; ``log_output=False``
silences it (:class:`LoggerNull`).  Start, accepted connections, the access lines, application
tracebacks and the exit go there with upstream's wording.

Additions (not in upstream): :meth:`Server.stop` (graceful, from any green thread or OS thread,
with a bound on the wait), and ``accept`` failures from resource exhaustion (``EMFILE``,
``ENFILE``, ``ENOBUFS``, ``ENOMEM``) or an aborted connection no longer end :func:`server`: it
backs off and accepts again (:mod:`eventlet._accept`, as every accept loop of the project).
"""

from __future__ import annotations

import logging
import os
import socket as _stdsocket
import sys
import threading
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from greenlet import getcurrent

from eventlet import wsgi as _wsgi
from eventlet._accept import AcceptBackoff
from eventlet.event import Event
from eventlet.greenio import shutdown_safe
from eventlet.greenpool import GreenPool
from eventlet.greenthread import kill, spawn_n
from eventlet.hubs import get_hub
from eventlet.support import get_errno
from eventlet.timeout import Timeout

from ._protocol import HttpProtocol

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

    from eventlet._typing import ListeningSocket

__all__ = ["LoggerFileWrapper", "LoggerNull", "Server", "get_logger", "server"]

logger = logging.getLogger("eventlet.wsgi")

_PEEK = _stdsocket.MSG_PEEK | getattr(_stdsocket, "MSG_DONTWAIT", 0)


class _StopServing(Exception):
    """Thrown into :func:`server`'s accept loop by :meth:`Server.stop`."""


def get_logger(log: Any, debug: bool) -> Any:
    """``log`` itself if it is logger-like (``info`` and ``debug``), else a :class:`LoggerFileWrapper`."""
    if callable(getattr(log, "info", None)) and callable(getattr(log, "debug", None)):
        return log
    return LoggerFileWrapper(log or sys.stderr, debug)


class LoggerNull:
    """A log that drops everything (``log_output=False``)."""

    def __init__(self) -> None:
        pass

    def error(self, msg: str, *args: Any, **kwargs: Any) -> None:
        """Drop an error message."""

    def info(self, msg: str, *args: Any, **kwargs: Any) -> None:
        """Drop an informational message."""

    def debug(self, msg: str, *args: Any, **kwargs: Any) -> None:
        """Drop a debug message."""

    def write(self, msg: str, *args: Any) -> None:
        """Drop a line."""


class LoggerFileWrapper(LoggerNull):
    """A log on a file object: one line per message, ``debug`` ones only when ``debug`` is true."""

    def __init__(self, log: Any, debug: bool) -> None:
        self.log = log
        self._debug = debug

    def error(self, msg: str, *args: Any, **kwargs: Any) -> None:
        """Write an error message."""
        self.write(msg, *args)

    def info(self, msg: str, *args: Any, **kwargs: Any) -> None:
        """Write an informational message."""
        self.write(msg, *args)

    def debug(self, msg: str, *args: Any, **kwargs: Any) -> None:
        """Write a debug message if debugging."""
        if self._debug:
            self.write(msg, *args)

    def write(self, msg: str, *args: Any) -> None:
        """Write ``msg % args`` (``msg`` alone without ``args``) and a newline."""
        msg = msg + "\n"
        if args:
            msg = msg % args
        self.log.write(msg)


class Server(_wsgi.BaseHTTPServer.HTTPServer):
    """The server state :class:`~eventlet.wsgi.HttpProtocol` reads: settings, log, application.

    ``socket`` is the listening socket, ``address`` its address, ``app`` the WSGI application;
    the keywords are :func:`server`'s.  :meth:`process_request` serves one accepted connection
    in the calling green thread.
    """

    def __init__(
        self,
        socket: Any,
        address: Any,
        app: Callable[..., Any],
        log: Any = None,
        environ: dict[str, Any] | None = None,
        max_http_version: str | None = None,
        protocol: type[HttpProtocol] = HttpProtocol,
        minimum_chunk_size: int | None = None,
        log_x_forwarded_for: bool = True,
        keepalive: bool | float = True,
        log_output: bool = True,
        log_format: str = _wsgi.DEFAULT_LOG_FORMAT,
        url_length_limit: int = _wsgi.MAX_REQUEST_LINE,
        debug: bool = True,
        socket_timeout: float | None = None,
        capitalize_response_headers: bool = True,
    ) -> None:
        self.outstanding_requests = 0
        self.socket = socket
        self.address = address
        self.log: Any = get_logger(log, debug) if log_output else LoggerNull()
        self.app = app
        self.keepalive = keepalive
        self.environ = environ
        self.max_http_version = max_http_version
        self.protocol = protocol
        self.pid: int = os.getpid()
        self.minimum_chunk_size = minimum_chunk_size
        self.log_x_forwarded_for = log_x_forwarded_for
        self.log_output = log_output
        self.log_format = log_format
        self.url_length_limit = url_length_limit
        self.debug = debug
        self.socket_timeout = socket_timeout
        self.capitalize_response_headers = capitalize_response_headers
        if not capitalize_response_headers:
            warnings.warn(
                "capitalize_response_headers is disabled: HTTP header names are case-insensitive "
                "(RFC 9110), so a client that needs them capitalised is the thing to fix",
                DeprecationWarning,
                stacklevel=3,
            )
        # For stop(): where server() runs this server, and how it ends.
        self._acceptor: Any = None
        self._hub: Any = None
        self._thread = 0
        self._stop_requested = False
        self._stop_timeout: float | None = None
        self._finished = threading.Event()
        self._finished_green: Event[None] | None = None

    def get_environ(self) -> dict[str, Any]:
        """The environ keys every request shares (a new dict each time)."""
        env: dict[str, Any] = {
            "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0),
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "wsgi.url_scheme": "http",
        }
        if hasattr(self.socket, "do_handshake"):  # a TLS listening socket
            env["wsgi.url_scheme"] = "https"
            env["HTTPS"] = "on"
        if self.environ is not None:
            env.update(self.environ)
        return env

    def process_request(self, conn_state: list[Any]) -> None:  # type: ignore[override]
        """Serve the connection ``[address, socket, state]`` until it closes."""
        try:
            self.protocol(conn_state, self)
        except TimeoutError:  # socket_timeout passed: expected, not exceptional
            conn_state[1].close()
            self.log.debug(f"({self.pid}) timed out {conn_state[0]!r}")

    def log_message(self, message: str) -> None:
        """Removed upstream; use ``server.log.info``."""
        raise AttributeError(
            "eventlet.wsgi.server.log_message was deprecated and deleted. Please use server.log.info instead."
        )

    def stop(self, timeout: float | None = None) -> None:
        """Stop :func:`server` (not in upstream eventlet): as on ``KeyboardInterrupt``, then return.

        Accepting stops, idle connections are closed, requests in progress finish; after
        ``timeout`` seconds (None: no limit) the connections left are killed.  Callable from any
        green thread or OS thread except the server's own connections (it waits for them).
        """
        hub = self._hub
        if hub is None:  # not serving (yet): server() returns at once
            self._stop_requested = True
            self._stop_timeout = timeout
            return
        if threading.get_ident() != self._thread:
            hub.call_threadsafe(spawn_n, self.stop, timeout)
            self._finished.wait()
            return
        self._stop_timeout = timeout
        acceptor = self._acceptor
        if acceptor is not None and acceptor is not getcurrent() and not self._stop_requested:
            self._stop_requested = True
            kill(acceptor, _StopServing())
        finished = self._finished_green
        if finished is not None and not self._finished.is_set():
            finished.wait()


def server(
    sock: ListeningSocket,
    site: WSGIApplication,
    log: Any = None,
    environ: dict[str, Any] | None = None,
    max_size: int | None = None,
    max_http_version: str = _wsgi.DEFAULT_MAX_HTTP_VERSION,
    protocol: type[HttpProtocol] = HttpProtocol,
    server_event: Any = None,
    minimum_chunk_size: int | None = None,
    log_x_forwarded_for: bool = True,
    custom_pool: Any = None,
    keepalive: bool | float = True,
    log_output: bool = True,
    log_format: str = _wsgi.DEFAULT_LOG_FORMAT,
    url_length_limit: int = _wsgi.MAX_REQUEST_LINE,
    debug: bool = True,
    socket_timeout: float | None = None,
    capitalize_response_headers: bool = True,
) -> None:
    """Serve the WSGI application ``site`` on the listening socket ``sock`` until interrupted.

    ``log``: a logger or a file object (default ``sys.stderr``); ``log_output=False`` silences it;
    ``log_format`` is a ``%``-template over ``client_ip``, ``client_port``, ``date_time``,
    ``request_line``, ``status_code``, ``body_length``, ``wall_seconds``.  ``environ``: keys added
    to every environ.  ``max_size``: connections served at once (default 1024), unless
    ``custom_pool`` (a ``GreenPool``) is given.  ``max_http_version="HTTP/1.0"``: answer as an
    HTTP/1.0 server (no keep-alive).  ``protocol``: an :class:`HttpProtocol` subclass.
    ``server_event``: an event sent the :class:`Server` (deprecated upstream).
    ``minimum_chunk_size``: response bytes gathered before each write (default 4096).
    ``log_x_forwarded_for``: put ``X-Forwarded-For`` in the log's ``client_ip``.  ``keepalive``:
    False (or 0) closes connections after one request; a number is also the idle timeout in
    seconds.  ``url_length_limit``: the longest request line (414 beyond).  ``debug``: put
    tracebacks in 500 responses (and write debug lines to the log).  ``socket_timeout``: the
    timeout of every socket operation of a connection.  ``capitalize_response_headers``: write
    header names as ``Foo-Bar``.

    Returns, having closed ``sock`` (a ``dup`` of it stays open), on ``KeyboardInterrupt`` or
    ``SystemExit`` in the accept loop, or when :meth:`Server.stop` is called; other errors of
    ``accept`` are raised, after the connections finished.
    """
    serv = Server(
        sock,
        sock.getsockname(),
        site,
        log,
        environ=environ,
        max_http_version=max_http_version,
        protocol=protocol,
        minimum_chunk_size=minimum_chunk_size,
        log_x_forwarded_for=log_x_forwarded_for,
        keepalive=keepalive,
        log_output=log_output,
        log_format=log_format,
        url_length_limit=url_length_limit,
        debug=debug,
        socket_timeout=socket_timeout,
        capitalize_response_headers=capitalize_response_headers,
    )
    if server_event is not None:
        warnings.warn(
            "eventlet.wsgi.Server() server_event kwarg is deprecated and will be removed soon",
            DeprecationWarning,
            stacklevel=2,
        )
        server_event.send(serv)
    if max_size is None:
        max_size = _wsgi.DEFAULT_MAX_SIMULTANEOUS_REQUESTS
    pool = custom_pool if custom_pool is not None else GreenPool(max_size)
    if not (hasattr(pool, "spawn") and hasattr(pool, "waitall")):
        raise AttributeError(
            "eventlet.wsgi.Server pool must provide methods: `spawn`, `waitall`. "
            "If unsure, use eventlet.GreenPool."
        )
    _Loop(serv, sock, pool).run()


def _request_waiting(sock: Any) -> bool:
    """Whether bytes of a next request wait on an idle connection (it is then served, not cut)."""
    try:
        return bool(_stdsocket.socket.recv(sock, 1, _PEEK))
    except OSError:  # nothing there (EAGAIN), or the connection is gone
        return False


class _Loop:
    """The accept loop of :func:`server` and its ending."""

    def __init__(self, serv: Server, sock: Any, pool: Any) -> None:
        self.serv = serv
        self.sock = sock
        self.pool = pool
        self.connections: dict[int, list[Any]] = {}  # id(conn_state) -> [address, socket, state]
        self.threads: dict[int, Any] = {}  # id(conn_state) -> its green thread

    def _clean_connection(self, _thread: Any, conn: list[Any]) -> None:
        self.connections.pop(id(conn), None)
        self.threads.pop(id(conn), None)
        conn[2] = _wsgi.STATE_CLOSE
        sock = conn[1]
        if sock.fileno() >= 0:  # not closed by its protocol (which failed before finish())
            shutdown_safe(sock)
            sock.close()

    def run(self) -> None:
        serv = self.serv
        serv._hub = get_hub()
        serv._thread = threading.get_ident()
        serv._acceptor = getcurrent()
        serv._finished_green = Event()
        try:
            serv.log.info(f"({serv.pid}) wsgi starting up on {_wsgi.socket_repr(self.sock)}")
            self._accept()
        finally:
            serv._acceptor = None
            try:
                self._finish()
            finally:
                serv._hub = None
                serv._finished_green.send()
                serv._finished.set()

    def _accept(self) -> None:
        serv, sock, pool = self.serv, self.sock, self.pool
        connections, threads = self.connections, self.threads
        accept = AcceptBackoff(logger, "wsgi").accept
        while _wsgi.is_accepting and not serv._stop_requested:
            try:
                client_socket, client_addr = accept(sock)
                client_socket.settimeout(serv.socket_timeout)
                serv.log.debug(f"({serv.pid}) accepted {client_addr!r}")
                connection = [client_addr, client_socket, _wsgi.STATE_IDLE]
                connections[id(connection)] = connection
                thread = pool.spawn(serv.process_request, connection)
                threads[id(connection)] = thread
                thread.link(self._clean_connection, connection)
            except _wsgi.ACCEPT_EXCEPTIONS as exc:
                if get_errno(exc) not in _wsgi.ACCEPT_ERRNO:
                    raise
                break
            except (KeyboardInterrupt, SystemExit, _StopServing):
                serv.log.info("wsgi exiting")
                break

    def _finish(self) -> None:
        serv = self.serv
        for conn in list(self.connections.values()):
            previous, conn[2] = conn[2], _wsgi.STATE_CLOSE
            if previous == _wsgi.STATE_IDLE and not _request_waiting(conn[1]):
                try:
                    shutdown_safe(conn[1])
                except OSError as exc:  # pragma: no cover - closed under us
                    logger.debug("shutting down an idle connection failed: %s", exc)
        timeout = serv._stop_timeout
        if timeout is None:
            self.pool.waitall()
        else:
            with Timeout(timeout, False):
                self.pool.waitall()
            for thread in list(self.threads.values()):
                kill(thread)
            self.pool.waitall()
        serv.log.info(f"({serv.pid}) wsgi exited, is_accepting={_wsgi.is_accepting}")
        try:
            self.sock.close()
        except OSError:
            logger.exception("closing the listening socket failed")
