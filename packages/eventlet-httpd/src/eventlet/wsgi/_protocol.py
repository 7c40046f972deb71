""":class:`HttpProtocol`: serves the requests of one connection, as upstream's does.

It is a ``BaseHTTPServer.BaseHTTPRequestHandler`` (the green ``http.server``'s), created by
:meth:`eventlet.wsgi.Server.process_request` with ``(conn_state, server)``, where ``conn_state``
is the ``[address, socket, state]`` list :func:`eventlet.wsgi.server` also keeps; its
constructor runs ``setup()``, ``handle()`` and ``finish()``.  ``handle`` loops on
``handle_one_request``: ``_read_request_line`` (under the ``keepalive`` timeout when that is a
number), ``parse_request`` (the request line and headers, into ``command``, ``path``,
``request_version``, ``headers``), the body's framing, ``get_environ``, then
``handle_one_response`` (in :mod:`._response`).  ``conn_state[2]`` goes ``STATE_REQUEST`` while a
request is served and back to ``STATE_IDLE``; ``STATE_CLOSE`` (set by the server when it stops)
ends the connection after the current request.

Subclasses override any of these, as they do upstream's: nameko's ``finish``, OpenStack Swift's
``parse_request`` (reading the headers from ``rfile`` itself), ``get_environ``,
``_read_request_line``, ``log_message``, ``send_error`` and ``MessageClass``; a PROXY-protocol
``handle`` reading a first line from ``rfile``.  What the base class writes to ``sys.stderr``
(``log_message``) goes to the server's log here.

Errors in the request get upstream's answers where upstream has its own (``414`` with
``RESPONSE_414``, ``400 Header Line Too Long``, ``400 Headers Too Large``, ``400 Bad Request``
for a bad ``Content-Length`` or for both ``Content-Length`` and ``Transfer-Encoding``), and
otherwise ``send_error`` with the reason, as the standard library's parser does.
"""

from __future__ import annotations

import socket
import ssl
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from eventlet import wsgi as _wsgi
from eventlet.greenio import shutdown_safe
from eventlet.httpd.protocol._errors import HTTPProtocolError
from eventlet.support import get_errno

from ._head import BadContentLength, HeadChecker, HeaderSection, LengthAndChunked, framing, read_fields
from ._input import Input
from ._response import Responder

if TYPE_CHECKING:
    from ._server import Server

__all__ = ["HttpProtocol"]

_HEADER_LINE_TOO_LONG = b"HTTP/1.0 400 Header Line Too Long\r\nConnection: close\r\nContent-length: 0\r\n\r\n"
_HEADERS_TOO_LARGE = b"HTTP/1.0 400 Headers Too Large\r\nConnection: close\r\nContent-length: 0\r\n\r\n"
_BAD_REQUEST = b"HTTP/1.0 400 Bad Request\r\nConnection: close\r\nContent-length: 0\r\n\r\n"
_CONTINUE_LINE = b"HTTP/1.1 100 Continue\r\n"
_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)
_stamp: list[Any] = [-1, ""]  # noqa: RUF100  # the second and its log_date_time_string()


def client_went_away(exc: OSError) -> bool:
    """Whether ``exc`` (from a socket call) means the client closed or reset the connection."""
    return get_errno(exc) in _wsgi.BROKEN_SOCK or isinstance(
        exc, (BrokenPipeError, ConnectionResetError, ssl.SSLEOFError, ssl.SSLZeroReturnError)
    )


class HttpProtocol(Responder, _wsgi.BaseHTTPServer.BaseHTTPRequestHandler):  # type: ignore[misc]
    """Handles the HTTP requests arriving on one connection (see the module docstring).

    ``conn_state`` is ``[client address, socket, state]``; ``server`` the :class:`Server`.
    """

    protocol_version: str = "HTTP/1.1"
    # set per connection and per request (BaseHTTPRequestHandler declares them too)
    connection: Any
    rfile: Any
    path: str
    minimum_chunk_size: int = _wsgi.MINIMUM_CHUNK_SIZE
    capitalize_response_headers: bool = True
    reject_bad_requests = True
    """False accepts a request with both ``Content-Length`` and ``Transfer-Encoding`` (as
    chunked; the connection is closed after it) instead of refusing it."""
    wbufsize = 16 << 10  # buffered, so partial socket writes are retried

    def __init__(self, conn_state: list[Any], server: Server) -> None:
        self.request: Any = conn_state[1]
        self.client_address: Any = conn_state[0]
        self.conn_state = conn_state
        self.server = server
        # Overrides from the server, before setup().
        if server.minimum_chunk_size is not None:
            self.minimum_chunk_size = server.minimum_chunk_size
        self.capitalize_response_headers = server.capitalize_response_headers
        self._checker = HeadChecker()
        self._section: HeaderSection | None = None
        self._framing: tuple[int | None, bool] = (0, False)
        self._client_connection = ""
        self._server_address: tuple[Any, Any] | None = None
        self.setup()
        try:
            self.handle()
        finally:
            self.finish()

    def setup(self) -> None:
        """Make ``rfile`` and ``wfile`` on the connection (``connection``)."""
        conn = self.connection = self.request
        if _QUICKACK is not None:  # pragma: no branch - Linux has it: acknowledge requests at once
            try:
                conn.setsockopt(socket.IPPROTO_TCP, _QUICKACK, True)
            except OSError:
                pass
        try:
            self.rfile = conn.makefile("rb", self.rbufsize)
            self.wfile: Any = conn.makefile("wb", self.wbufsize)
        except (AttributeError, NotImplementedError):
            raise NotImplementedError(f"eventlet.wsgi doesn't support sockets of type {type(conn)}") from None

    def handle(self) -> None:
        """Serve requests until one closes the connection."""
        self.close_connection = True
        while True:
            self.handle_one_request()
            if self.conn_state[2] == _wsgi.STATE_CLOSE:
                self.close_connection = 1
            else:
                self.conn_state[2] = _wsgi.STATE_IDLE
            if self.close_connection:
                break

    def _read_request_line(self) -> bytes:
        """The next request line (``b""`` when the connection ended)."""
        if self.rfile.closed:
            self.close_connection = 1
            return b""
        server = self.server
        try:
            sock = self.connection
            keepalive = server.keepalive
            if keepalive and not isinstance(keepalive, bool):
                sock.settimeout(keepalive)
            line: bytes = self.rfile.readline(server.url_length_limit)
            sock.settimeout(server.socket_timeout)
            return line
        except ssl.SSLError as exc:  # a failed TLS handshake, or garbage on a TLS connection
            server.log.debug(f"({server.pid}) TLS error from {self.client_address!r}: {exc}")
        except OSError as exc:
            number = get_errno(exc)
            if number in _wsgi.BROKEN_SOCK:
                server.log.debug(f"({server.pid}) connection reset by peer {self.client_address!r}")
            elif number not in _wsgi.BAD_SOCK:
                raise
        return b""

    def handle_one_request(self) -> None:
        """Read one request and answer it."""
        server = self.server
        if server.max_http_version:
            self.protocol_version = server.max_http_version
        self.raw_requestline: bytes = self._read_request_line()
        if self.conn_state[2] != _wsgi.STATE_CLOSE:  # the server may be stopping
            self.conn_state[2] = _wsgi.STATE_REQUEST
        if not self.raw_requestline:
            self.close_connection = 1
            return
        if len(self.raw_requestline) >= server.url_length_limit:
            self.wfile.write(_wsgi.RESPONSE_414)
            self.close_connection = 1
            return
        self._section = None
        rfile = self.rfile
        try:
            self.rfile = _wsgi.FileObjectForHeaders(rfile)
            if not self.parse_request():
                return
        except _wsgi.HeaderLineTooLong:
            self.wfile.write(_HEADER_LINE_TOO_LONG)
            self.close_connection = 1
            return
        except _wsgi.HeadersTooLarge:
            self.wfile.write(_HEADERS_TOO_LARGE)
            self.close_connection = 1
            return
        finally:
            self.rfile = rfile
        if not self._frame_body():
            return
        self.environ: dict[str, Any] = self.get_environ()
        self.application: Any = server.app
        try:
            server.outstanding_requests += 1
            try:
                self.handle_one_response()
            except OSError as exc:
                if not client_went_away(exc):
                    raise
        finally:
            server.outstanding_requests -= 1

    def _frame_body(self) -> bool:
        """Decide how the request body is framed; False if the request was refused."""
        section = self._section
        if section is None:  # a subclass parsed the headers itself
            section = HeaderSection(self.headers.items())
        try:
            length, chunked, must_close = framing(
                section.special, self.request_version, self.reject_bad_requests
            )
        except BadContentLength:
            self.wfile.write(_BAD_REQUEST)
            self.close_connection = 1
            return False
        except LengthAndChunked as exc:
            message = exc.reason.encode() + b"\n"
            self.wfile.write(
                b"HTTP/1.0 400 Bad Request\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s"
                % (len(message), message)
            )
            self.close_connection = 1
            return False
        except HTTPProtocolError as exc:
            self.send_error(exc.status, exc.reason)
            return False
        if must_close:
            self.close_connection = 1
        self._framing = (length, chunked)
        self._client_connection = section.connection
        return True

    def parse_request(self) -> bool:
        """Parse ``raw_requestline`` and the headers from ``rfile``; False (answered) if invalid."""
        self.command = None
        self.request_version: str = self.default_request_version
        self.close_connection = True
        raw = self.raw_requestline
        self.requestline: str = str(raw, "iso-8859-1").rstrip("\r\n")
        checker = self._checker
        try:
            try:
                command, path, version = checker.request_line(raw)
            except HTTPProtocolError:
                # HTTP/0.9 is not served here: answer with a status line and headers, which
                # send_error leaves out while request_version says HTTP/0.9.
                self.request_version = "HTTP/1.0"
                raise
            self.command, self.path, self.request_version = command, path, version
            if version == "HTTP/1.1" and self.protocol_version >= "HTTP/1.1":
                self.close_connection = False
            block = read_fields(self.rfile, _wsgi.MAX_HEADER_LINE, _wsgi.MAX_TOTAL_HEADER_SIZE)
            if block is None:  # the client left in the middle of the head
                return False
            section = checker.fields(block)
        except HTTPProtocolError as exc:
            self.send_error(exc.status, exc.reason)
            return False
        headers = self.MessageClass()
        headers._headers = section.fields.copy()
        self.headers = headers
        self._section = section
        connection = section.connection
        if connection == "close":
            self.close_connection = True
        elif connection == "keep-alive" and self.protocol_version >= "HTTP/1.1":
            self.close_connection = False
        if section.expect == "100-continue" and self.protocol_version >= "HTTP/1.1" and version >= "HTTP/1.1":
            return self.handle_expect_100()
        return True

    def handle_expect_100(self) -> bool:
        """Accept ``Expect: 100-continue``: ``100 Continue`` goes out on the body's first read."""
        return True

    def get_environ(self) -> dict[str, Any]:
        """The WSGI environ of the parsed request."""
        env: dict[str, Any] = self.server.get_environ()
        env["REQUEST_METHOD"] = self.command
        env["SCRIPT_NAME"] = ""
        raw_path, has_query, query = self.path.partition("?")
        env["RAW_PATH_INFO"] = raw_path
        env["PATH_INFO"] = unquote(raw_path, encoding="latin1") if "%" in raw_path else raw_path
        if has_query:
            env["QUERY_STRING"] = query
        headers = self.headers
        raw_fields = headers._headers  # type: ignore[attr-defined]
        section = self._section
        if section is None or raw_fields != section.fields:  # parsed or changed by a subclass
            section = HeaderSection(raw_fields)
        # Without Content-Type: the message class's default ("text/plain" for HTTPMessage).
        content_type = section.content_type
        env["CONTENT_TYPE"] = headers.get_default_type() if content_type is None else content_type
        if section.content_length:
            env["CONTENT_LENGTH"] = section.content_length
        env["SERVER_PROTOCOL"] = self.request_version  # the client's (PEP 3333; upstream: always 1.0)
        server_address = self._server_address
        if server_address is None:
            server_address = self._server_address = _wsgi.addr_to_host_port(self.request.getsockname())
        env["SERVER_NAME"] = server_address[0]
        env["SERVER_PORT"] = str(server_address[1])
        client_host, client_port = _wsgi.addr_to_host_port(self.client_address)
        env["REMOTE_ADDR"] = client_host
        env["REMOTE_PORT"] = str(client_port)
        env["GATEWAY_INTERFACE"] = "CGI/1.1"
        if section.raw is None:
            section.raw = tuple((k, v.strip(" \t\n\r")) for k, v in section.fields)
        env["headers_raw"] = section.raw
        items = section.environ_items
        if items is None or type(self).formalize_key_naming is not HttpProtocol.formalize_key_naming:
            items = self._environ_items(section.raw)
            if type(self).formalize_key_naming is HttpProtocol.formalize_key_naming:
                section.environ_items = items
        if self.server.environ:  # keys of the server's environ may collide: join, as upstream
            for key, value in items.items():
                env[key] = env[key] + "," + value if key in env else value
        else:
            env.update(items)
        expect = env.get("HTTP_EXPECT")
        if expect is not None and expect.lower() == "100-continue":
            wfile, wfile_line = self.wfile, _CONTINUE_LINE
        else:
            wfile = wfile_line = None
        content_length, chunked = self._framing
        env["wsgi.input"] = env["eventlet.input"] = Input(
            self.rfile,
            content_length,
            self.connection,
            wfile=wfile,
            wfile_line=wfile_line,
            chunked_input=chunked,
        )
        env["eventlet.posthooks"] = []
        env["eventlet.set_idle"] = self._set_idle  # websockets: the connection waits, it is not busy
        return env

    def _environ_items(self, headers_raw: tuple[tuple[str, str], ...]) -> dict[str, str]:
        """The ``HTTP_*`` environ keys of the headers (repeated names joined with ``,``)."""
        items: dict[str, str] = {}
        for name, value in headers_raw:
            key = self.formalize_key_naming(name)
            if not key or key == "CONTENT_TYPE" or key == "CONTENT_LENGTH":
                continue
            key = "HTTP_" + key
            items[key] = items[key] + "," + value if key in items else value
        return items

    def _set_idle(self) -> None:
        self.conn_state[2] = _wsgi.STATE_IDLE

    def get_client_address(self) -> tuple[Any, Any]:
        """``(host, port)`` for the access log; ``host`` starts with ``X-Forwarded-For`` if asked."""
        host, port = _wsgi.addr_to_host_port(self.client_address)
        if self.server.log_x_forwarded_for:
            forward = self.headers.get("X-Forwarded-For", "").replace(" ", "")
            if forward:
                host = forward + "," + str(host)
        return host, port

    def formalize_key_naming(self, k: str) -> str | None:
        """The environ key for header ``k`` (without ``HTTP_``); None to leave it out.

        Names with ``_`` are left out: after ``-`` becomes ``_`` they would be indistinguishable
        from their ``-`` twins, which lets a client spoof a header a proxy set (nginx, Django,
        gunicorn and Werkzeug drop them too).
        """
        if "_" in k:
            return None
        return k.replace("-", "_").upper()

    def finish(self) -> None:
        """Flush and close ``wfile`` and ``rfile``, then shut down and close the connection."""
        try:
            _wsgi.BaseHTTPServer.BaseHTTPRequestHandler.finish(self)
        except OSError as exc:
            if get_errno(exc) not in _wsgi.BROKEN_SOCK:
                raise
        shutdown_safe(self.connection)
        self.connection.close()

    def log_message(self, format: str, *args: Any) -> None:
        """What ``BaseHTTPRequestHandler`` reports (``send_error``): to the server's log."""
        host = _wsgi.addr_to_host_port(self.client_address)[0]
        self.server.log.info(f"{host} - - [{self.log_date_time_string()}] {format % args}")

    def log_date_time_string(self) -> str:
        """Local time for the access log, ``05/Dec/2026 23:22:18`` (formatted once a second)."""
        now = time.time()
        second = int(now)
        if second != _stamp[0]:
            year, month, day, hour, minute, sec = time.localtime(now)[:6]
            _stamp[1] = f"{day:02d}/{self.monthname[month]:3s}/{year:04d} {hour:02d}:{minute:02d}:{sec:02d}"
            _stamp[0] = second
        stamp: str = _stamp[1]
        return stamp
