"""The parsed request head and the rules that give it meaning.

:class:`Request` is what the parser produces.  The helpers here give a head
whose *syntax* the parser has already validated its meaning (RFC 9112):
the four request-target forms, the HTTP version, ``Host``, message framing
(``Content-Length`` / ``Transfer-Encoding``, the request smuggling defence),
``Connection`` persistence and ``Expect``.

Framing is deliberately unforgiving, because any disagreement between us and
a proxy in front of us about where a body ends is a smuggling hole: both
``Content-Length`` and ``Transfer-Encoding`` -> 400; ``Transfer-Encoding`` on
HTTP/1.0 -> 400; ``chunked`` not last (or not present, or twice) -> 400; a
coding we do not implement before a final ``chunked`` -> 501; any
``Content-Length`` element that is not plain ASCII digits, or elements that
differ -> 400.

Header names and values are ``str`` decoded as latin-1 (a lossless mapping of
bytes), names lower-cased and values stripped of surrounding whitespace, which
is what a WSGI environ needs.
"""

from __future__ import annotations

import re

from ._errors import HTTPProtocolError

__all__ = [
    "HOST_RE",
    "SPECIAL",
    "Request",
    "apply_framing",
    "cgi_key",
    "check_transfer_coding",
    "content_length",
    "split_target",
]

SPECIAL: frozenset[str] = frozenset(("host", "content-length", "transfer-encoding", "connection", "expect"))
_NO_TOKENS: frozenset[str] = frozenset()
_DIGITS_RE = re.compile(r"[0-9]{1,18}")
HOST_RE = re.compile(r"(?:\[[0-9A-Za-z:._~!$&'()*+,;=-]+\]|[0-9A-Za-z._~!$&'()*+,;=%-]*)(?::[0-9]*)?")
_AUTHORITY_RE = re.compile(r"(?:\[[0-9A-Za-z:._~!$&'()*+,;=-]+\]|[0-9A-Za-z._~!$&'()*+,;=%-]+):[0-9]+")
_ABSOLUTE_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://([^/?]*)(.*)")
_COOKIE_JOIN = {"HTTP_COOKIE": "; "}
_COMMON_CONNECTION: dict[str, frozenset[str]] = {
    value: frozenset(t.strip().lower() for t in value.split(","))
    for value in ("keep-alive", "Keep-Alive", "close", "Close", "Upgrade", "keep-alive, Upgrade")
}


class Request:
    """One parsed request head.

    Attributes (all ``str`` unless noted; bytes are decoded as latin-1):

    * ``method`` -- the method token, case preserved (``"GET"``).
    * ``target`` -- the request-target exactly as sent.
    * ``path`` / ``query`` -- the target split at the first ``?``, still
      percent-encoded; for absolute-form the path part of the URI (``"/"``
      when empty), for authority-form (``CONNECT``) and ``*`` the whole
      target and ``""``.
    * ``authority`` -- the authority of an absolute-form or authority-form
      target, else ``None`` (RFC 9112 3.2.2: it overrides ``Host``).
    * ``version`` -- ``"HTTP/1.1"`` or ``"HTTP/1.0"``.
    * ``headers`` -- ``list[tuple[str, str]]`` in arrival order, names
      lower-cased, values stripped of surrounding spaces and tabs.
    * ``keep_alive`` (bool) -- whether the client allows another request on
      this connection afterwards.
    * ``expect_continue`` (bool) -- an HTTP/1.1 ``Expect: 100-continue``:
      send ``100 Continue`` before the first body read.
    * ``content_length`` (int or None) -- body length; ``0`` without a body,
      ``None`` when ``chunked``.
    * ``chunked`` (bool) -- the body uses the chunked transfer coding.
    * ``connection`` (frozenset of str) -- lower-cased ``Connection`` tokens.
    * ``trailers`` -- trailer fields of a chunked body, filled in once the
      body has been read completely.
    """

    # Defaults for the attributes most requests leave alone (class-level,
    # immutable, so creating a request only sets what differs).
    authority: str | None = None
    expect_continue = False
    content_length: int | None = 0
    chunked = False
    connection: frozenset[str] = _NO_TOKENS

    def __init__(
        self,
        method: str,
        target: str,
        path: str,
        query: str,
        version: str,
        headers: list[tuple[str, str]],
    ) -> None:
        self.method: str = method
        self.target: str = target
        self.path: str = path
        self.query: str = query
        self.version: str = version
        self.headers: list[tuple[str, str]] = headers
        self.keep_alive: bool = version == "HTTP/1.1"
        self.trailers: list[tuple[str, str]] = []

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.target!r} {self.version}>"

    @property
    def has_body(self) -> bool:
        """Whether a (possibly empty chunked) body follows the head."""
        return self.chunked or bool(self.content_length)

    @property
    def host(self) -> str | None:
        """The target host: the absolute-form authority, else ``Host``."""
        if self.authority is not None:
            return self.authority
        return self.get("host")

    def get(self, name: str, default: str | None = None) -> str | None:
        """Value of the first header called ``name`` (lower-case), or ``default``."""
        for key, value in self.headers:
            if key == name:
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        """Values of every header called ``name`` (lower-case), in order."""
        return [value for key, value in self.headers if key == name]

    def cgi_headers(self) -> dict[str, str]:
        """The headers as CGI/WSGI environ entries.

        ``content-type`` and ``content-length`` become ``CONTENT_TYPE`` and
        ``CONTENT_LENGTH``, every other ``name`` becomes ``HTTP_NAME`` with
        ``-`` turned into ``_``.  Repeated names are joined with ``", "``
        (``"; "`` for ``Cookie``).  Names containing ``_`` are skipped: they
        would be indistinguishable from their ``-`` twins.
        """
        env: dict[str, str] = {}
        for name, value in self.headers:
            key = cgi_key(name)
            if key is None:
                continue
            if key in env:
                value = env[key] + _COOKIE_JOIN.get(key, ", ") + value
            env[key] = value
        return env


def cgi_key(name: str) -> str | None:
    """The CGI/WSGI environ key of the lower-case header ``name``; ``None`` for a name with ``_``.

    ``content-type`` -> ``CONTENT_TYPE``, ``content-length`` -> ``CONTENT_LENGTH``, any other
    ``name`` -> ``HTTP_NAME`` with ``-`` turned into ``_``.  A name with ``_`` has no key: it would
    be indistinguishable from its ``-`` twin once converted (a header smuggling trick).
    """
    if "_" in name:
        return None
    if name == "content-type":
        return "CONTENT_TYPE"
    if name == "content-length":
        return "CONTENT_LENGTH"
    return "HTTP_" + name.upper().replace("-", "_")


def split_target(method: str, target: str) -> tuple[str, str, str | None]:
    """Return ``(path, query, authority)`` for ``target`` or raise 400."""
    if "#" in target:
        raise HTTPProtocolError(400, "fragment in request target")
    if method == "CONNECT":
        if _AUTHORITY_RE.fullmatch(target) is None:
            raise HTTPProtocolError(400, "CONNECT needs an authority-form target")
        return target, "", target
    if target == "*":
        if method != "OPTIONS":
            raise HTTPProtocolError(400, "asterisk-form target is only for OPTIONS")
        return "*", "", None
    match = _ABSOLUTE_RE.fullmatch(target)
    if match is None:
        raise HTTPProtocolError(400, "malformed request target")
    authority, rest = match.groups()
    if HOST_RE.fullmatch(authority) is None:
        raise HTTPProtocolError(400, "invalid authority in request target")
    path, _, query = rest.partition("?")
    return path or "/", query, authority


def _list_items(values: list[str]) -> list[str]:
    """Split comma-separated list fields, dropping empty elements."""
    return [item for value in values for item in (s.strip(" \t") for s in value.split(",")) if item]


def check_transfer_coding(values: list[str]) -> None:
    """Check the ``Transfer-Encoding`` field values of a request (RFC 9112 6.1).

    ``chunked`` must be the last coding, and appear once (400); no other coding is implemented
    (501).  The one rule for both servers: :mod:`eventlet.wsgi` checks its requests with it too.
    """
    items = [item.lower() for item in _list_items(values)]
    if not items or items[-1] != "chunked" or "chunked" in items[:-1]:
        raise HTTPProtocolError(400, "chunked must be the final transfer coding, once")
    if len(items) > 1:
        raise HTTPProtocolError(501, "unsupported transfer coding")


def content_length(values: list[str]) -> int:
    """The body length the ``Content-Length`` field values give (RFC 9112 6.3).

    Each comma-separated element must be plain ASCII digits, and all must agree (400).
    """
    items = [s.strip(" \t") for value in values for s in value.split(",")]
    for item in items:
        if _DIGITS_RE.fullmatch(item) is None:
            raise HTTPProtocolError(400, "invalid Content-Length")
    if len(set(items)) > 1:
        raise HTTPProtocolError(400, "conflicting Content-Length values")
    return int(items[0])


def apply_framing(
    req: Request,
    special: list[tuple[str, str]],
    max_body: int | None,
    require_host: bool,
    valid_host: str,
) -> str:
    """Set framing, persistence and expectation attributes from ``special`` headers.

    ``special`` holds the headers whose names are in :data:`SPECIAL`;
    ``valid_host`` is a Host value known to be valid (its check is skipped).
    Returns the last Host value seen valid, for the caller to remember.
    """
    http11 = req.version == "HTTP/1.1"
    lengths: list[str] = []
    codings: list[str] = []
    connection: list[str] = []
    hosts = 0
    for name, value in special:
        if name == "content-length":
            lengths.append(value)
        elif name == "transfer-encoding":
            codings.append(value)
        elif name == "connection":
            connection.append(value)
        elif name == "host":
            hosts += 1
            if value != valid_host:
                if HOST_RE.fullmatch(value) is None:
                    raise HTTPProtocolError(400, "invalid Host header")
                valid_host = value
        elif value.lower() == "100-continue":  # expect
            req.expect_continue = http11
        else:
            raise HTTPProtocolError(417, "unsupported expectation")
    if hosts > 1:
        raise HTTPProtocolError(400, "more than one Host header")
    if require_host and not hosts and http11:
        raise HTTPProtocolError(400, "HTTP/1.1 request without Host")
    if codings:
        if not http11:
            raise HTTPProtocolError(400, "Transfer-Encoding in an HTTP/1.0 request")
        if lengths:
            raise HTTPProtocolError(400, "both Content-Length and Transfer-Encoding")
        check_transfer_coding(codings)
        req.chunked = True
        req.content_length = None
    elif lengths:
        size = content_length(lengths)
        if max_body is not None and size > max_body:
            raise HTTPProtocolError(413, "request body too large")
        req.content_length = size
    if connection:
        tokens = _COMMON_CONNECTION.get(connection[0]) if len(connection) == 1 else None
        if tokens is None:
            tokens = frozenset(item.lower() for item in _list_items(connection))
        req.connection = tokens
        if "close" in tokens:
            req.keep_alive = False
        elif not http11:
            req.keep_alive = "keep-alive" in tokens
    return valid_host
