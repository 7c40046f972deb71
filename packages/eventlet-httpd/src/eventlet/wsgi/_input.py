"""``wsgi.input`` of :mod:`eventlet.wsgi`: upstream's :class:`Input`, with strict chunked decoding.

The object and its attributes are upstream's, because programs touch them: ``rfile`` (the
connection's buffered reader), ``content_length``, ``position``, ``chunked_input``,
``chunk_length``, ``wfile``/``wfile_line`` (set when the client sent ``Expect: 100-continue``),
``hundred_continue_headers``, ``headers_sent`` (the response's, so no ``100 Continue`` goes out
after the response started), ``get_socket()``, ``discard()``.  OpenStack Swift, for one, sets
``chunked_input``, ``content_length`` and ``wfile`` after the fact, and sends several
``100 Continue`` responses on one request (:meth:`Input.send_hundred_continue_response` after a
complete chunked body starts the next one, its multi-phase protocol).

A ``Content-Length`` body is read with ``rfile.read``/``readline`` bounded by what is left of it,
never past it.  A chunked body is decoded here, line by line from ``rfile``, with
:mod:`eventlet.httpd`'s rules rather than upstream's ``int(line, 16)``: a size line is 1-16 hex
digits and valid extensions ending in CRLF, the data is followed by exactly CRLF, trailer lines
are valid fields; anything else raises :class:`~eventlet.httpd.ChunkReadError` (a ``ValueError``),
since a server that guesses where a chunk ends can be made to read a smuggled request.  The
client going away mid-chunk raises ``OSError``, as upstream.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from eventlet.httpd._wsgi import ChunkReadError
from eventlet.httpd.protocol import field_lines
from eventlet.httpd.protocol._chunked import _CHUNK_LINE_RE, _size_line_error
from eventlet.httpd.protocol._errors import FIELD_LINE_RE, HTTPProtocolError, diagnose_field_line

__all__ = ["Input"]

_MAX_CHUNK_LINE = 4096  # a chunk-size line with its extensions, CRLF included
_MAX_TRAILER_BYTES = 65536
_MAX_TRAILERS = 100


class Input:
    """``environ["wsgi.input"]`` (and ``environ["eventlet.input"]``): the request body.

    ``content_length`` is the body's length (``None`` for a chunked body); ``sock`` is the
    connection, handed out by :meth:`get_socket`; ``wfile``/``wfile_line`` are where and what to
    send as ``100 Continue`` before the first read, when the client asked for it.
    """

    def __init__(
        self,
        rfile: Any,
        content_length: int | str | None,
        sock: Any,
        wfile: Any = None,
        wfile_line: bytes | None = None,
        chunked_input: bool = False,
    ) -> None:
        self.rfile = rfile
        self._sock = sock
        self.content_length: int | None = None if content_length is None else int(content_length)
        self.wfile = wfile
        self.wfile_line = wfile_line
        self.position: int = 0
        """Body bytes read (of the current chunk, for a chunked body)."""
        self.chunked_input = chunked_input
        self.chunk_length: int = -1
        """Size of the current chunk: -1 before the first, 0 once the body is complete."""
        self.hundred_continue_headers: list[tuple[str, str]] | None = None
        self.is_hundred_continue_response_sent: bool = False
        self.headers_sent: Any = None

    # -- 100 Continue ----------------------------------------------------------------------

    @property
    def should_send_hundred_continue(self) -> bool:
        """Whether the client waits for a ``100 Continue`` that was not sent yet."""
        return self.wfile is not None and not self.is_hundred_continue_response_sent

    def send_hundred_continue_response(self) -> None:
        """Send ``100 Continue`` (with ``hundred_continue_headers``) unless the response started.

        Called again after a chunked body was read to its end, it invites the next one: the
        following reads decode a new chunked body (multi-phase uploads).
        """
        if self.headers_sent:
            return  # too late: the final response is on its way
        # Formatted with %s as upstream's, then checked as response headers are (ValueError).
        fields = [(str(name), str(value)) for name, value in self.hundred_continue_headers or ()]
        self.wfile.write((self.wfile_line or b"HTTP/1.1 100 Continue\r\n") + field_lines(fields) + b"\r\n")
        self.wfile.flush()
        self.is_hundred_continue_response_sent = True
        if self.chunk_length == 0:
            self.chunk_length = -1

    def set_hundred_continue_response_headers(
        self, headers: list[tuple[str, str]], capitalize_response_headers: bool = True
    ) -> None:
        """Headers for the next ``100 Continue``; names capitalised per word unless told not to."""
        if capitalize_response_headers:
            headers = [
                ("-".join(word.capitalize() for word in name.split("-")), value) for name, value in headers
            ]
        self.hundred_continue_headers = headers

    def _continue_if_expected(self) -> None:
        if self.wfile is not None and not self.is_hundred_continue_response_sent:
            self.send_hundred_continue_response()
            self.is_hundred_continue_response_sent = True

    # -- Content-Length bodies -------------------------------------------------------------

    def _do_read(self, reader: Callable[[int], bytes], length: int | None = None) -> bytes:
        self._continue_if_expected()
        left = (self.content_length or 0) - self.position
        if length is None or length < 0 or length > left:
            length = left
        if length <= 0:
            return b""
        data = reader(length)
        self.position += len(data)
        return data

    # -- chunked bodies --------------------------------------------------------------------

    def _chunked_read(self, rfile: Any, length: int | None = None, use_readline: bool = False) -> bytes:
        self._continue_if_expected()
        if length == 0:
            return b""
        if length is not None and length < 0:
            length = None
        reader = rfile.readline if use_readline else rfile.read
        response: list[bytes] = []
        while self.chunk_length != 0:
            wanted = self.chunk_length - self.position
            if length is not None and length < wanted:
                wanted = length
            if wanted <= 0:
                self.chunk_length = self._read_chunk_size(rfile)
                self.position = 0
                if self.chunk_length == 0:
                    self._read_trailers(rfile)
                continue
            data = reader(wanted)
            if not data:
                self.chunk_length = 0
                raise OSError("unexpected end of file while parsing chunked data")
            response.append(data)
            self.position += len(data)
            if self.position == self.chunk_length:
                self._read_chunk_end(rfile)
            if length is not None:
                length -= len(data)
                if length == 0:
                    break
            if use_readline and data[-1:] == b"\n":
                break
        return b"".join(response)

    @staticmethod
    def _read_chunk_size(rfile: Any) -> int:
        line = rfile.readline(_MAX_CHUNK_LINE)
        if not line:
            raise ChunkReadError(HTTPProtocolError(400, "end of input before a chunk size"))
        if not line.endswith(b"\n"):
            raise ChunkReadError(HTTPProtocolError(400, "chunk size line too long"))
        match = _CHUNK_LINE_RE.fullmatch(line)
        if match is None:
            raise ChunkReadError(_size_line_error(line))
        return int(match.group(1), 16)

    @staticmethod
    def _read_chunk_end(rfile: Any) -> None:
        if rfile.read(2) != b"\r\n":
            raise ChunkReadError(HTTPProtocolError(400, "chunk data not followed by CRLF"))

    @staticmethod
    def _read_trailers(rfile: Any) -> None:
        total = count = 0
        while True:
            line = rfile.readline(_MAX_TRAILER_BYTES + 1)
            if line == b"\r\n" or not line:
                return  # the end (or the client left after the last chunk: nothing is missing)
            total += len(line)
            count += 1
            if total > _MAX_TRAILER_BYTES or count > _MAX_TRAILERS:
                raise ChunkReadError(HTTPProtocolError(431, "trailer section too large"))
            if line[-2:] != b"\r\n":
                raise ChunkReadError(HTTPProtocolError(400, "line ending without CR (bare LF)"))
            field = line[:-2].decode("latin-1")
            if FIELD_LINE_RE.fullmatch(field) is None:
                raise ChunkReadError(diagnose_field_line(field))

    # -- file API --------------------------------------------------------------------------

    def read(self, length: int | None = None) -> bytes:
        """Read ``length`` bytes (the rest of the body if ``None`` or negative)."""
        if self.chunked_input:
            return self._chunked_read(self.rfile, length)
        return self._do_read(self.rfile.read, length)

    def readline(self, size: int | None = None) -> bytes:
        """Read one line (at most ``size`` bytes)."""
        if self.chunked_input:
            return self._chunked_read(self.rfile, size, True)
        return self._do_read(self.rfile.readline, size)

    def readlines(self, hint: int | None = None) -> list[bytes]:
        """Read lines until the end of the body, or until ``hint`` bytes were read."""
        lines = []
        total = 0
        for line in iter(self.readline, b""):
            lines.append(line)
            total += len(line)
            if hint is not None and 0 < hint <= total:
                break
        return lines

    def __iter__(self) -> Iterator[bytes]:
        """Iterate over the body in ``read()`` results (upstream's: the whole body at once)."""
        return iter(self.read, b"")

    def get_socket(self) -> Any:
        """The connection's socket, for protocols that take it over (websockets)."""
        return self._sock

    def take_buffer(self) -> bytes:
        """What ``rfile`` has read ahead from the connection: call after the body, with the socket.

        Not in upstream.  A protocol that takes the socket over (websockets) continues from
        these bytes: a client may send its first frames, or hixie-76's 8-byte key, in the same
        packet as the upgrade request.  Nothing is waited for.
        """
        peek = getattr(self.rfile, "peek", None)
        if peek is None:  # an unbuffered rfile reads nothing ahead
            return b""
        sock = self._sock
        timeout = sock.gettimeout()
        sock.settimeout(0.0)  # peek refills an empty buffer: only from what has arrived
        try:
            data = peek(1)
        finally:
            sock.settimeout(timeout)
        return self.rfile.read(len(data)) if data else b""

    def discard(self, buffer_size: int = 16 << 10) -> None:
        """Read and throw away the rest of the body."""
        while self.read(buffer_size):
            pass
