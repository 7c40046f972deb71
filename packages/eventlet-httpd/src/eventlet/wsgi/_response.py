"""The response half of :class:`eventlet.wsgi.HttpProtocol`: upstream's ``handle_one_response``.

:class:`Responder` is a base class of ``HttpProtocol``; it calls the application and writes what
it returns the way upstream does, so the bytes on the wire and the access log match:

* the head is ``protocol_version status``, the application's headers (names capitalised per
  word unless ``capitalize_response_headers`` is off), ``Date``, then what framing needs:
  ``Content-Length`` when the application returned a sized iterable (a list), else
  ``Transfer-Encoding: chunked`` for an HTTP/1.1 client, else a close; ``Connection: close``
  when the connection ends, ``Connection: keep-alive`` (and ``Keep-Alive: timeout=N`` when
  ``keepalive`` is a number) for a client that asked for it;
* body bytes are gathered up to ``minimum_chunk_size`` (or the request's
  ``environ["eventlet.minimum_write_chunk_size"]``) before each write; ``str`` chunks are
  encoded as ASCII;
* an exception before anything was sent gives a ``500`` (with the traceback when ``debug``),
  after that the connection is closed; the traceback goes to the server's log either way;
* ``WSGI_LOCAL.already_handled`` (or ``ALREADY_HANDLED`` returned) means the application
  answered on the socket itself: nothing more is written and the connection is closed;
* afterwards the unread rest of the request body is read and dropped (when the connection is
  kept), the ``eventlet.posthooks`` run, and the access line is logged (``body_length`` is the
  bytes written, head included, as upstream counts).

Differences, each protecting the client or the next response on the connection: no body bytes
for ``HEAD``, 1xx, 204 and 304; a header name or value with CR, LF or another control
character, or an invalid ``Content-Length``, fails the response (500) instead of being sent;
a body longer than its ``Content-Length`` is cut there and the connection closed, a shorter one
closes it too; a chunked body always ends with its last chunk (upstream's did not after
``write()`` alone); an application's ``write(b"")`` is not taken for the end of the body;
an unread request body larger than :data:`MAX_DRAIN` is not read: the connection is closed.
"""

from __future__ import annotations

import re
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from eventlet import wsgi as _wsgi
from eventlet.httpd._wsgi import ALREADY_HANDLED, ChunkReadError
from eventlet.httpd.protocol import encode_chunk, end_chunks
from eventlet.timeout import Timeout

if TYPE_CHECKING:
    from ._input import Input
    from ._server import Server

__all__ = ["MAX_DRAIN", "Responder"]

MAX_DRAIN = 1 << 20
"""Unread request body bytes (after the response) read and dropped to keep the connection."""

_NAME_RE = re.compile(r"[^\x00-\x20\x7f:]+")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_CACHE_SIZE = 1024
_names: dict[str, str] = {}  # header names known to be valid -> lower-cased
_capitals: dict[str, str] = {}  # header name -> capitalised per word
_date = [-1, b""]  # the second and its "Date: ...\r\n" line
# (version, status, *headers) -> _encode_head()'s result, for heads already checked
_heads: dict[tuple[Any, ...], tuple[bytes, bool, int | None, bool]] = {}


def _capitalize(name: str) -> str:
    capital = _capitals.get(name)
    if capital is None:
        # Per word, with bytes.capitalize: only ASCII letters change (upstream's rule).
        capital = "-".join(part.encode("latin-1").capitalize().decode("latin-1") for part in name.split("-"))
        if len(_capitals) < _CACHE_SIZE:
            _capitals[name] = capital
    return capital


def _checked_name(name: str) -> str:
    if _NAME_RE.fullmatch(name) is None:
        raise ValueError(f"invalid response header name {name!r}")
    lower = name.lower()
    if len(_names) < _CACHE_SIZE:
        _names[name] = lower
    return lower


def _date_line() -> bytes:
    second = int(time.time())
    if second != _date[0]:
        _date[1] = f"Date: {_wsgi.format_date_time(second)}\r\n".encode("latin-1")
        _date[0] = second
    return _date[1]  # type: ignore[return-value]


def _encode_head(
    version: str, status: str, headers: list[tuple[Any, Any]]
) -> tuple[bytes, bool, int | None, bool]:
    """Check and encode the status line and the application's headers.

    Returns the bytes, whether a ``Date`` header is among them, the ``Content-Length``, and
    whether every value was a ``str`` (only then may the result be cached: ``1 == True``).
    """
    if not status.isprintable() and _CONTROL_RE.search(status):
        raise ValueError(f"invalid status {status!r}")
    lines = []
    has_date = False
    length: int | None = None
    cacheable = True
    for name, value in headers:
        lower = _names.get(name)
        if lower is None:
            lower = _checked_name(name)
        if type(value) is not str:
            value = str(value)
            cacheable = False
        if not value.isprintable() and _CONTROL_RE.search(value):
            raise ValueError(f"invalid character (CR, LF or another control) in response header {name!r}")
        if lower == "date":
            has_date = True
        elif lower == "content-length":
            if not (value.isdigit() and value.isascii()):
                raise ValueError(f"invalid Content-Length {value!r}")
            length = int(value)
        lines.append(f"{name}: {value}\r\n")
    try:
        head = f"{version} {status}\r\n".encode() + "".join(lines).encode("latin-1")
    except UnicodeEncodeError:
        for header in headers:
            _wsgi._encode_header_line(header)  # raises, saying which name or value
        raise  # pragma: no cover - one of them does
    return head, has_date, length, cacheable


class Responder:
    """``handle_one_response`` and the callables it gives the application (see the module doc)."""

    # The protocol's attributes used here (set by HttpProtocol and BaseHTTPRequestHandler).
    server: Server
    environ: dict[str, Any]
    application: Callable[..., Any]
    wfile: Any
    command: str | None
    request_version: str
    protocol_version: str
    close_connection: bool | int
    conn_state: list[Any]
    requestline: str
    minimum_chunk_size: int
    capitalize_response_headers: bool
    _client_connection: str
    client_address: Any

    def handle_one_response(self) -> None:
        """Run the application for the parsed request and send its response."""
        start = time.time()
        environ = self.environ
        request_input: Input = environ["eventlet.input"]  # the app may replace wsgi.input
        headers_sent: list[int] = []
        request_input.headers_sent = headers_sent
        self._headers_sent = headers_sent
        self._headers_set: list[Any] | None = None
        self._status_code = 200
        self._bodyless = False
        self._use_chunked = False
        self._ended = False
        self._body_left: int | None = None
        self._length = 0
        self._write_error: OSError | None = None
        local = _wsgi.WSGI_LOCAL.__dict__  # this green thread's attributes of it
        result: Any = None
        try:
            try:
                local["already_handled"] = False
                result = self.application(environ, self._start_response)
                if result is ALREADY_HANDLED:
                    self.close_connection = 1
                    return
                headers_set = self._headers_set
                if headers_set is not None and not headers_sent and hasattr(result, "__len__"):
                    # A complete response: give its length.
                    headers = headers_set[1]
                    if not self._bodyless:
                        for name, _ in headers:
                            if name.lower() == "content-length":
                                break
                        else:
                            headers.append(("Content-Length", str(sum(map(len, result)))))
                    if request_input.should_send_hundred_continue:
                        self.close_connection = 1  # the client may or may not send the body now
                minimum = int(environ.get("eventlet.minimum_write_chunk_size", self.minimum_chunk_size))
                towrite: list[bytes] = []
                size = 0
                for data in result:
                    if not len(data):
                        continue
                    if isinstance(data, str):
                        data = data.encode("ascii")
                    towrite.append(data)
                    size += len(data)
                    if size >= minimum:
                        self._send(b"".join(towrite))
                        towrite = []
                        size = 0
                if local.get("already_handled"):
                    self.close_connection = 1
                    return
                self._send(b"".join(towrite), True)
            except (Exception, Timeout) as exc:
                self._failed(exc)
        finally:
            if hasattr(result, "close"):
                result.close()
            self._after_response(request_input, start)

    def _failed(self, exc: BaseException) -> None:
        self.close_connection = 1
        server = self.server
        if exc is self._write_error:  # the client went away: one line, not a traceback
            server.log.debug(f"({server.pid}) client {self.client_address!r} went away: {exc}")
            return
        tb = traceback.format_exc()
        server.log.info(tb)
        if not self._headers_sent:
            body = tb.encode() if server.debug else b""
            self._start_response(
                "500 Internal Server Error", [("Content-type", "text/plain"), ("Content-length", len(body))]
            )
            self._send(body, True)

    def _after_response(self, request_input: Input, start: float) -> None:
        if request_input.should_send_hundred_continue:
            # The body was never asked for: the client may send it or skip to a next request,
            # the connection cannot tell which.  Close it (the client retries).
            self.close_connection = 1
        if not self.close_connection and (
            request_input.chunked_input or request_input.position < (request_input.content_length or 0)
        ):
            self._drain(request_input)
        finish = time.time()
        environ = self.environ
        for hook, args, kwargs in environ["eventlet.posthooks"]:
            hook(environ, *args, **kwargs)
        server = self.server
        if server.log_output:
            client_host, client_port = self.get_client_address()  # type: ignore[attr-defined]
            server.log.info(
                server.log_format
                % {
                    "client_ip": client_host,
                    "client_port": client_port,
                    "date_time": self.log_date_time_string(),  # type: ignore[attr-defined]
                    "request_line": self.requestline,
                    "status_code": self._status_code,
                    "body_length": self._length,
                    "wall_seconds": finish - start,
                }
            )

    def _drain(self, request_input: Input) -> None:
        """Read and drop the rest of the request body (up to MAX_DRAIN bytes), or close.

        (A ``Content-Length`` body with more left than that closed the connection already,
        when the response head was written.)
        """
        left = MAX_DRAIN
        try:
            while left > 0:
                data = request_input.read(16 << 10)
                if not data:
                    return
                left -= len(data)
            self.close_connection = 1
        except ChunkReadError as exc:
            self.close_connection = 1
            self._drain_failed("chunked encoding error", exc)
        except OSError as exc:
            self.close_connection = 1
            self._drain_failed("I/O error", exc)

    def _drain_failed(self, what: str, exc: Exception) -> None:
        client = self.get_client_address()[0]  # type: ignore[attr-defined]
        self.server.log.error(
            f"{what} while discarding request body. "
            f'client={client} request="{self.requestline}" error="{exc}"'
        )

    # -- the application's callables -------------------------------------------------------

    def _start_response(
        self, status: str, response_headers: Any, exc_info: Any = None
    ) -> Callable[[bytes], None]:
        code = int(status.split(" ", 1)[0])
        self._status_code = code
        if exc_info:
            try:
                if self._headers_sent:
                    raise exc_info[1].with_traceback(exc_info[2])  # too late for another status
            finally:
                exc_info = None
        command = self.command
        self._bodyless = (
            code in (204, 304)
            or command == "HEAD"
            or 100 <= code < 200
            or (command == "CONNECT" and 200 <= code < 300)
        )
        if self.capitalize_response_headers:
            response_headers = [(_capitalize(name), value) for name, value in response_headers]
        else:
            response_headers = list(response_headers)
        self._headers_set = [status, response_headers]
        return self._write

    def _write(self, data: bytes) -> None:
        """The WSGI ``write`` callable."""
        if self._headers_set is None:
            raise AssertionError("write() before start_response()")
        self._send(data if type(data) is bytes else bytes(data))

    # -- sending ---------------------------------------------------------------------------

    def _send(self, data: bytes, last: bool = False) -> None:
        """Send ``data`` as body bytes (the head first if unsent); ``last`` ends the body."""
        parts = [] if self._headers_sent else [self._response_head()]
        if self._bodyless:
            pass
        elif self._use_chunked:
            if data:
                parts.append(encode_chunk(data))
            if last and not self._ended:
                parts.append(end_chunks())
                self._ended = True
        else:
            left = self._body_left
            if left is not None and (len(data) > left or (last and len(data) < left)):
                self._length_mismatch(left, len(data))
                data = data[:left]
            if data:
                parts.append(data)
                if left is not None:
                    self._body_left = left - len(data)
        if parts:
            out = parts[0] if len(parts) == 1 else b"".join(parts)
            self._length += len(out)
            wfile = self.wfile
            try:
                wfile.write(out)
                wfile.flush()
            except OSError as exc:
                self._write_error = exc
                raise

    def _length_mismatch(self, left: int, size: int) -> None:
        self.close_connection = 1
        which = "more" if size > left else "less"
        self.server.log.error(
            f'({self.server.pid}) application sent {which} than its Content-Length for "{self.requestline}": '
            "closing the connection"
        )

    def _response_head(self) -> bytes:
        if self._headers_set is None:
            raise AssertionError("the application returned without calling start_response()")
        status, headers = self._headers_set
        version = self.protocol_version
        key = (version, status, *headers)
        try:
            entry = _heads.get(key)
            hashable = True
        except TypeError:  # an unhashable header value: checked every time
            entry = None
            hashable = False
        if entry is None:
            entry = _encode_head(version, status, headers)
            if hashable and entry[3]:
                if len(_heads) >= _CACHE_SIZE:
                    _heads.clear()
                _heads[key] = entry
        head, has_date, length, _ = entry
        has_length = length is not None
        if has_length:
            self._body_left = length
        parts = [head]
        if not has_date:
            parts.append(_date_line())
        server = self.server
        client_conn = self._client_connection
        send_keep_alive = False
        if (
            self.close_connection == 0
            and server.keepalive
            and self.conn_state[2] != _wsgi.STATE_CLOSE
            and (
                client_conn == "keep-alive" or (self.request_version == "HTTP/1.1" and client_conn != "close")
            )
        ):
            send_keep_alive = client_conn == "keep-alive"  # redundant for HTTP/1.1 otherwise
            self.close_connection = 0
        else:
            self.close_connection = 1
        if not self.close_connection:
            body = self.environ["eventlet.input"]
            if not body.chunked_input and (body.content_length or 0) - body.position > MAX_DRAIN:
                self.close_connection = 1  # too much left unread to drain it afterwards
        if not has_length:
            if self._bodyless:
                pass
            elif self.request_version == "HTTP/1.1":
                self._use_chunked = True
                parts.append(b"Transfer-Encoding: chunked\r\n")
            else:
                self.close_connection = 1  # the body ends with the connection
        if self.close_connection:
            parts.append(b"Connection: close\r\n")
        elif send_keep_alive:
            parts.append(b"Connection: keep-alive\r\n")
            keepalive = server.keepalive
            if not isinstance(keepalive, bool) and int(keepalive):  # seconds, as a whole number
                parts.append(b"Keep-Alive: timeout=%d\r\n" % int(keepalive))
        parts.append(b"\r\n")
        self._headers_sent.append(1)
        return b"".join(parts)
