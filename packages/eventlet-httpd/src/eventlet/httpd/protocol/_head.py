"""The head half of the request parser: find, check and interpret a request head.

:class:`HeadParser` owns the receive buffer, the limits and the state of the
scan for the end of the head; :class:`~eventlet.httpd.protocol.RequestParser`
builds the per-connection state machine (head, body, next head) on top of it.

Speed.  A request head normally arrives in one ``recv``.  The hot path is
then: one ``find(b"\\r\\n\\r\\n")``, one latin-1 decode of the head, and a
split into the request line and the field section.  Each half is compared
with the previous head's (a keep-alive client usually repeats both exactly):
an identical string has passed every syntax check already, so only what
depends on the settings (sizes, header count) or on the request (Host,
framing) runs again.  A new half gets cheap C-level checks (``isprintable``,
a table of common header names that need no token check or ``lower``); when
those cannot vouch for it, one precompiled regular expression validates the
whole head, and only when that fails does the slow path in ``_errors`` walk
the lines to say *why*.

Incremental input.  While the head is incomplete the parser checks each newly
completed line for the errors more data cannot cure (a line or the header
section already over its limit, a line ending in a bare LF) and remembers how
far it has scanned.  So feeding a head byte by byte costs linear time, a
LF-only client is rejected at once instead of waiting for a ``CRLF CRLF`` that
never comes, and the outcome is exactly that of feeding the whole input at
once: checks run in line order, and on a partial line only the errors its
completion would certainly produce are raised.  The chunked body decoder in
``_chunked`` follows the same discipline for chunk-size lines and trailers.
"""

from __future__ import annotations

import re

from ._errors import REQUEST_LINE_RE, TCHAR, HTTPProtocolError, diagnose_head
from ._request import HOST_RE, SPECIAL, Request, apply_framing, split_target

__all__ = ["HeadParser"]


_HEAD_RE = re.compile(REQUEST_LINE_RE.pattern + rf"(?:\r\n[{TCHAR}]+:[\t\x20-\x7e\x80-\xff]*)*")
_VERSIONS = frozenset(("HTTP/1.1", "HTTP/1.0"))
_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE"))
# Common header names as clients spell them -> lower-cased: a hit needs no token check
# and no str.lower (any other name passes a cheap check or the exact regex).
_COMMON_NAMES = (
    "host user-agent accept accept-encoding accept-language connection content-length "
    "content-type cookie referer origin cache-control upgrade-insecure-requests "
    "x-forwarded-for x-forwarded-proto x-forwarded-host x-real-ip x-requested-with "
    "authorization if-none-match if-modified-since range pragma priority dnt upgrade "
    "expect transfer-encoding te sec-fetch-dest sec-fetch-mode sec-fetch-site "
    "sec-fetch-user sec-ch-ua sec-ch-ua-mobile sec-ch-ua-platform sec-websocket-key "
    "sec-websocket-version sec-websocket-extensions sec-websocket-protocol keep-alive"
)
_LOWER: dict[str, str] = {
    spelling: name
    for name in _COMMON_NAMES.split()
    for spelling in (name, "-".join(part.capitalize() for part in name.split("-")), name.upper())
}
_Fields = tuple[list[tuple[str, str]], list[tuple[str, str]]]  # headers, SPECIAL ones
_LineInfo = tuple[str, str, str, str, str, str | None]  # method ... version, authority


def _split_line(line: str, checked: bool) -> list[str] | None:
    """``[method, target, version]`` of a request line, or ``None``.

    With ``checked`` false the line is unvalidated: return ``None`` when the
    cheap checks cannot vouch for it (the caller then runs the exact regex).
    """
    parts = line.split(" ")
    if not checked and (
        len(parts) != 3
        or not line.isprintable()
        or not parts[1]
        or parts[2] not in _VERSIONS
        or (parts[0] not in _METHODS and not (parts[0].isascii() and parts[0].isalpha()))
    ):
        return None
    return parts


def _line_info(method: str, target: str, version: str) -> _LineInfo:
    """Apply the request line's semantic rules (RFC 9112 2.3, 3.2) or raise."""
    if version != "HTTP/1.1" and version != "HTTP/1.0":
        raise HTTPProtocolError(505, "only HTTP/1.0 and HTTP/1.1 are supported")
    if target[0] == "/" and method != "CONNECT" and "#" not in target:
        path, _, query = target.partition("?")
        return method, target, path, query, version, None
    path, query, authority = split_target(method, target)
    return method, target, path, query, version, authority


def _parse_fields(fields: str, checked: bool) -> _Fields | None:
    """Headers of the field section ``fields`` (each line preceded by CRLF), or ``None``.

    With ``checked`` false the section is unvalidated: return ``None`` when
    the cheap checks cannot vouch for it (the caller then runs the exact
    regex).
    """
    lines = fields.split("\r\n")
    if not checked and not "".join(lines).isprintable():
        return None
    headers: list[tuple[str, str]] = []
    special: list[tuple[str, str]] = []
    lower = _LOWER
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon:
            return None
        lname = lower.get(name)
        if lname is None:
            if not checked and not (name.isascii() and name.replace("-", "").isalnum()):
                return None
            lname = name.lower()
        field = (lname, value.strip(" \t"))
        headers.append(field)
        if lname in SPECIAL:
            special.append(field)
    return headers, special


class HeadParser:
    """Takes request heads off the front of a receive buffer (the base of ``RequestParser``).

    The limits are public attributes, read at every head (changing one takes
    effect on the next): ``max_line`` bounds the request line (414),
    ``max_header_bytes`` the header section (431), ``max_headers`` the number
    of header fields (431); ``max_body`` is checked against a
    ``Content-Length`` (413); ``require_host`` makes an HTTP/1.1 request
    without ``Host`` a 400.
    """

    __slots__ = (
        "_buf",
        "_field_bytes",
        "_last_fields",
        "_last_info",
        "_last_line",
        "_last_text",
        "_line_pos",
        "_nl_scan",
        "_nlines",
        "_partial",
        "_scan",
        "_valid_host",
        "max_body",
        "max_header_bytes",
        "max_headers",
        "max_line",
        "require_host",
    )

    def __init__(
        self, max_line: int, max_header_bytes: int, max_headers: int, max_body: int | None, require_host: bool
    ) -> None:
        self.max_line: int = max_line
        self.max_header_bytes: int = max_header_bytes
        self.max_headers: int = max_headers
        self.max_body: int | None = max_body
        self.require_host: bool = require_host
        self._buf = bytearray()
        self._scan = 0  # next offset to search for CRLF CRLF
        self._line_pos = 0  # start of the first line not yet checked
        self._nl_scan = 0  # offset up to which no LF follows _line_pos
        self._nlines = 0  # lines of the head checked so far
        self._field_bytes = 0  # header bytes checked so far
        self._partial = False  # whether the scan state above needs a reset
        self._valid_host = ""  # last Host value found valid
        # The previous head's request line and field section, parsed (see _parse_head).
        self._last_line: str | None = None
        self._last_info: _LineInfo = ("", "", "", "", "", None)
        self._last_text: str | None = None
        self._last_fields: _Fields = ([], [])

    def _take_head(self) -> Request | None:
        """Take the next head off the buffer and interpret it; ``None`` while it is incomplete.

        Raises :class:`HTTPProtocolError` (the scan state is then unusable).
        """
        buf = self._buf
        if buf.startswith(b"\r\n"):  # RFC 9112 2.2: ignore leading empty lines
            skip = 2
            while buf.startswith(b"\r\n", skip):
                skip += 2
            del buf[:skip]
            self._scan = self._nl_scan = 0
        end = buf.find(b"\r\n\r\n", self._scan)
        if end == -1:
            self._partial = True
            self._scan = max(len(buf) - 3, 0)
            self._check_lines(len(buf))
            self._check_tail()
            return None
        req = self._parse_head(buf[:end].decode("latin-1"), end)
        del buf[: end + 4]
        if self._partial:
            self._reset_scan()
        return req

    def _parse_head(self, text: str, end: int) -> Request:
        """Validate and interpret the complete head ``text`` (``end`` long).

        The request line and the field section are each compared with the
        previous head's first (a keep-alive client usually repeats them
        exactly): an identical string has already passed every syntax check,
        so only the checks that depend on settings or on the other half run
        again.  A new string gets the cheap checks, and when those cannot
        vouch for it the exact regular expression.
        """
        rl_end = text.find("\r\n")
        if rl_end == -1:
            rl_end = len(text)
        line = text[:rl_end]
        fields = text[rl_end:]
        known = line == self._last_line
        parts = None if known else _split_line(line, False)
        parsed = self._last_fields if fields == self._last_text else _parse_fields(fields, False)
        if (parts is None and not known) or parsed is None:
            if _HEAD_RE.fullmatch(text) is None:
                self._check_lines(end + 2)
                raise diagnose_head(text)
            parts = _split_line(line, True)
            parsed = _parse_fields(fields, True)
            assert parts is not None
            assert parsed is not None
        if rl_end > self.max_line:
            raise HTTPProtocolError(414, "request line too long")
        if end - rl_end > self.max_header_bytes:
            raise HTTPProtocolError(431, "request header section too large")
        headers, special = parsed
        if len(headers) > self.max_headers:
            raise HTTPProtocolError(431, "too many request headers")
        if parts is None:
            info = self._last_info
        else:
            info = _line_info(*parts)
            self._last_line = line
            self._last_info = info
        self._last_text = fields
        self._last_fields = parsed
        method, target, path, query, version, authority = info
        req = Request(method, target, path, query, version, headers.copy())
        if authority is not None:
            req.authority = authority
        if len(special) == 1 and special[0][0] == "host":  # the usual case
            host = special[0][1]
            if host != self._valid_host:
                if HOST_RE.fullmatch(host) is None:
                    raise HTTPProtocolError(400, "invalid Host header")
                self._valid_host = host
        elif special or (self.require_host and version == "HTTP/1.1"):
            self._valid_host = apply_framing(req, special, self.max_body, self.require_host, self._valid_host)
        return req

    def _reset_scan(self) -> None:
        self._scan = self._line_pos = self._nl_scan = self._nlines = self._field_bytes = 0
        self._partial = False

    def _check_lines(self, stop: int) -> None:
        """Check the complete head lines in ``buf[_line_pos:stop]`` (see module doc)."""
        buf = self._buf
        pos = self._line_pos
        while True:
            nl = buf.find(b"\n", max(pos, self._nl_scan), stop)
            if nl == -1:
                break
            size = nl + 1 - pos
            if self._nlines == 0:
                if size > self.max_line + 2:
                    raise HTTPProtocolError(414, "request line too long")
            else:
                self._field_bytes += size
                if self._field_bytes > self.max_header_bytes:
                    raise HTTPProtocolError(431, "request header section too large")
            if nl == pos or buf[nl - 1] != 13:
                raise HTTPProtocolError(400, "line ending without CR (bare LF)")
            self._nlines += 1
            pos = nl + 1
        self._line_pos = pos
        self._nl_scan = stop

    def _check_tail(self) -> None:
        """Raise if the incomplete last line of the head is certainly too long."""
        tail = len(self._buf) - self._line_pos
        if not tail:
            return
        if self._nlines == 0:
            if tail > self.max_line + 1:
                raise HTTPProtocolError(414, "request line too long")
        elif (tail > 1 or self._buf[-1] != 13) and (  # a lone CR may start the empty line
            self._field_bytes + tail + 1 > self.max_header_bytes
        ):
            raise HTTPProtocolError(431, "request header section too large")
