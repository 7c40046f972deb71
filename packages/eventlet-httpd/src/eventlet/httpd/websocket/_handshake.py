"""RFC 6455 opening handshake (server and client side) and its HTTP errors.

The server validates the upgrade request carried by a WSGI environ and builds
the 101 response headers, choosing a subprotocol and negotiating
permessage-deflate (an unusable extension offer is declined, never an error).
The client builds the request headers and checks the server's answer, which
must be exact: a wrong accept key or an extension it did not offer is fatal.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eventlet.httpd.websocket._deflate import (
    EXTENSION_NAME,
    DeflateConfig,
    DeflateParams,
    accept_response,
    client_offer,
    negotiate,
    parse_extension_header,
)
from eventlet.httpd.websocket._frames import WebSocketError

__all__ = [
    "GUID",
    "ClientHandshake",
    "HandshakeError",
    "ServerHandshake",
    "accept_key",
    "server_handshake",
]

log = logging.getLogger("eventlet.websocket")

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_HTTP_VERSION_RE = re.compile(r"HTTP/(\d+)\.(\d+)\Z")


class HandshakeError(WebSocketError):
    """The opening handshake failed; ``status`` and ``headers`` make the HTTP answer.

    On the client side ``status`` is the status the server answered with.
    """

    def __init__(self, status: int, message: str, headers: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = list(headers)


def accept_key(key: str) -> str:
    """Return the ``Sec-WebSocket-Accept`` value answering ``Sec-WebSocket-Key`` ``key``."""
    return base64.b64encode(hashlib.sha1((key + GUID).encode("ascii")).digest()).decode("ascii")


def _tokens(value: str) -> list[str]:
    return [t.strip().lower() for t in value.split(",")]


@dataclass(frozen=True)
class ServerHandshake:
    """An accepted upgrade: the 101 response headers and what was negotiated."""

    headers: list[tuple[str, str]]
    subprotocol: str | None
    deflate: DeflateParams | None


def server_handshake(
    environ: Mapping[str, Any],
    subprotocols: Sequence[str] = (),
    deflate: DeflateConfig | None = None,
) -> ServerHandshake:
    """Validate the upgrade request in a WSGI ``environ``; raise HandshakeError if bad.

    The subprotocol is the first one in the client's list that ``subprotocols``
    contains. permessage-deflate is negotiated only when ``deflate`` is given.
    """

    def header(name: str) -> str:
        return str(environ.get(name, "")).strip()

    if environ.get("REQUEST_METHOD") != "GET":
        raise HandshakeError(400, "websocket upgrade requires GET")
    m = _HTTP_VERSION_RE.match(header("SERVER_PROTOCOL"))
    if m is None or (int(m.group(1)), int(m.group(2))) < (1, 1):
        raise HandshakeError(400, "websocket upgrade requires HTTP/1.1")
    if "websocket" not in _tokens(header("HTTP_UPGRADE")):
        raise HandshakeError(400, "missing 'Upgrade: websocket'")
    if "upgrade" not in _tokens(header("HTTP_CONNECTION")):
        raise HandshakeError(400, "missing 'Connection: upgrade'")
    if header("HTTP_SEC_WEBSOCKET_VERSION") != "13":
        raise HandshakeError(426, "unsupported websocket version", [("Sec-WebSocket-Version", "13")])
    key = header("HTTP_SEC_WEBSOCKET_KEY")
    try:
        raw_key = base64.b64decode(key, validate=True)
    except ValueError:
        raw_key = b""
    if len(raw_key) != 16:
        raise HandshakeError(400, "invalid Sec-WebSocket-Key")
    headers = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", accept_key(key)),
    ]
    chosen = None
    offered = header("HTTP_SEC_WEBSOCKET_PROTOCOL")
    if offered and subprotocols:
        for name in offered.split(","):
            if name.strip() in subprotocols:
                chosen = name.strip()
                headers.append(("Sec-WebSocket-Protocol", chosen))
                break
    params = None
    extensions = header("HTTP_SEC_WEBSOCKET_EXTENSIONS")
    if deflate is not None and extensions:
        try:
            result = negotiate(parse_extension_header(extensions), deflate)
        except ValueError as exc:
            log.debug("ignoring malformed Sec-WebSocket-Extensions: %s", exc)
            result = None
        if result is not None:
            params, value = result
            headers.append(("Sec-WebSocket-Extensions", value))
    return ServerHandshake(headers, chosen, params)


class ClientHandshake:
    """Client side of the opening handshake: request headers, then response check."""

    def __init__(
        self,
        subprotocols: Sequence[str] = (),
        deflate: DeflateConfig | None = None,
        key: str | None = None,
    ) -> None:
        self.key = key or base64.b64encode(os.urandom(16)).decode("ascii")
        self.subprotocols = list(subprotocols)
        self.deflate = deflate
        self.headers = [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", self.key),
            ("Sec-WebSocket-Version", "13"),
        ]
        """Headers to add to the GET request (besides Host)."""
        if self.subprotocols:
            self.headers.append(("Sec-WebSocket-Protocol", ", ".join(self.subprotocols)))
        if deflate is not None:
            self.headers.append(("Sec-WebSocket-Extensions", client_offer(deflate)))

    def check_response(
        self, status: int, headers: Iterable[tuple[str, str]]
    ) -> tuple[str | None, DeflateParams | None]:
        """Validate the server's answer; return ``(subprotocol, deflate params)``."""
        found: dict[str, str] = {}
        for name, value in headers:
            lname = name.lower()
            found[lname] = f"{found[lname]}, {value}" if lname in found else value
        if status != 101:
            raise HandshakeError(status, f"server answered {status}, not 101")
        if "websocket" not in _tokens(found.get("upgrade", "")):
            raise HandshakeError(status, "missing 'Upgrade: websocket'")
        if "upgrade" not in _tokens(found.get("connection", "")):
            raise HandshakeError(status, "missing 'Connection: upgrade'")
        if found.get("sec-websocket-accept", "").strip() != accept_key(self.key):
            raise HandshakeError(status, "wrong Sec-WebSocket-Accept")
        subprotocol = found.get("sec-websocket-protocol", "").strip() or None
        if subprotocol is not None and subprotocol not in self.subprotocols:
            raise HandshakeError(status, f"unexpected subprotocol {subprotocol!r}")
        params = None
        try:
            for name, raw in parse_extension_header(found.get("sec-websocket-extensions", "")):
                if name != EXTENSION_NAME or self.deflate is None or params is not None:
                    raise ValueError(f"unexpected extension {name}")
                params = accept_response(raw, self.deflate)
        except ValueError as exc:
            raise HandshakeError(status, f"bad Sec-WebSocket-Extensions: {exc}") from exc
        return subprotocol, params
