"""Request body decoders: counted (``Content-Length``) and chunked (RFC 9112 7.1).

Both read from the parser's own ``bytearray`` buffer, so bytes after the
body (a pipelined request) stay there for the parser.  A
:class:`CountedReader` hands out the next ``left`` bytes of it: the whole of
a ``Content-Length`` body, or the data of one chunk.  A
:class:`ChunkedDecoder` is a small state machine around one: chunk-size line,
chunk data, the CRLF after the data, trailer lines.  Each step either
completes from the buffered bytes or reports :data:`NEED_DATA`.

Every line is checked like the request head is: CRLF only (a bare LF is a
smuggling vector, see the "LF-only chunk terminator" attacks), the size is
1 to 16 hex digits with nothing else before the optional extensions, the
extensions must follow the RFC grammar, and the line is capped at
``max_chunk_line`` bytes so extensions cannot be used to stream unbounded
junk.  The scan for the end of an incomplete line resumes where it stopped,
and a line is rejected as too long as soon as it certainly is, so feeding
one byte at a time gives the same outcome, in linear time, as feeding all.
"""

from __future__ import annotations

import enum
import re
from typing import Final

from ._errors import FIELD_LINE_RE, TCHAR, HTTPProtocolError, diagnose_field_line

__all__ = ["EOF", "NEED_DATA", "ChunkState", "ChunkedDecoder", "CountedReader", "Marker"]


class Marker:
    """A named singleton returned by ``read_body``: :data:`NEED_DATA` or :data:`EOF`."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


NEED_DATA: Final = Marker("NEED_DATA")
"""``read_body`` result: feed more bytes, then call again."""
EOF: Final = Marker("EOF")
"""``read_body`` result: the body is complete."""

_QUOTED = rb'"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t\x20-\x7e\x80-\xff])*"'
_TOKEN = rb"[" + TCHAR.encode() + rb"]+"
_CHUNK_LINE_RE = re.compile(
    rb"([0-9A-Fa-f]{1,16})(?:[ \t]*;[ \t]*"
    + _TOKEN
    + rb"(?:[ \t]*=[ \t]*(?:"
    + _TOKEN
    + rb"|"
    + _QUOTED
    + rb"))?)*\r\n"
)
_HEX_RE = re.compile(rb"[0-9A-Fa-f]+")
#: what may start a buffer that still lacks a line end (a bytearray equals bytes)
_EMPTY_OR_CR: tuple[bytes | bytearray, ...] = (b"", b"\r")


class ChunkState(enum.Enum):
    """Where a :class:`ChunkedDecoder` is in the chunked body."""

    SIZE_LINE = "size line"
    """Reading a chunk-size line (with its extensions)."""
    DATA = "data"
    """Handing out the current chunk's data."""
    DATA_END = "data end"
    """Expecting the CRLF that ends a chunk's data."""
    TRAILERS = "trailers"
    """After the last chunk: reading trailer lines up to the empty line."""


_SIZE = ChunkState.SIZE_LINE
_DATA = ChunkState.DATA
_DATA_END = ChunkState.DATA_END
_TRAILER = ChunkState.TRAILERS


class CountedReader:
    """Hands out the next ``left`` bytes of ``buf``, a body (or chunk) of known length.

    The owner sets ``left``; :meth:`read` lowers it, and the owner's body or
    chunk is complete when it reaches 0.
    """

    __slots__ = ("buf", "left")

    def __init__(self, buf: bytearray) -> None:
        self.buf = buf
        self.left = 0  # bytes still to hand out

    def read(self, max_bytes: int) -> bytes | Marker:
        """Take up to ``max_bytes`` (any amount if negative) of the ``left`` bytes off ``buf``.

        Returns non-empty ``bytes`` (``b""`` only for ``max_bytes == 0``), or
        :data:`NEED_DATA` when ``buf`` is empty.  Call it only while ``left``
        is positive.
        """
        buf = self.buf
        if not buf:
            return NEED_DATA
        size = min(self.left, len(buf))
        if 0 <= max_bytes < size:
            size = max_bytes
        data = bytes(buf[:size])
        del buf[:size]
        self.left -= size
        return data


class ChunkedDecoder:
    """Decodes one chunked body out of ``buf``, appending trailers to ``trailers``.

    ``max_body`` bounds the decoded size (413), ``max_chunk_line`` a size
    line with extensions (400), ``max_trailer_bytes`` and ``max_trailers``
    the trailer section (431).
    """

    __slots__ = (
        "_buf",
        "_data",
        "_field_bytes",
        "_nl_scan",
        "_state",
        "_total",
        "max_body",
        "max_chunk_line",
        "max_trailer_bytes",
        "max_trailers",
        "trailers",
    )

    def __init__(
        self,
        buf: bytearray,
        trailers: list[tuple[str, str]],
        *,
        max_body: int | None,
        max_chunk_line: int,
        max_trailer_bytes: int,
        max_trailers: int,
    ) -> None:
        self._buf = buf
        self.trailers = trailers
        self.max_body = max_body
        self.max_chunk_line = max_chunk_line
        self.max_trailer_bytes = max_trailer_bytes
        self.max_trailers = max_trailers
        self._state = _SIZE
        self._data = CountedReader(buf)  # the current chunk's data
        self._total = 0  # decoded bytes announced so far
        self._nl_scan = 0  # no LF in buf[:_nl_scan] (the current line)
        self._field_bytes = 0  # trailer bytes so far

    def read(self, max_bytes: int) -> bytes | Marker:
        """Return up to ``max_bytes`` decoded bytes (any amount if negative).

        Returns non-empty ``bytes`` (``b""`` only for ``max_bytes == 0``),
        :data:`NEED_DATA` or, at the end of the body, :data:`EOF`.
        """
        buf = self._buf
        while True:
            state = self._state
            if state is _DATA:
                chunk = self._data
                data = chunk.read(max_bytes)
                if not chunk.left:
                    self._state = _DATA_END
                return data
            if state is _SIZE:
                if not self._size_line():
                    return NEED_DATA
            elif state is _DATA_END:
                if buf[:2] != b"\r\n":
                    if len(buf) > 1 or buf[:1] not in _EMPTY_OR_CR:
                        raise HTTPProtocolError(400, "chunk data not followed by CRLF")
                    return NEED_DATA
                del buf[:2]
                self._state = _SIZE
            elif self._trailer_lines():
                return EOF
            else:
                return NEED_DATA

    def _size_line(self) -> bool:
        """Consume a chunk-size line; ``False`` if it is incomplete."""
        buf = self._buf
        limit = self.max_chunk_line + 2
        nl = buf.find(b"\n", self._nl_scan, limit)
        if nl == -1:
            if len(buf) >= limit:
                raise HTTPProtocolError(400, "chunk size line too long")
            self._nl_scan = len(buf)
            return False
        self._nl_scan = 0
        match = _CHUNK_LINE_RE.fullmatch(buf, 0, nl + 1)
        if match is None:
            raise _size_line_error(bytes(buf[: nl + 1]))
        size = int(match.group(1), 16)
        del buf[: nl + 1]
        if size == 0:
            self._state = _TRAILER
            return True
        self._total += size
        if self.max_body is not None and self._total > self.max_body:
            raise HTTPProtocolError(413, "request body too large")
        self._data.left = size
        self._state = _DATA
        return True

    def _trailer_lines(self) -> bool:
        """Consume trailer lines; ``True`` once the final empty line is read."""
        buf = self._buf
        while True:
            nl = buf.find(b"\n", self._nl_scan)
            if nl == -1:
                self._nl_scan = len(buf)
                # A lone CR may be the start of the final empty line.
                if (len(buf) > 1 or buf[:1] not in _EMPTY_OR_CR) and (
                    self._field_bytes + len(buf) + 1 > self.max_trailer_bytes
                ):
                    raise HTTPProtocolError(431, "trailer section too large")
                return False
            self._nl_scan = 0
            if nl == 1 and buf[0] == 13:
                del buf[:2]
                return True
            self._field_bytes += nl + 1
            if self._field_bytes > self.max_trailer_bytes:
                raise HTTPProtocolError(431, "trailer section too large")
            if nl == 0 or buf[nl - 1] != 13:
                raise HTTPProtocolError(400, "line ending without CR (bare LF)")
            line = buf[: nl - 1].decode("latin-1")
            if FIELD_LINE_RE.fullmatch(line) is None:
                raise diagnose_field_line(line)
            if len(self.trailers) >= self.max_trailers:
                raise HTTPProtocolError(431, "too many trailer fields")
            name, _, value = line.partition(":")
            self.trailers.append((name.lower(), value.strip(" \t")))
            del buf[: nl + 1]


def _size_line_error(line: bytes) -> HTTPProtocolError:
    """Explain why a chunk-size line (ending in LF) is invalid."""
    if line[-2:] != b"\r\n" or b"\r" in line[:-2]:
        return HTTPProtocolError(400, "chunk size line must end with CRLF")
    match = _HEX_RE.match(line)
    if match is None:
        return HTTPProtocolError(400, "invalid chunk size")
    if match.end() > 16:
        return HTTPProtocolError(400, "chunk size too large")
    if not line[match.end() : -2].lstrip(b" \t").startswith(b";"):
        return HTTPProtocolError(400, "invalid chunk size")
    return HTTPProtocolError(400, "malformed chunk extension")
