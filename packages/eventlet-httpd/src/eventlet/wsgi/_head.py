"""Reading and checking a request head for :class:`eventlet.wsgi.HttpProtocol`.

Upstream reads the request line with ``rfile.readline`` and the header lines through
``FileObjectForHeaders`` (which enforces ``MAX_HEADER_LINE`` and ``MAX_TOTAL_HEADER_SIZE``), then
lets the standard library parse them, leniently.  Here the same reads happen (so the same limits
give the same ``400`` responses), but the text is checked with the grammar of
:mod:`eventlet.httpd.protocol` (its regular expressions and its explanations of a rejection):
CRLF line ends only, a request line of exactly ``method SP target SP HTTP/x.y``, header lines of
a token, a colon and a value without control characters.  A failure raises
:class:`~eventlet.httpd.protocol.HTTPProtocolError` with the status to answer.  The framing of the
body is decided by :func:`framing` with the protocol's rules for ``Transfer-Encoding`` and
``Content-Length``.  Only finding the head differs from the sans-IO parser, which scans a buffer
of its own: upstream's ``HttpProtocol`` reads it from ``rfile`` (its subclasses and the header
limits rely on that).

Speed.  When the whole header section is already in ``rfile``'s buffer (the usual case) it is
taken in one ``read`` instead of a ``readline`` per line.  A :class:`HeadChecker` belongs to one
connection and remembers the last request line and header section it accepted: a keep-alive
client usually repeats both byte for byte, and then nothing is checked or split again.
"""

from __future__ import annotations

import io
import re
from typing import Any

from eventlet.httpd.protocol._errors import (
    FIELD_LINE_RE,
    REQUEST_LINE_RE,
    TCHAR,
    HTTPProtocolError,
    diagnose_field_line,
    diagnose_head,
)
from eventlet.httpd.protocol._request import check_transfer_coding, content_length

__all__ = ["BadContentLength", "HeadChecker", "HeaderSection", "LengthAndChunked", "framing", "read_fields"]

_FIELDS_RE = re.compile(rf"(?:[{TCHAR}]+:[\t\x20-\x7e\x80-\xff]*\r\n)*")
_MAX_HEADERS = 100  # as the standard library's http.client
_SPECIAL = frozenset(("content-length", "transfer-encoding", "connection", "expect", "content-type"))

Fields = list[tuple[str, str]]


class HeaderSection:
    """A checked header section, and what the server derives from it (shared while it repeats).

    ``fields``: the ``(name, value)`` pairs as sent, values stripped of surrounding blanks;
    ``special``: ``(lower-case name, value)`` of the headers that matter to the server (length,
    coding, connection, expectation, content type); ``connection``/``expect``: the first
    ``Connection``/``Expect`` value, lower-cased; ``content_type``/``content_length``: the first
    values or None.  ``raw`` and ``environ_items`` are filled in by the protocol on first use.
    """

    __slots__ = (
        "connection",
        "content_length",
        "content_type",
        "environ_items",
        "expect",
        "fields",
        "raw",
        "special",
    )

    def __init__(self, fields: Fields) -> None:
        self.fields = fields
        self.special: Fields = []
        self.connection = self.expect = ""
        self.content_type: str | None = None
        self.content_length: str | None = None
        self.raw: tuple[tuple[str, str], ...] | None = None
        self.environ_items: dict[str, str] | None = None
        for name, value in fields:
            lower = name.lower()
            if lower in _SPECIAL:
                self.special.append((lower, value))
                if lower == "connection":
                    if not self.connection:
                        self.connection = value.lower()
                elif lower == "expect":
                    if not self.expect:
                        self.expect = value.lower()
                elif lower == "content-type":
                    if self.content_type is None:
                        self.content_type = value
                elif lower == "content-length" and self.content_length is None:
                    self.content_length = value


class BadContentLength(HTTPProtocolError):
    """A ``Content-Length`` that is not one plain decimal number (upstream's bare ``400``)."""


class LengthAndChunked(HTTPProtocolError):
    """Both ``Content-Length`` and ``Transfer-Encoding`` (refused unless ``reject_bad_requests`` is off)."""


def read_fields(rfile: Any, line_limit: int, total_limit: int) -> bytes | None:
    """The header section read from ``rfile``: its lines, CRLFs included, without the empty line.

    ``rfile`` is the ``FileObjectForHeaders`` around the connection's reader (its ``readline``
    raises on the two limits).  Returns ``None`` if the client closed the connection first.
    """
    fp = getattr(rfile, "fp", None)
    if type(fp) is io.BufferedReader:
        data = fp.peek(1)
        if data[:2] == b"\r\n":
            fp.read(2)
            return b""
        end = data.find(b"\r\n\r\n")
        if end >= 0 and end + 4 < line_limit and end + 4 <= total_limit:
            return fp.read(end + 4)[:-2]
    lines: list[bytes] = []
    while True:
        line = rfile.readline()
        if line == b"\r\n":
            return b"".join(lines)
        if not line:
            return None
        lines.append(line)
        if line == b"\n":  # bare LF: let the check explain
            return b"".join(lines)


def framing(fields: Fields, version: str, reject_both: bool) -> tuple[int | None, bool, bool]:
    """``(content_length, chunked, must_close)`` of a request body, from its header fields.

    ``fields`` are ``(lower-case name, value)`` pairs.  ``Transfer-Encoding`` must end with
    ``chunked``, once, and name no other coding (400, 501); with a ``Content-Length`` too it is
    refused (:class:`LengthAndChunked`) unless ``reject_both`` is false, then the body is chunked
    and the connection closed after the response (RFC 9112 6.3).  An HTTP/1.0 chunked body is
    read, and the connection closed after it (RFC 9112 6.1).  ``Content-Length`` values must be
    plain digits and agree (:class:`BadContentLength`).  Without either the body is empty.
    """
    lengths = [value for name, value in fields if name == "content-length"]
    codings = [value for name, value in fields if name == "transfer-encoding"]
    if codings:
        check_transfer_coding(codings)
        if lengths:
            if reject_both:
                raise LengthAndChunked(400, "Content-Length and Transfer-Encoding are not allowed together")
            return None, True, True
        return None, True, version != "HTTP/1.1"
    if lengths:
        try:
            return content_length(lengths), False, False
        except HTTPProtocolError:
            raise BadContentLength(400, "invalid Content-Length") from None
    return 0, False, False


class HeadChecker:
    """Checks the request lines and header sections of one connection (see the module doc)."""

    __slots__ = ("_block", "_line", "_parts", "_section")

    def __init__(self) -> None:
        self._line = ""
        self._parts: tuple[str, str, str] = ("", "", "")
        self._block = b""
        self._section = HeaderSection([])

    def request_line(self, raw: bytes) -> tuple[str, str, str]:
        """``(command, path, version)`` of the raw request line (CRLF included), or raise."""
        if raw[-2:] != b"\r\n":
            if raw[-1:] == b"\n":
                raise HTTPProtocolError(400, "line ending without CR (bare LF)")
            raise HTTPProtocolError(400, "incomplete request line")
        line = raw[:-2].decode("latin-1")
        if line == self._line:
            return self._parts
        if REQUEST_LINE_RE.fullmatch(line) is None:
            raise diagnose_head(line)
        command, path, version = line.split(" ")
        if version != "HTTP/1.1" and version != "HTTP/1.0":
            if version[5] != "0" and version[5] != "1":
                raise HTTPProtocolError(505, f"Invalid HTTP version ({version[5:]})")
            raise HTTPProtocolError(505, "only HTTP/1.0 and HTTP/1.1 are supported")
        if path.startswith("//"):  # as the standard library: no open redirects through //host/
            path = "/" + path.lstrip("/")
        self._line = line
        self._parts = (command, path, version)
        return self._parts

    def fields(self, block: bytes) -> HeaderSection:
        """The :class:`HeaderSection` of ``block`` (the previous one if ``block`` repeats it)."""
        if block == self._block:
            return self._section
        text = block.decode("latin-1")
        lines = text.split("\r\n")
        if _FIELDS_RE.fullmatch(text) is None:
            for line in lines:  # pragma: no branch - some line is invalid
                if "\n" in line:
                    raise HTTPProtocolError(400, "line ending without CR (bare LF)")
                if FIELD_LINE_RE.fullmatch(line) is None:
                    raise diagnose_field_line(line)
        del lines[-1]  # what follows the last CRLF: nothing, now that the section is valid
        if len(lines) > _MAX_HEADERS:
            raise HTTPProtocolError(431, "Too many headers")
        fields: Fields = []
        for line in lines:
            name, _, value = line.partition(":")
            fields.append((name, value.strip(" \t")))
        section = HeaderSection(fields)
        self._block = block
        self._section = section
        return section
