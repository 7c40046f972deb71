"""Upstream eventlet's RFC 6455 opening handshake and permessage-deflate negotiation.

:mod:`eventlet.websocket` answers upgrades exactly as upstream eventlet 0.41.3 does, which is
more lenient than :func:`eventlet.httpd.websocket._handshake.server_handshake` (the strict one behind
:class:`eventlet.httpd.WebSocketWSGI`): versions 8 (hybi-10) and 13 are accepted, the key is
not checked for being 16 bytes of base64, the extension header is split on ``,`` ``;`` and
``=`` rather than parsed as RFC 7692's grammar (a trailing ``;`` is fine), and a bare
``server_max_window_bits`` means 15.  The 101 answer is upstream's, byte for byte.

Differences, each protecting the server: an offer whose window bits are not a number is
skipped (upstream failed the request with a 500), and an offer that limits the server's own
window to 8 bits is skipped too, since zlib cannot compress with such a window (upstream
accepted it and then failed on the first message it sent).

The negotiated parameters keep upstream's shape, a dict such as
``{"server_no_context_takeover": False, "client_no_context_takeover": True,
"client_max_window_bits": 15}``, which is also what ``RFC6455WebSocket(extensions=...)`` takes;
:func:`deflate_params` turns one into the protocol core's
:class:`~eventlet.httpd.websocket._deflate.DeflateParams`.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eventlet.httpd.websocket._deflate import DeflateParams
from eventlet.httpd.websocket._handshake import accept_key
from eventlet.httpd.websocket._legacy import BadRequest

__all__ = [
    "HybiHandshake",
    "deflate_params",
    "format_extensions",
    "hybi_handshake",
    "negotiate_deflate",
    "parse_extensions",
    "upgrade_requested",
]

DEFLATE = "permessage-deflate"
Options = dict[str, Any]


def upgrade_requested(environ: Mapping[str, Any]) -> bool:
    """Whether the request says ``Connection: upgrade`` and ``Upgrade: websocket``."""
    tokens = [part.strip() for part in environ.get("HTTP_CONNECTION", "").lower().split(",")]
    return "upgrade" in tokens and environ.get("HTTP_UPGRADE", "").lower() == "websocket"


def parse_extensions(header: str | None) -> dict[str, list[dict[str, str | bool]]] | None:
    """``Sec-WebSocket-Extensions`` as ``{name: [params, ...]}``, one dict per offer.

    A parameter without a value is ``True``; values are unquoted and lower-cased.
    """
    if header is None:
        return None
    found: dict[str, list[dict[str, str | bool]]] = {}
    for offer in header.split(","):
        parts = offer.split(";")
        params: dict[str, str | bool] = {}
        for part in parts[1:]:
            name, eq, value = part.partition("=")
            params[name.strip().lower()] = value.strip().strip('"').lower() if eq else True
        found.setdefault(parts[0].strip().lower(), []).append(params)
    return found


def _window_bits(value: str | bool | None) -> int | None:
    """An offered window size: None if absent, 15 for a bare name, -1 if unusable."""
    if value is None:
        return None
    if value is True:
        return zlib.MAX_WBITS
    try:
        bits = int(value)
    except ValueError:
        return -1
    return bits if 8 <= bits <= 15 else -1


def negotiate_deflate(extensions: Mapping[str, list[dict[str, str | bool]]] | None) -> Options | None:
    """The first permessage-deflate offer the server can honour, as upstream's options dict."""
    for params in (extensions or {}).get(DEFLATE, ()):
        options: Options = {
            "server_no_context_takeover": "server_no_context_takeover" in params,
            "client_no_context_takeover": "client_no_context_takeover" in params,
        }
        server_bits = _window_bits(params.get("server_max_window_bits"))
        if server_bits is not None:
            if server_bits < 9:  # unusable, or 8, which zlib cannot compress with
                continue
            options["server_max_window_bits"] = server_bits
        client_bits = _window_bits(params.get("client_max_window_bits"))
        if client_bits is not None:
            if client_bits < 0:
                continue
            options["client_max_window_bits"] = client_bits
        return options
    return None


def format_extensions(negotiated: Mapping[str, Options]) -> bytes | None:
    """The ``Sec-WebSocket-Extensions`` answer for the negotiated extensions (None: none)."""
    if not negotiated:
        return None
    parts = []
    for name, options in negotiated.items():
        words = [name]
        for key, value in options.items():
            if value is True:
                words.append(key)
            elif value is not False:
                words.append(f"{key}={value}")
        parts.append("; ".join(words))
    return ", ".join(parts).encode("latin-1")


def deflate_params(options: Mapping[str, Any]) -> DeflateParams:
    """Upstream's permessage-deflate options dict as the protocol core's parameters."""

    def bits(name: str) -> int:
        value = options.get(name)
        return zlib.MAX_WBITS if value is None or value is True else int(value)

    return DeflateParams(
        server_no_context_takeover=bool(options.get("server_no_context_takeover")),
        client_no_context_takeover=bool(options.get("client_no_context_takeover")),
        server_max_window_bits=bits("server_max_window_bits"),
        client_max_window_bits=bits("client_max_window_bits"),
    )


@dataclass(frozen=True)
class HybiHandshake:
    """An accepted RFC 6455 (or hybi-10) upgrade."""

    version: int
    """8 or 13, from ``Sec-WebSocket-Version``."""
    protocol: str | None
    """The chosen subprotocol."""
    extensions: dict[str, Options]
    """The negotiated extensions, in upstream's shape (see the module docstring)."""
    reply: bytes
    """The whole 101 answer."""


def hybi_handshake(
    environ: Mapping[str, Any],
    supported_protocols: Sequence[str],
    origin_checker: Callable[[Any, Any], Any] | None,
) -> HybiHandshake:
    """Check an RFC 6455 upgrade as upstream does and build its answer; BadRequest if refused.

    ``origin_checker(host, origin)`` refuses the upgrade with 403 when it returns false.
    """
    raw_version = environ["HTTP_SEC_WEBSOCKET_VERSION"]
    if raw_version not in ("8", "13"):
        raise BadRequest(status="426 Upgrade Required", headers=[("Sec-WebSocket-Version", "8, 13")])
    version = int(raw_version)
    key = environ.get("HTTP_SEC_WEBSOCKET_KEY")
    if key is None or not key.isascii():
        raise BadRequest()
    fallback = environ.get("HTTP_SEC_WEBSOCKET_ORIGIN", "") if version <= 8 else ""
    origin = environ.get("HTTP_ORIGIN", fallback)
    if origin_checker is not None and not origin_checker(environ.get("HTTP_HOST"), origin):
        raise BadRequest(status="403 Forbidden")
    protocol = None
    offered = environ.get("HTTP_SEC_WEBSOCKET_PROTOCOL")
    if offered:
        for name in (p.strip() for p in offered.split(",")):
            if name in supported_protocols:
                protocol = name
                break
    lines = [
        b"HTTP/1.1 101 Switching Protocols",
        b"Upgrade: websocket",
        b"Connection: Upgrade",
        b"Sec-WebSocket-Accept: " + accept_key(key).encode("ascii"),
    ]
    if protocol:
        lines.append(b"Sec-WebSocket-Protocol: " + protocol.encode("latin-1"))
    extensions: dict[str, Options] = {}
    options = negotiate_deflate(parse_extensions(environ.get("HTTP_SEC_WEBSOCKET_EXTENSIONS")))
    if options is not None:
        extensions[DEFLATE] = options
    answer = format_extensions(extensions)
    if answer is not None:
        lines.append(b"Sec-WebSocket-Extensions: " + answer)
    return HybiHandshake(version, protocol, extensions, b"\r\n".join(lines) + b"\r\n\r\n")
