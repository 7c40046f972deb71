"""The server: listening socket, accept loop, connection limits, timeouts and graceful stop.

:class:`Server` owns a listening green socket and an accept loop (:meth:`Server.serve_forever`)
that starts one :class:`~eventlet.httpd._connection.HttpProtocol` green thread per connection.

Limits.  At ``max_connections`` open connections the loop stops calling ``accept`` (new clients
wait in the kernel's backlog) and resumes as soon as one closes.  Accept errors meaning "out of
file descriptors for now" back off instead of spinning (:mod:`eventlet._accept`, the accept loop
helper every server of the project uses).

Timeouts.  One periodic *sweep* (a hub timer, every quarter of the shortest head timeout, at
most once a second) looks at the connections waiting for a request head and expires those past
their deadline: that bounds slow-loris clients and idle keep-alive connections without a timer
per read.

Fairness at the cap.  When the cap is reached and a client waits in the listening socket's
backlog, connections idle between two requests are closed, longest idle first (as nginx
does), to make room: a kept-alive client that sends nothing must not hold a slot a new
client needs.  If none is idle the loop waits; the sweep wakes it when one becomes idle.
Connections that have not sent their first request are never chosen (their client is about
to send one).

Graceful stop (:meth:`Server.stop`): stop accepting and stop the kernel from accepting on our
behalf at once: connections it already completed are taken off the listening socket's queue
and served, then the socket is closed (when the server owns it), so a client that connects
later is refused at connect (it knows its request was not sent) instead of being reset after
sending it.  Idle keep-alive connections close at once (a request that already reached the
socket is still read and answered); requests in flight finish, each response carrying
``Connection: close``, for up to the grace period; then whatever is left is killed.  ``stop``
may be called from any green thread, from a signal handler through ``hub.call_threadsafe``, or
from another OS thread (it then blocks that thread until the server has stopped).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from greenlet import getcurrent, greenlet

from eventlet._accept import AcceptBackoff
from eventlet.event import Event
from eventlet.greenio.socket import GreenSocket
from eventlet.greenthread import kill, spawn_n
from eventlet.hubs import get_hub

from ._admission import Admission
from ._connection import HttpProtocol, evictable
from ._expiry import Expired, Shutdown
from ._listening import is_tls, listening_socket, server_name, tls_context
from ._log import COMBINED, AccessLog
from ._stats import Recorder, snapshot
from ._wsgi import base_environ
from .protocol import ResponseWriter

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

    from eventlet._typing import ListeningSocket
    from eventlet.greenthread import GreenThread

    from ._forwarded import TrustedPeers

__all__ = ["Server", "serve"]

logger = logging.getLogger("eventlet.httpd")

_CAPITAL_CACHE_SIZE = 512
DEFAULT_MAX_BODY = 1 << 30
"""The default ``max_body``: 1 GiB, waitress's ``max_request_body_size``."""


class _StopAccepting(Exception):
    """Thrown into the accept loop by :meth:`Server.stop`."""


def _capitalize(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("-"))


class Server(Admission):
    """An HTTP/1.1 WSGI server on one listening socket.

    ``app`` is the WSGI application.  Listen on ``host``/``port`` (port 0: any free port; read
    :attr:`address` afterwards) or serve the already listening ``sock``.  Options:

    * ``backlog`` (1024), ``reuse_port`` (False): for the socket the server creates;
    * ``max_connections`` (10000): stop accepting at this many open connections;
    * ``keepalive`` (True): allow persistent connections; ``keepalive_timeout`` (75 s): close a
      connection idle that long between requests;
    * ``header_timeout`` (10 s): the time a client has to send a request head (slow loris);
    * ``socket_timeout`` (60 s, None for no limit): bound of each blocking body read or write;
    * ``access_log``: None (logger ``eventlet.httpd.access``), False (off), a logger, a file
      object or a path; ``access_log_format`` (Apache combined); ``log_x_forwarded_for``;
    * ``debug`` (False): put the traceback in the body of 500 responses;
    * ``max_request_line`` (8190), ``max_header_bytes`` (65536), ``max_headers`` (100),
      ``max_body`` (1 GiB, as waitress; None for no limit): request limits (414, 431, 413);
    * ``require_host`` (True): answer an HTTP/1.1 request without ``Host`` with 400 (RFC 9112
      3.2); False serves it, as ``eventlet.wsgi.server`` does;
    * ``forwarded_allow_ips`` (None): proxies (addresses, networks or ``"*"``, a list or a
      comma-separated string) whose ``X-Forwarded-For``/``-Proto``/``-Host`` and ``Forwarded``
      headers set ``REMOTE_ADDR``, ``wsgi.url_scheme`` and ``HTTP_HOST``
      (:mod:`eventlet.httpd._forwarded`); ``proxy_protocol`` (False): expect a PROXY protocol
      header from those peers (:mod:`eventlet.httpd._proxy`);
    * ``metrics`` (False): count requests for :meth:`stats`;
    * ``server_header`` ("eventlet-httpd", None for none), ``environ`` (extra environ keys),
      ``url_scheme``, ``capitalize_response_headers`` (False), ``minimum_chunk_size`` (0);
    * ``certfile``/``keyfile`` or ``ssl_context``: serve TLS (needs eventlet-ssl);
    * ``grace_period`` (30 s): default of :meth:`stop`'s ``timeout``;
    * ``protocol``: the per-connection driver class; ``pool``: a GreenPool to run them in.
    """

    def __init__(
        self,
        app: WSGIApplication,
        host: str = "127.0.0.1",
        port: int = 8000,
        *,
        sock: ListeningSocket | None = None,
        backlog: int = 1024,
        reuse_port: bool = False,
        max_connections: int = 10000,
        keepalive: bool = True,
        keepalive_timeout: float = 75.0,
        header_timeout: float = 10.0,
        socket_timeout: float | None = 60.0,
        linger_timeout: float = 2.0,
        access_log: Any = None,
        access_log_format: str = COMBINED,
        log_x_forwarded_for: bool = False,
        debug: bool = False,
        max_request_line: int = 8190,
        max_header_bytes: int = 65536,
        max_headers: int = 100,
        max_body: int | None = DEFAULT_MAX_BODY,
        max_drain: int = 1 << 20,
        require_host: bool = True,
        server_header: str | None = "eventlet-httpd",
        environ: dict[str, Any] | None = None,
        url_scheme: str | None = None,
        capitalize_response_headers: bool = False,
        minimum_chunk_size: int = 0,
        certfile: str | None = None,
        keyfile: str | None = None,
        ssl_context: Any = None,
        grace_period: float = 30.0,
        forwarded_allow_ips: str | Iterable[str] | None = None,
        proxy_protocol: bool = False,
        metrics: bool = False,
        protocol: type[HttpProtocol] = HttpProtocol,
        pool: Any = None,
    ) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        for name, value in (("keepalive_timeout", keepalive_timeout), ("header_timeout", header_timeout)):
            if not value > 0:
                raise ValueError(f"{name} must be positive")
        self.app = app
        self.max_connections = max_connections
        self.keepalive = keepalive
        self.keepalive_timeout = keepalive_timeout
        self.header_timeout = header_timeout
        self.socket_timeout = socket_timeout
        self.linger_timeout = linger_timeout
        self.debug = debug
        self.max_request_line = max_request_line
        self.max_header_bytes = max_header_bytes
        self.max_headers = max_headers
        self.max_body = max_body
        self.max_drain = max_drain
        self.require_host = require_host
        self.capitalize_response_headers = capitalize_response_headers
        self.minimum_chunk_size = minimum_chunk_size
        self.grace_period = grace_period
        self.protocol = protocol
        self.pool = pool
        self.writer: ResponseWriter = ResponseWriter(server_header)
        self.environ_keys: dict[str, str | None] = {}
        self._capitals: dict[str, str] = {}
        self._owned_file: Any = None
        self.access_log: AccessLog | None = self._make_access_log(
            access_log, access_log_format, log_x_forwarded_for
        )
        self.recorder: Recorder | None = None
        if metrics:
            self.access_log = self.recorder = Recorder(self.access_log)  # type: ignore[assignment]
        self.accepted: int = 0
        self.trusted: TrustedPeers | None = None
        self.forwarded_app: Callable[..., Any] | None = None
        if forwarded_allow_ips is not None:
            from ._forwarded import ForwardedApp, TrustedPeers  # ipaddress: only when asked for

            self.trusted = TrustedPeers(forwarded_allow_ips)
            self.forwarded_app = ForwardedApp(app, self.trusted)
        elif proxy_protocol:
            raise ValueError("proxy_protocol needs forwarded_allow_ips: the proxies to accept it from")
        self.proxy_protocol = proxy_protocol
        self.ssl_context: Any = tls_context(certfile, keyfile, ssl_context)
        self._owns_socket = sock is None or not isinstance(sock, GreenSocket)
        self._created_socket = sock is None
        self.socket: Any = listening_socket(host, port, sock, backlog, reuse_port)
        self._address = self.socket.getsockname()
        self.sendfile: bool = type(self.socket) is GreenSocket and self.ssl_context is None
        scheme = url_scheme or ("https" if self.ssl_context is not None or is_tls(sock) else "http")
        name, port_text = server_name(self._address)
        self.base_environ: dict[str, Any] = base_environ(name, port_text, scheme, environ)
        self.stopping: bool = False
        self._draining = False  # nothing more will be admitted: the last close ends the drain
        self._connections: set[HttpProtocol] = set()
        self._acceptor: greenlet | None = None
        self._waiting_capacity = False
        self._drained: Event[None] = Event()
        self._stopped: Event[None] = Event()
        self._hub: Any = get_hub()  # the hub (and OS thread) the server will run in
        self._thread = threading.get_ident()
        self._sweeper: Any = None
        shortest = min(header_timeout, keepalive_timeout, socket_timeout or header_timeout)
        self._sweep_interval = max(0.01, min(1.0, shortest / 4))

    # -- construction helpers --------------------------------------------------------------

    def _make_access_log(self, target: Any, fmt: str, forwarded_for: bool) -> AccessLog | None:
        if target is False:
            return None
        if isinstance(target, (str, os.PathLike)):
            target = self._owned_file = open(target, "a", encoding="utf-8")  # noqa: SIM115
        return AccessLog(target, fmt, forwarded_for)

    # -- public properties -----------------------------------------------------------------

    @property
    def address(self) -> Any:
        """The bound address (``(host, port)`` for TCP; still known once stopped)."""
        return self._address

    @property
    def port(self) -> int:
        """The bound TCP port."""
        return int(self.address[1])

    @property
    def connections(self) -> int:
        """The number of open client connections."""
        return len(self._connections)

    def stats(self) -> dict[str, Any]:
        """Statistics for monitoring, as a dict of numbers (JSON-ready).

        Always: ``connections_open``, ``connections_idle`` (waiting for a request head),
        ``connections_accepted``, and ``hub`` (the hub's ``statistics()``: ready callbacks,
        timers, listeners, switches).  With ``metrics=True`` also ``requests``, ``responses``
        (by status class: ``{"2xx": ...}``), ``bytes_sent`` (body bytes), and the request
        duration histogram: ``duration_buckets`` (cumulative counts per upper bound of
        :data:`~eventlet.httpd._stats.DURATION_BUCKETS`, then +Inf) and ``duration_sum``.
        """
        return snapshot(self)

    def capitalized(self, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """``headers`` with names capitalised per word (``content-type`` -> ``Content-Type``)."""
        cache = self._capitals
        out = []
        for name, value in headers:
            cap = cache.get(name)
            if cap is None:
                cap = _capitalize(name)
                if len(cache) < _CAPITAL_CACHE_SIZE:
                    cache[name] = cap
            out.append((cap, value))
        return out

    # -- serving ---------------------------------------------------------------------------

    def serve_forever(self) -> None:
        """Accept and serve connections until :meth:`stop`; return once fully stopped.

        ``KeyboardInterrupt`` and ``SystemExit`` stop the server gracefully, then propagate.
        """
        if self._acceptor is not None:
            raise RuntimeError("the server is already serving")
        if self.stopping:
            self._stopped.wait()
            return
        self._acceptor = getcurrent()
        self._hub = get_hub()
        self._thread = threading.get_ident()
        self._sweeper = self._hub.schedule_call_global(self._sweep_interval, self._sweep)
        try:
            self._accept_loop()
        except _StopAccepting:
            pass
        except (KeyboardInterrupt, SystemExit):
            self._acceptor = None
            self.stop()
            raise
        finally:
            self._acceptor = None
            if not self.stopping and self._sweeper is not None:  # a fatal error, or killed
                self._sweeper.cancel()
                self._sweeper = None
        self._stopped.wait()

    def start(self) -> GreenThread[None]:
        """Run :meth:`serve_forever` in a new green thread; return that green thread."""
        from eventlet.greenthread import spawn

        return spawn(self.serve_forever)

    def _accept_loop(self) -> None:
        lsock = self.socket
        conns = self._connections
        cap = self.max_connections
        admit = self._admit
        accept = AcceptBackoff(logger, "eventlet-httpd").accept
        while True:
            if len(conns) >= cap:
                self._wait_capacity()
            sock, addr = accept(lsock)
            admit(sock, addr)

    def _admit(self, sock: Any, addr: Any) -> None:
        """Start serving an accepted connection."""
        conn = self.protocol(self, sock, addr)
        self._connections.add(conn)
        self.accepted += 1
        if self.pool is None:
            conn.greenlet = spawn_n(conn.run)
        else:
            self.pool.spawn_n(conn.run)

    def _wake_acceptor(self) -> None:
        acceptor = self._acceptor
        if self._waiting_capacity and acceptor is not None:  # pragma: no branch - a stale wake-up
            acceptor.switch()

    def _forget(self, conn: HttpProtocol) -> None:
        """Called by a driver when its connection is closed."""
        conns = self._connections
        conns.discard(conn)
        if self._waiting_capacity and len(conns) < self.max_connections:
            self._hub.call_soon(self._wake_acceptor)
        if self._draining and not conns and not self._drained.ready():
            self._drained.send()

    def _sweep(self) -> None:
        """Expire connections whose wait for a request head passed its deadline (in the hub)."""
        self._sweeper = self._hub.schedule_call_global(self._sweep_interval, self._sweep)
        now = time.monotonic()
        for conn in [c for c in self._connections if c.waiting and c.deadline <= now]:
            conn.expire(Expired())
        if self._waiting_capacity and any(evictable(c) for c in self._connections):
            self._hub.call_soon(self._wake_acceptor)  # it closes one if a client still waits

    # -- stopping --------------------------------------------------------------------------

    def stop(self, timeout: float | None = None) -> None:
        """Stop gracefully, waiting up to ``timeout`` (default: ``grace_period``) seconds.

        Returns once every connection is closed.  Callable from any green thread of the
        server's OS thread, or from another OS thread (which it then blocks).
        """
        if self._stopped.ready():
            return
        hub = self._hub
        if self._thread != threading.get_ident():
            done = threading.Event()

            def stop_there() -> None:
                try:
                    self.stop(timeout)
                finally:
                    done.set()

            hub.call_threadsafe(spawn_n, stop_there)
            done.wait()
            return
        if self.stopping:
            self._stopped.wait()
            return
        self.stopping = True
        grace = self.grace_period if timeout is None else timeout
        try:
            acceptor = self._acceptor
            if acceptor is not None and acceptor is not getcurrent():
                kill(acceptor, _StopAccepting())
            if self._owns_socket:
                self._stop_listening()
            self._draining = True
            for conn in [c for c in self._connections if evictable(c)]:
                conn.expire(Shutdown())
            if self._connections:
                self._drained.wait(grace)
            for conn in list(self._connections):
                conn.kill()
        finally:
            self._close()

    def _close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        if self._owns_socket:
            self.socket.close()
        if self._owned_file is not None:
            self._owned_file.close()
        self._stopped.send()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.stopping:
            self.stop()


def serve(app: WSGIApplication, host: str = "127.0.0.1", port: int = 8000, **options: Any) -> None:
    """Serve ``app`` on ``host``/``port`` (or ``sock=``) until stopped; see :class:`Server`."""
    Server(app, host, port, **options).serve_forever()
