"""Sans-IO HTTP/1.1 response encoding.

:class:`ResponseWriter` turns a WSGI-style ``status`` and header list into
the bytes of a response head and decides how the body is framed:

* no body at all for ``HEAD``, 1xx, 204, 304 and a 2xx answer to
  ``CONNECT`` (and no ``Content-Length`` for 1xx, 204 and ``CONNECT`` 2xx,
  RFC 9110 8.6);
* after ``101`` or a 2xx answer to ``CONNECT`` the connection carries
  another protocol or a tunnel: ``keep_alive`` is false, so the driver hands
  the socket over or closes it, and never parses those bytes as HTTP;
* else ``Content-Length`` when the application sent one or the driver knows
  the length, ``chunked`` for an HTTP/1.1 client, and for an HTTP/1.0 client
  a close-delimited body (the connection is closed afterwards).

It adds ``Date`` (formatted at most once per second by a :class:`DateCache`)
and ``Server`` unless present, and the ``Connection`` header the outcome
needs.  Application headers are validated cheaply: names against a cache of names
already seen to be tokens, values with ``str.isprintable`` (true for the
usual printable-ASCII value; anything else, including CR, LF and other
controls, takes a slow exact check against the RFC 9110 field-value
grammar), so no CR/LF injection can pass.  Invalid input raises
``ValueError``.

The common shape (an HTTP/1.1 keep-alive response with a body, no
application ``Date``, ``Server`` or ``Connection``) is pre-rendered: the
encoded status line and application headers are kept, keyed by the exact
``(status, *headers)`` that passed the checks, and joined with the cached
``Date``/``Server`` lines and the ``Content-Length``.  The bytes are those
the general path would produce.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from typing import NamedTuple

from ._errors import TOKEN_RE, HTTPProtocolError
from ._request import Request

__all__ = [
    "DateCache",
    "ResponseHead",
    "ResponseWriter",
    "continue_response",
    "encode_chunk",
    "end_chunks",
    "field_lines",
    "http_date",
]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_STATUS_RE = re.compile(r"[1-5][0-9][0-9] [\t\x20-\x7e\x80-\xff]*")
_CTL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_VALUE_RE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")
_isprintable = str.isprintable
_new_tuple = tuple.__new__
_WATCHED = frozenset(("content-length", "transfer-encoding", "connection", "date", "server"))
_NAME_CACHE_SIZE = 512
_CONTINUE_LINE = b"HTTP/1.1 100 Continue\r\n"
_CONTINUE = _CONTINUE_LINE + b"\r\n"
_LAST_CHUNK = b"0\r\n\r\n"


class ResponseHead(NamedTuple):
    """An encoded response head and the body framing it promised.

    ``data`` is the head to send.  ``has_body`` false: send no body bytes at
    all (discard what the application produces).  ``chunked``: send body data
    through :func:`encode_chunk` and finish with :func:`end_chunks`.
    ``content_length``: the promised length, if any.  ``keep_alive``: whether
    the connection may carry another request after this response.
    """

    data: bytes
    has_body: bool
    chunked: bool
    content_length: int | None
    keep_alive: bool


class DateCache:
    """Formats the IMF-fixdate for the ``Date`` header once per second."""

    __slots__ = ("_clock", "_second", "_value")

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._second = -1
        self._value = ""

    def get(self) -> str:
        """The current date, e.g. ``"Sun, 06 Nov 1994 08:49:37 GMT"``."""
        second = int(self._clock())
        if second != self._second:
            self._value = http_date(second)
            self._second = second
        return self._value


def http_date(timestamp: float) -> str:
    """``timestamp`` (seconds since the epoch) as an IMF-fixdate: ``Sun, 06 Nov 1994 08:49:37 GMT``.

    (RFC 9110 5.6.7; day and month names are always English.)
    """
    t = time.gmtime(timestamp)
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year:4d} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )


def continue_response(headers: Iterable[tuple[str, str]] = ()) -> bytes:
    """The bytes of an interim ``100 Continue`` response, with ``headers`` if given.

    The headers are checked as a response's are (:func:`field_lines`): ``ValueError`` for
    anything that could put another line on the wire.
    """
    if headers == ():
        return _CONTINUE
    return _CONTINUE_LINE + field_lines(headers) + b"\r\n"


def field_lines(fields: Iterable[tuple[str, str]]) -> bytes:
    """The ``name: value`` CRLF lines of ``fields`` (headers of a 1xx response, trailers).

    Each field is checked as the writer checks response headers: ``ValueError`` for a name
    that is not a token, or a value that is not a ``str`` of field-value characters (no CR,
    LF or other control character, nothing outside latin-1).
    """
    lines = []
    for name, value in fields:
        _check_field(name, value)
        lines.append(f"{name}: {value}\r\n")
    return "".join(lines).encode("latin-1")


def encode_chunk(data: bytes) -> bytes:
    """Frame ``data`` as one chunk; ``b""`` for empty data (never the last-chunk).

    The one chunk framing of the project: both servers' response writers use it.
    """
    if not data:
        return b""
    return b"%x\r\n%b\r\n" % (len(data), data)


def end_chunks(trailers: Iterable[tuple[str, str]] = ()) -> bytes:
    """The last-chunk, optional trailer fields (validated as headers are) and the final CRLF."""
    if trailers == ():
        return _LAST_CHUNK
    return b"0\r\n" + field_lines(trailers) + b"\r\n"


def _check_field(name: str, value: str) -> None:
    if not isinstance(name, str) or TOKEN_RE.fullmatch(name) is None:
        raise ValueError(f"invalid header name {name!r}")
    if not isinstance(value, str):
        raise ValueError(f"the value of header {name!r} is not a str: {value!r}")
    _check_value(name, value)


def _check_value(name: str, value: str) -> None:
    """Exact check of a value that failed the ``isprintable`` fast test."""
    if _VALUE_RE.fullmatch(value) is None:
        raise ValueError(f"invalid character (CR, LF, control or non-latin-1) in value of header {name!r}")


class ResponseWriter:
    """Encodes response heads for one server (shared by its connections).

    ``server`` is the ``Server`` header value (``None`` to send none);
    ``date_cache`` lets several writers share one :class:`DateCache`.
    """

    __slots__ = (
        "_block",
        "_block_date",
        "_block_server",
        "_date",
        "_names",
        "_rendered",
        "_statuses",
        "server",
    )

    def __init__(self, server: str | None = "eventlet-httpd", date_cache: DateCache | None = None) -> None:
        if server is not None:
            _check_field("Server", server)
        self.server: str | None = server
        self._date = date_cache or DateCache()
        self._names: dict[str, str] = {}  # valid name -> lower-cased name
        self._statuses: dict[str, int] = {}  # valid status line -> code
        # (status, *headers) -> (encoded status line and headers, app Content-Length)
        # for heads that took the common shape (see _fast_head).
        self._rendered: dict[tuple[object, ...], tuple[bytes, int | None]] = {}
        self._block = b""  # the encoded Date and Server lines
        self._block_date = ""
        self._block_server: str | None = ""

    def head(
        self,
        request: Request,
        status: str,
        headers: Iterable[tuple[str, str]],
        body_length: int | None = None,
    ) -> ResponseHead:
        """Encode the head answering ``request``.

        ``status`` is a WSGI status (``"200 OK"``), ``headers`` the
        application's ``(name, value)`` pairs, ``body_length`` the body size
        when the driver knows it (e.g. a one-element WSGI iterable).
        Raises ``ValueError`` for an invalid status, header name or value,
        an application ``Transfer-Encoding`` or a bad ``Content-Length``.
        """
        if (
            type(headers) is list
            and request.keep_alive
            and request.version == "HTTP/1.1"
            and request.method != "HEAD"
            and request.method != "CONNECT"
        ):
            try:
                entry = self._rendered.get((status, *headers))
            except TypeError:  # an unhashable header: the checks below reject it
                entry = None
            if entry is not None and (entry[1] is not None or body_length is not None):
                return self._fast_head(entry, body_length)
        code = self._statuses.get(status)
        if code is None:
            code = self._check_status(status)
        names = self._names
        parts = ["HTTP/1.1 ", status, "\r\n"]
        length: int | None = None
        has_date = has_server = close = False
        for name, value in headers:
            lname = names.get(name)
            if lname is None:
                lname = self._check_name(name)
            if not _isprintable(value):
                _check_value(name, value)
            if lname in _WATCHED:
                if lname == "content-length":
                    if not (value.isdigit() and value.isascii()):
                        raise ValueError(f"invalid Content-Length {value!r}")
                    length = int(value)
                    if code < 200 or code == 204 or (request.method == "CONNECT" and code < 300):
                        continue  # RFC 9110 8.6: MUST NOT be sent
                elif lname == "date":
                    has_date = True
                elif lname == "server":
                    has_server = True
                elif lname == "transfer-encoding":
                    raise ValueError("Transfer-Encoding is set by the server, not the app")
                elif code != 101:  # connection
                    close = close or "close" in (t.strip(" \t") for t in value.lower().split(","))
                    continue
            parts += (name, ": ", value, "\r\n")
        app_end, app_length = len(parts), length
        if not has_date:
            parts += ("Date: ", self._date.get(), "\r\n")
        if not has_server and self.server is not None:
            parts += ("Server: ", self.server, "\r\n")
        http11 = request.version == "HTTP/1.1"
        keep_alive = request.keep_alive and not close
        chunked = False
        http_next = True  # whether HTTP may follow on the connection
        if (
            code < 200
            or code == 204
            or code == 304
            or request.method == "HEAD"
            or (request.method == "CONNECT" and code < 300)
        ):
            has_body = False
            if length is None and body_length is not None and request.method == "HEAD":
                parts += ("Content-Length: ", str(body_length), "\r\n")
            if code == 101 or (code >= 200 and request.method == "CONNECT"):
                # The connection now carries another protocol (Upgrade) or a
                # tunnel (CONNECT 2xx): it is never parsed as HTTP again.  The
                # driver hands the socket over or closes it.
                keep_alive = http_next = False
        else:
            has_body = True
            if length is None and body_length is not None:
                length = body_length
                parts += ("Content-Length: ", str(body_length), "\r\n")
            elif length is None and http11:
                chunked = True
                parts.append("Transfer-Encoding: chunked\r\n")
            elif length is None:
                keep_alive = False
        if http_next:
            if not keep_alive:
                parts.append("Connection: close\r\n")
            elif not http11:
                parts.append("Connection: keep-alive\r\n")
        parts.append("\r\n")
        try:
            data = "".join(parts).encode("latin-1")
        except UnicodeEncodeError:
            raise ValueError("header values must be latin-1 encodable") from None
        if (
            has_body
            and keep_alive
            and http11
            and not (has_date or has_server)
            and request.method != "CONNECT"
            and type(headers) is list
        ):
            self._remember(status, headers, "".join(parts[:app_end]).encode("latin-1"), app_length)
        # tuple.__new__ skips the slow generated NamedTuple constructor.
        return _new_tuple(ResponseHead, (data, has_body, chunked, length if has_body else None, keep_alive))

    def _remember(
        self, status: str, headers: list[tuple[str, str]], prefix: bytes, length: int | None
    ) -> None:
        """Keep the encoded start of a common-shape head for :meth:`_fast_head`.

        Only heads whose status and headers passed every check get here, so
        an identical ``(status, *headers)`` later needs no check again.
        """
        rendered = self._rendered
        if len(rendered) >= _NAME_CACHE_SIZE:
            rendered.clear()
        key = (status, *headers)
        rendered[key] = (prefix, length)

    def _fast_head(self, entry: tuple[bytes, int | None], body_length: int | None) -> ResponseHead:
        """The head of an HTTP/1.1 keep-alive response with a body, from ``entry``.

        The same bytes as the general path: the application's lines, then
        ``Date`` and ``Server``, then ``Content-Length`` if the application
        sent none.
        """
        date = self._date.get()
        if date is not self._block_date or self.server is not self._block_server:
            block = f"Date: {date}\r\n"
            if self.server is not None:
                block += f"Server: {self.server}\r\n"
            self._block = block.encode("latin-1")
            self._block_date = date
            self._block_server = self.server
        prefix, length = entry
        if length is None:
            assert body_length is not None
            data = b"%b%bContent-Length: %d\r\n\r\n" % (prefix, self._block, body_length)
            return _new_tuple(ResponseHead, (data, True, False, body_length, True))
        return _new_tuple(ResponseHead, (prefix + self._block + b"\r\n", True, False, length, True))

    def _check_status(self, status: str) -> int:
        if _STATUS_RE.fullmatch(status) is None:
            raise ValueError(f"invalid status {status!r}")
        code = int(status[:3])
        if len(self._statuses) < _NAME_CACHE_SIZE:
            self._statuses[status] = code
        return code

    def _check_name(self, name: str) -> str:
        _check_field(name, "")
        lname = name.lower()
        if len(self._names) < _NAME_CACHE_SIZE:
            self._names[name] = lname
        return lname

    def error_response(self, error: HTTPProtocolError, method: str | None = None) -> bytes:
        """A complete ``Connection: close`` response reporting ``error``.

        ``method`` is the request's method when known: the answer to ``HEAD``
        has the same head but no body (RFC 9110 9.3.2).
        """
        reason = _CTL_RE.sub("?", error.reason.replace("\r", "?").replace("\n", "?"))
        body = f"{error.status} {error.phrase}: {reason}\n".encode("latin-1", "replace")
        head = (
            f"HTTP/1.1 {error.status} {error.phrase}\r\n"
            "Content-Type: text/plain; charset=latin-1\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Connection: close\r\n"
            f"Date: {self._date.get()}\r\n"
        )
        if self.server is not None:
            head += f"Server: {self.server}\r\n"
        data = (head + "\r\n").encode("latin-1")
        return data if method == "HEAD" else data + body
