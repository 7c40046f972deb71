"""Upstream eventlet's ``eventlet.wsgi``: the same server, classes, hooks and quirks.

``server(sock, site, ...)`` serves a WSGI application on a listening socket until interrupted,
with upstream's keyword arguments and their upstream effect.  It is built the way upstream's is,
because programs extend it that way: :class:`Server` derives from the (green)
``BaseHTTPServer.HTTPServer`` and :meth:`Server.process_request` takes a ``[address, socket,
state]`` list; :class:`HttpProtocol` derives from ``BaseHTTPServer.BaseHTTPRequestHandler``,
reads the request through ``rfile``, writes through ``wfile``, and calls the same overridable
methods in the same order (``setup``, ``handle``, ``handle_one_request``, ``_read_request_line``,
``parse_request``, ``get_environ``, ``handle_one_response``, ``get_client_address``,
``formalize_key_naming``, ``finish``), so a subclass written for upstream (nameko's, OpenStack
Swift's) runs unchanged, and gunicorn's eventlet worker finds ``WSGI_LOCAL``.  The module-level
settings (``MAX_HEADER_LINE``, ``MAX_TOTAL_HEADER_SIZE``, ``is_accepting``, ...) are read when
used, as upstream's are, so assigning them works.

What is not upstream's is the parsing: request heads and chunked bodies are checked against
RFC 9112 with :mod:`eventlet.httpd`'s rules, so ambiguous framing (both ``Content-Length`` and
``Transfer-Encoding``, malformed lengths or chunk sizes, bare LF line ends, obsolete line
folding, control characters) is refused instead of guessed at; responses never carry a header
line with CR or LF, a body for ``HEAD``, 204 or 304, or more bytes than their
``Content-Length``.  ``docs/migrating/from-eventlet.rst`` lists every such difference and why.

The implementation is split by job: :mod:`._input` (``wsgi.input``), :mod:`._head` (reading and
checking a request head), :mod:`._response` (``start_response``, ``write``, the response
loop), :mod:`._protocol` (:class:`HttpProtocol`), :mod:`._server` (:class:`Server`, the
loggers, :func:`server`).  :mod:`eventlet.httpd` is the faster, stricter server with graceful
stop and limits for new code; this module is for code written against upstream.
"""

from __future__ import annotations

import errno
import socket
import ssl
import time  # noqa: F401 - in upstream eventlet.wsgi's namespace too
from typing import TYPE_CHECKING

from eventlet.corolocal import local
from eventlet.httpd._wsgi import ALREADY_HANDLED, ChunkReadError
from eventlet.httpd.protocol import http_date

if TYPE_CHECKING:
    import http.server as BaseHTTPServer  # what the green copy below is, for type checkers
else:
    from eventlet.green.http import server as BaseHTTPServer  # upstream's name for it

# Upstream's module has no __all__: this lists what ``import *`` gave there (but the standard
# modules), and is what type checkers take as the module's public names.
__all__ = [
    "ACCEPT_ERRNO",
    "ACCEPT_EXCEPTIONS",
    "ALREADY_HANDLED",
    "BAD_SOCK",
    "BROKEN_SOCK",
    "DEFAULT_LOG_FORMAT",
    "DEFAULT_MAX_HTTP_VERSION",
    "DEFAULT_MAX_SIMULTANEOUS_REQUESTS",
    "MAX_HEADER_LINE",
    "MAX_REQUEST_LINE",
    "MAX_TOTAL_HEADER_SIZE",
    "MINIMUM_CHUNK_SIZE",
    "RESPONSE_414",
    "STATE_CLOSE",
    "STATE_IDLE",
    "STATE_REQUEST",
    "WSGI_LOCAL",
    "BaseHTTPServer",
    "ChunkReadError",
    "FileObjectForHeaders",
    "HeaderLineTooLong",
    "HeadersTooLarge",
    "HttpProtocol",
    "Input",
    "LoggerFileWrapper",
    "LoggerNull",
    "Server",
    "addr_to_host_port",
    "format_date_time",
    "get_logger",
    "is_accepting",
    "server",
    "socket_repr",
]

DEFAULT_MAX_SIMULTANEOUS_REQUESTS = 1024
"""``server(max_size=None)``: connections served at once."""
DEFAULT_MAX_HTTP_VERSION = "HTTP/1.1"
"""``server(max_http_version=...)``'s default; ``"HTTP/1.0"`` turns keep-alive off."""
MAX_REQUEST_LINE = 8192
"""``server(url_length_limit=...)``'s default: a longer request line gets ``414``."""
MAX_HEADER_LINE = 8192
"""A header line this long (with its CRLF) gets ``400 Header Line Too Long`` (read when used)."""
MAX_TOTAL_HEADER_SIZE = 65536
"""A header section longer than this gets ``400 Headers Too Large`` (read when used)."""
MINIMUM_CHUNK_SIZE = 4096
"""Response bytes gathered before a write (``HttpProtocol.minimum_chunk_size``)."""
DEFAULT_LOG_FORMAT = (
    '%(client_ip)s - - [%(date_time)s] "%(request_line)s" %(status_code)s %(body_length)s %(wall_seconds).6f'
)
"""The access log line; ``client_port`` is also available."""
RESPONSE_414 = b"HTTP/1.0 414 Request URI Too Long\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
"""What a request line of ``url_length_limit`` bytes or more gets (read when used)."""
is_accepting = True
"""Set to False to make every running :func:`server` stop after its next accepted connection."""

STATE_IDLE = "idle"
"""A connection waiting for its next request (:func:`server` may close it when stopping)."""
STATE_REQUEST = "request"
"""A connection whose request is being served."""
STATE_CLOSE = "close"
"""A connection to close once its current request is answered."""

BAD_SOCK = {errno.EBADF, 10053}
"""errnos of a socket that is gone (10053: Windows' WSAECONNABORTED)."""
BROKEN_SOCK = {errno.EPIPE, errno.ECONNRESET, errno.ESHUTDOWN}
"""errnos of a peer that went away."""
ACCEPT_EXCEPTIONS = (OSError, ssl.SSLError)
"""Exceptions :func:`server` inspects when ``accept`` fails."""
ACCEPT_ERRNO: set[int] = {
    errno.EPIPE,
    errno.ECONNRESET,
    errno.ENOTCONN,
    errno.ESHUTDOWN,
    ssl.SSL_ERROR_EOF,
    ssl.SSL_ERROR_SSL,
}
"""errnos of a failed ``accept`` that end :func:`server` quietly (as upstream's do)."""

WSGI_LOCAL = local()
"""Green-thread-local state: an application (eventlet.websocket does) sets
``WSGI_LOCAL.already_handled = True`` when it answered on the raw socket itself; the server then
writes nothing more and closes the connection."""


class HeaderLineTooLong(Exception):
    """A request header line reached ``MAX_HEADER_LINE`` bytes."""


class HeadersTooLarge(Exception):
    """The request header section passed ``MAX_TOTAL_HEADER_SIZE`` bytes."""


class FileObjectForHeaders:
    """Wraps ``rfile`` while the headers are read, enforcing the two header limits."""

    def __init__(self, fp: object) -> None:
        self.fp = fp
        self.total_header_size: int = 0

    def readline(self, size: int = -1) -> bytes:
        """One line, raising :class:`HeaderLineTooLong` or :class:`HeadersTooLarge`."""
        line_limit = MAX_HEADER_LINE
        line: bytes = self.fp.readline(line_limit if size < 0 else size)  # type: ignore[attr-defined]
        if len(line) >= line_limit:
            raise HeaderLineTooLong()
        self.total_header_size += len(line)
        if self.total_header_size > MAX_TOTAL_HEADER_SIZE:
            raise HeadersTooLarge()
        return line


def format_date_time(timestamp: float) -> str:
    """``timestamp`` (seconds since the epoch) as an HTTP date: ``Sun, 06 Nov 1994 08:49:37 GMT``."""
    return http_date(timestamp)


def _encode_header_line(header: tuple[object, object]) -> bytes:
    """One response header as a latin-1 line (PEP 3333), ``name: value`` and CRLF.

    Name and value are encoded one at a time, so the error says which one is not latin-1.  (The
    server also refuses CR, LF and other control characters, which this does not check.)
    """
    name, value = header
    try:
        encoded_name = str(name).encode("latin-1")
    except UnicodeEncodeError as err:
        raise UnicodeEncodeError(
            err.encoding,
            err.object,
            err.start,
            err.end,
            "WSGI header names must be latin-1 (PEP 3333); HTTP/1.1 field names are ASCII tokens (RFC 9110)",
        ) from None
    try:
        encoded_value = str(value).encode("latin-1")
    except UnicodeEncodeError as err:
        raise UnicodeEncodeError(
            err.encoding,
            err.object,
            err.start,
            err.end,
            "WSGI response header values must be latin-1 (PEP 3333); HTTP/1.1 field values are visible "
            "ASCII (RFC 9110): send other text encoded, with RFC 8187 or percent-encoding",
        ) from None
    return encoded_name + b": " + encoded_value + b"\r\n"


def addr_to_host_port(addr: object) -> tuple[object, object]:
    """``(host, port)`` of a socket address; ``("unix", "")`` for a UNIX socket's."""
    if isinstance(addr, tuple):
        return addr[0], addr[1]
    return "unix", ""


def socket_repr(sock: socket.socket) -> str:
    """The listening socket as a URL for the start-up log line: ``http://127.0.0.1:8080``."""
    scheme = "https" if hasattr(sock, "do_handshake") else "http"
    name = sock.getsockname()
    if sock.family == socket.AF_INET:
        where = "//{}:{}".format(*name)
    elif sock.family == socket.AF_INET6:
        where = "//[{}]:{}".format(*name[:2])
    elif sock.family == getattr(socket, "AF_UNIX", None):
        where = name
    else:  # pragma: no cover - no other stream family to listen on here
        where = repr(name)
    return f"{scheme}:{where}"


# The implementation modules read the settings above from this module when they use them.
from ._input import Input  # noqa: E402
from ._protocol import HttpProtocol  # noqa: E402
from ._server import LoggerFileWrapper, LoggerNull, Server, get_logger, server  # noqa: E402

# Shown (and documented) as this module's, where upstream defines them.
for _public in (Input, HttpProtocol, LoggerFileWrapper, LoggerNull, Server, get_logger, server):
    _public.__module__ = __name__
del _public
