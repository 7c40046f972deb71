"""Protocol errors and the slow path that explains them.

The parser validates a complete request head with two precompiled regular
expressions: one for the request line, one for the whole field section.
When both match (the overwhelmingly common case) nothing here runs.  When one
of them fails, the parser calls :func:`diagnose_head`, which walks the head
line by line to find the *first* rule broken and raises a
:class:`HTTPProtocolError` that names it.  Keeping the explanations out of the
hot path keeps the hot path short; keeping them in one place makes every
rejection carry a precise, static reason (never attacker-controlled bytes,
so a reason can be echoed into an error page safely).
"""

from __future__ import annotations

import re
from http import HTTPStatus

__all__ = ["HTTPProtocolError", "diagnose_field_line", "diagnose_head"]

# RFC 9110 5.6.2: token = 1*tchar.
TCHAR = r"!#$%&'*+.^_`|~0-9A-Za-z-"
TOKEN_RE = re.compile(f"[{TCHAR}]+")
# RFC 9110 5.5: a field line is name ":" value, the value made of VCHAR, SP,
# HTAB and obs-text (surrounding whitespace is stripped afterwards).
FIELD_LINE_RE = re.compile(rf"[{TCHAR}]+:[\t\x20-\x7e\x80-\xff]*")
REQUEST_LINE_RE = re.compile(f"([{TCHAR}]+) ([^\\x00-\\x20\\x7f]+) HTTP/([0-9])\\.([0-9])")


class HTTPProtocolError(Exception):
    """The peer broke HTTP/1.1; answer with ``status`` and close the connection.

    ``status`` is the HTTP status code to send (400, 413, 414, 431, 501, 505,
    ...), ``reason`` a short static explanation safe to show to the client.
    """

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(status, reason)
        self.status: int = status
        self.reason: str = reason

    @property
    def phrase(self) -> str:
        """The standard reason phrase for :attr:`status` (``"Bad Request"``)."""
        try:
            return HTTPStatus(self.status).phrase
        except ValueError:
            return "Error"

    def __str__(self) -> str:
        return f"{self.status} {self.phrase}: {self.reason}"


def diagnose_field_line(line: str) -> HTTPProtocolError:
    """Explain why ``line`` (one field line without its CRLF) is invalid.

    Used for both header and trailer lines; ``line`` must actually be invalid.
    """
    if line[:1] in (" ", "\t"):
        return HTTPProtocolError(400, "obsolete line folding is not accepted")
    name, colon, value = line.partition(":")
    if not colon:
        return HTTPProtocolError(400, "header line without a colon")
    if name[-1:] in (" ", "\t"):
        return HTTPProtocolError(400, "whitespace between header name and colon")
    if not TOKEN_RE.fullmatch(name):
        return HTTPProtocolError(400, "invalid character in header name")
    if "\r" in value:
        return HTTPProtocolError(400, "bare CR in header value")
    return HTTPProtocolError(400, "control character in header value")


def _diagnose_request_line(line: str) -> HTTPProtocolError:
    parts = line.split(" ")
    if len(parts) != 3:
        return HTTPProtocolError(400, "malformed request line")
    method, target, version = parts
    if not TOKEN_RE.fullmatch(method):
        return HTTPProtocolError(400, "invalid request method")
    if not target:
        return HTTPProtocolError(400, "empty request target")
    if re.fullmatch(r"HTTP/[0-9]\.[0-9]", version) is None:
        return HTTPProtocolError(400, "malformed HTTP version")
    return HTTPProtocolError(400, "invalid character in request target")


def diagnose_head(text: str) -> HTTPProtocolError:
    """Explain why the head ``text`` failed the fast regular expressions.

    ``text`` is the latin-1 decoded head without its final empty line and the
    CRLF before it; every line boundary in it is a CRLF (bare line feeds were
    rejected earlier by the line scanner).
    """
    lines = text.split("\r\n")
    if "\r" in lines[0]:
        return HTTPProtocolError(400, "bare CR in request line")
    if REQUEST_LINE_RE.fullmatch(lines[0]) is None:
        return _diagnose_request_line(lines[0])
    for line in lines[1:]:  # pragma: no branch - some line must be invalid
        if FIELD_LINE_RE.fullmatch(line) is None:
            return diagnose_field_line(line)
    raise AssertionError("diagnose_head called on a valid head")  # pragma: no cover
