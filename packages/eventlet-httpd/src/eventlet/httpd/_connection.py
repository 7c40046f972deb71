"""The per-connection driver: feeds the sans-IO parser from a green socket and runs the app.

One green thread per connection runs :meth:`HttpProtocol.run`: read until a request head is
complete, build the environ, call the application, send the response, drain what is left of the
request body, and go round again while the connection may be kept alive.  Pipelined requests
need no special care: they wait in the parser's buffer and are answered in order.

Speed.  For the common keep-alive request the loop does one ``recv``, one parse, one
``dict.copy`` for the environ, one application call and one ``sendall`` of head and body
joined.  No per-request closure is made: ``start_response`` and ``write`` are bound methods of the driver,
whose response state is reset per request.

Timeouts cost no timer per read or write: the driver marks the socket calls that may block with
a wait state and a deadline, and the server's periodic sweep expires those past their deadline
(see :mod:`eventlet.httpd._expiry`, which defines :class:`Expired` and :class:`Shutdown`).

Before the first request: with ``proxy_protocol`` a trusted peer's PROXY header is read (it
names the client), then the TLS handshake runs if the server speaks TLS (a plain HTTP request
there gets a ``400`` saying so): :mod:`eventlet.httpd._opening`.  The application is chosen once
per connection: wrapped in :class:`~eventlet.httpd._forwarded.ForwardedApp` when the client is a
trusted proxy, so forwarding headers cost nothing on other connections.

Writing the response (every body shape, framing checks) and the failure responses (a malformed
request's error status with a lingering close, an application's ``500``) live in
:mod:`eventlet.httpd._response`, whose :class:`~eventlet.httpd._response.ResponseSender` is this
driver's base class.  A client that went away is logged at debug level only.
"""

from __future__ import annotations

import logging
import socket as _stdsocket
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from greenlet import getcurrent, greenlet

from ._expiry import HEAD_WAIT, IO_WAIT, Expired, Shutdown
from ._opening import peer_address, read_proxy_header, start_tls
from ._response import ResponseSender, as_bytes
from ._wsgi import ALREADY_HANDLED, ClientDisconnected, Input, environ_key
from .protocol import HTTPProtocolError, Request, RequestParser, ResponseHead, continue_response

if TYPE_CHECKING:
    from ._server import Server

__all__ = ["HttpProtocol", "evictable"]

error_log = logging.getLogger("eventlet.httpd.error")

_monotonic = time.monotonic
_RECV_SIZE = 65536


def evictable(conn: HttpProtocol) -> bool:
    """Whether ``conn`` is idle between two requests (kept alive, nothing of a next one received).

    Such a connection may be closed to make room or to stop: its client sent no request that
    would be lost, and HTTP clients retry a request whose kept-alive connection closed.
    """
    return conn.waiting == HEAD_WAIT and conn.requests > 0 and not conn.parser.buffered


class HttpProtocol(ResponseSender):
    """Serves the requests of one client connection (see the module docstring).

    Created by the server for each accepted socket; :meth:`run` is the green thread's body.
    Also exported as ``eventlet.wsgi.HttpProtocol``; a subclass may be given to the server as
    ``protocol`` to customise it.
    """

    # With those of ResponseSender: deadline, head, headers, sent, status, waiting.
    __slots__ = (
        "addr",
        "app",
        "body_error",
        "continue_headers",
        "expect_pending",
        "greenlet",
        "hijacked",
        "input",
        "parser",
        "request",
        "requests",
        "server",
        "sock",
    )

    def __init__(self, server: Server, sock: Any, addr: Any) -> None:
        self.server: Server = server
        self.sock: Any = sock
        self.addr: Any = addr
        self.app: Callable[..., Any] = server.app
        """The application for this connection's requests (wrapped for a trusted proxy)."""
        self.parser: RequestParser = RequestParser(
            max_line=server.max_request_line,
            max_header_bytes=server.max_header_bytes,
            max_headers=server.max_headers,
            max_body=server.max_body,
            require_host=server.require_host,
        )
        self.greenlet: greenlet | None = None
        self.waiting: int = 0
        """``HEAD_WAIT`` or ``IO_WAIT`` while in a socket call the sweeper may expire, else 0."""
        self.deadline: float = 0.0
        """When the current wait expires (``time.monotonic()`` seconds)."""
        self.hijacked: bool = False
        self.input: Input | None = None
        self.expect_pending: bool = False
        self.continue_headers: list[tuple[str, str]] | None = None
        self.body_error: HTTPProtocolError | None = None
        self.request: Request | None = None
        self.requests: int = 0
        """Requests received on this connection so far."""
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.head: ResponseHead | None = None
        self.sent: int = 0

    def __repr__(self) -> str:
        return f"<HttpProtocol {self.addr!r}>"

    # -- lifecycle -----------------------------------------------------------------------

    def run(self) -> None:
        """Serve the connection until it closes; never raises (except to be killed)."""
        server = self.server
        self.greenlet = getcurrent()
        try:
            if server.proxy_protocol and not read_proxy_header(self):
                return
            if server.ssl_context is None or start_tls(self):
                self._serve()
        except OSError as exc:  # ClientDisconnected included
            error_log.debug("connection from %r ended: %s", self.addr, exc)
        except Exception:
            error_log.exception("internal error on the connection from %r", self.addr)
        finally:
            self.waiting = 0
            try:
                self.sock.close()
            finally:
                server._forget(self)

    def expire(self, exc: BaseException) -> None:
        """Throw ``exc`` into the driver if it is in an expirable wait (from hub or green thread)."""
        glet = self.greenlet
        if self.waiting and glet is not None and not glet.dead:
            if getcurrent() is glet.parent:
                glet.throw(exc)
            else:
                from eventlet.greenthread import kill

                kill(glet, exc)

    def kill(self) -> None:
        """Stop the driver wherever it is (the server's grace period is over)."""
        from eventlet.greenthread import kill

        glet = self.greenlet
        started = glet is not None and bool(glet)
        if glet is not None and not glet.dead:
            kill(glet)
        if not started:  # its run() never began: nobody else will close the socket
            self.sock.close()
            self.server._forget(self)

    # -- the request loop ----------------------------------------------------------------

    def _serve(self) -> None:
        server = self.server
        parser = self.parser
        sock = self.sock
        remote_addr, remote_port = peer_address(self.addr)
        env_base = server.base_environ.copy()
        env_base["REMOTE_ADDR"] = remote_addr
        env_base["REMOTE_PORT"] = remote_port
        if server.forwarded_app is not None and remote_addr in server.trusted:  # type: ignore[operator]
            self.app = server.forwarded_app
        self.deadline = _monotonic() + server.header_timeout
        idle = parse = False  # idle: between requests; parse: the buffer may hold a head
        recv = sock.recv
        while True:
            if parse:
                try:
                    req = parser.next_request()
                except HTTPProtocolError as exc:
                    self._reject(exc)
                    return
                if req is not None:
                    self.requests += 1
                    if not self._respond(req, env_base):
                        if parser.in_progress:
                            self._linger()
                        return
                    if not parser.body_complete and not self._drain():
                        return
                    parse = parser.buffered > 0
                    idle = not parse
                    timeout = server.header_timeout if parse else server.keepalive_timeout
                    self.deadline = _monotonic() + timeout
                    continue
                if idle:  # the first bytes of a new head: the header timeout starts now
                    idle = False
                    self.deadline = _monotonic() + server.header_timeout
            self.waiting = HEAD_WAIT
            try:
                data = recv(_RECV_SIZE)
            except Expired:
                self.waiting = 0
                if parser.buffered:
                    self._reject(HTTPProtocolError(408, "request head not received in time"))
                return
            except Shutdown:
                self.waiting = 0
                data = self._last_bytes()
            finally:
                self.waiting = 0
            if not data:
                if parser.in_progress:
                    error_log.debug("client %r closed mid-request", self.addr)
                return
            parser.feed(data)
            parse = True

    def _last_bytes(self) -> bytes:
        """On shutdown of an idle connection: a request already sent is still served."""
        try:
            return bytes(self.sock.recv(_RECV_SIZE, _stdsocket.MSG_DONTWAIT))
        except OSError:
            return b""

    def _drain(self) -> bool:
        """Discard the unread rest of the request body; False if the connection must close."""
        parser = self.parser
        left = self.server.max_drain
        try:
            while not parser.drain_body():
                if left <= 0:
                    return False
                data = self._recv_io()
                if not data:
                    return False
                left -= len(data)
                parser.feed(data)
        except (HTTPProtocolError, ClientDisconnected):
            return False
        return True

    def _recv_io(self) -> bytes:
        """Receive body bytes under ``socket_timeout``; errors become ClientDisconnected."""
        timeout = self.server.socket_timeout
        if timeout is not None:
            self.deadline = _monotonic() + timeout
            self.waiting = IO_WAIT
        try:
            data: bytes = self.sock.recv(_RECV_SIZE)
            return data
        except Expired:
            raise ClientDisconnected("timed out receiving the request body") from None
        except OSError as exc:
            raise ClientDisconnected(f"receiving the request body failed: {exc}") from exc
        finally:
            self.waiting = 0

    # -- one request ---------------------------------------------------------------------

    def _respond(self, req: Request, env_base: dict[str, Any]) -> bool:
        """Run the application for ``req``; return whether the connection may be reused."""
        server = self.server
        env = env_base.copy()
        env["REQUEST_METHOD"] = req.method
        path = req.path
        env["PATH_INFO"] = unquote(path, "latin-1") if "%" in path else path
        env["RAW_PATH_INFO"] = path
        env["REQUEST_URI"] = req.target
        env["QUERY_STRING"] = req.query
        env["SERVER_PROTOCOL"] = req.version
        keys = server.environ_keys
        for name, value in req.headers:
            try:
                key = keys[name]
            except KeyError:
                key = environ_key(keys, name)
            if key is None:
                continue
            if key in env:
                value = env[key] + ("; " if key == "HTTP_COOKIE" else ", ") + value
            env[key] = value
        inp = self.input = Input(self, req.content_length, req.chunked)
        env["wsgi.input"] = env["eventlet.input"] = inp
        env["eventlet.posthooks"] = []
        self.request = req
        self.expect_pending = req.expect_continue
        self.status = None
        self.head = None
        self.sent = 0
        access_log = server.access_log
        started = _monotonic() if access_log is not None else 0.0
        keep = False
        result: Any = None
        try:
            result = self.app(env, self.start_response)
            if self.hijacked or result is ALREADY_HANDLED:
                keep = False
            elif type(result) is list and len(result) == 1 and self.head is None:
                body = result[0]
                if type(body) is not bytes:
                    body = as_bytes(body)
                head = self._head(len(body))
                if head.has_body and head.content_length == len(body):
                    self._send(head.data + body)  # the common case: one send
                    self.sent = len(body)
                    keep = head.keep_alive
                else:
                    keep = self._write_first(body)
            else:
                keep = self._send_iterable(result)
        except ClientDisconnected as exc:
            error_log.debug("client %r went away: %s", self.addr, exc)
        except Exception as exc:
            self._app_failed(exc, env)
        finally:
            if result is not None and type(result) is not list:
                self._close_result(result)
            self.input = None
            self.request = None
        if access_log is not None and self.status is not None and access_log.enabled:
            access_log.write(env, self.status, self.sent, _monotonic() - started)
        hooks = env["eventlet.posthooks"]
        if hooks:
            self._run_posthooks(env, hooks)
        return keep and self.body_error is None

    def _close_result(self, result: Any) -> None:
        close = getattr(result, "close", None)
        if close is None:
            return
        try:
            close()
        except Exception:
            error_log.exception("the close() of the response iterable failed")

    def _run_posthooks(self, env: dict[str, Any], hooks: list[Any]) -> None:
        for hook, args, kwargs in hooks:
            try:
                hook(env, *args, **kwargs)
            except Exception:
                error_log.exception("eventlet.posthooks callback %r failed", hook)

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        """WSGI ``start_response``: remember status and headers; return ``write``."""
        if exc_info is not None:
            try:
                if self.head is not None:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise RuntimeError("start_response() called a second time without exc_info")
        if type(status) is not str:
            raise TypeError(f"status must be str, not {type(status).__name__}")
        self.status = status
        self.headers = headers
        return self.write

    def write(self, data: bytes) -> None:
        """The legacy WSGI ``write`` callable: send ``data`` now."""
        if self.status is None:
            raise RuntimeError("write() called before start_response()")
        if not self._write_body(as_bytes(data)):
            raise ClientDisconnected("the response body exceeded its Content-Length")

    def send_continue(self) -> None:
        """Send the interim ``100 Continue`` (first read of a body the client holds back).

        Its headers (``Input.set_hundred_continue_response_headers``) are checked as response
        headers are: an invalid one raises ``ValueError`` into the application's read, which
        then gets a ``500`` rather than putting another line on the wire.
        """
        self.expect_pending = False
        self._send(continue_response(self.continue_headers or ()))  # ValueError: bad headers

    def receive_body(self) -> None:
        """Receive more request body bytes into the parser (for :class:`Input`)."""
        data = self._recv_io()
        if not data:
            raise ClientDisconnected("the client closed the connection in the request body")
        self.parser.feed(data)

    def hijack(self) -> Any:
        """Hand the socket to the application; no response will be written by the server."""
        self.hijacked = True
        return self.sock
