"""Opening handshake (RFC 6455 section 4) and permessage-deflate negotiation (RFC 7692)."""

from __future__ import annotations

from typing import Any

import pytest

from eventlet.httpd.websocket._deflate import parse_extension_header
from eventlet.httpd.websocket._protocol import (
    ClientHandshake,
    DeflateConfig,
    DeflateParams,
    HandshakeError,
    accept_key,
    server_handshake,
)

RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ=="
RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  # RFC 6455 section 1.3


def environ(**overrides: Any) -> dict[str, Any]:
    env: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "server.example.com",
        "HTTP_UPGRADE": "websocket",
        "HTTP_CONNECTION": "Upgrade",
        "HTTP_SEC_WEBSOCKET_KEY": RFC_KEY,
        "HTTP_SEC_WEBSOCKET_VERSION": "13",
    }
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def test_accept_key_rfc_example() -> None:
    assert accept_key(RFC_KEY) == RFC_ACCEPT


def test_valid_handshake() -> None:
    result = server_handshake(environ())
    assert result.headers == [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", RFC_ACCEPT),
    ]
    assert result.subprotocol is None
    assert result.deflate is None


def test_token_lists_and_case() -> None:
    env = environ(
        HTTP_UPGRADE="foo/2, WebSocket",
        HTTP_CONNECTION="keep-alive, UPGRADE",
        SERVER_PROTOCOL="HTTP/1.2",
    )
    assert server_handshake(env).headers[2] == ("Sec-WebSocket-Accept", RFC_ACCEPT)


@pytest.mark.parametrize(
    "overrides",
    [
        {"REQUEST_METHOD": "POST"},
        {"SERVER_PROTOCOL": "HTTP/1.0"},
        {"SERVER_PROTOCOL": "HTTP/x"},
        {"SERVER_PROTOCOL": None},
        {"HTTP_UPGRADE": None},
        {"HTTP_UPGRADE": "h2c"},
        {"HTTP_CONNECTION": None},
        {"HTTP_CONNECTION": "keep-alive"},
        {"HTTP_SEC_WEBSOCKET_KEY": None},
        {"HTTP_SEC_WEBSOCKET_KEY": "not base64!"},
        {"HTTP_SEC_WEBSOCKET_KEY": "c2hvcnQ="},  # 5 bytes
        {"HTTP_SEC_WEBSOCKET_KEY": "AAAAAAAAAAAAAAAAAAAAAAAA"},  # 18 bytes
        {"HTTP_SEC_WEBSOCKET_KEY": "dGhlIHNhbXBsZSBub25jZQé="},
    ],
)
def test_bad_request(overrides: dict[str, Any]) -> None:
    with pytest.raises(HandshakeError) as info:
        server_handshake(environ(**overrides))
    assert info.value.status == 400
    assert info.value.headers == []
    assert str(info.value) == info.value.message


@pytest.mark.parametrize("version", [None, "8", "12", "13, 8", "fourteen"])
def test_unsupported_version(version: str | None) -> None:
    with pytest.raises(HandshakeError) as info:
        server_handshake(environ(HTTP_SEC_WEBSOCKET_VERSION=version))
    assert info.value.status == 426
    assert info.value.headers == [("Sec-WebSocket-Version", "13")]


@pytest.mark.parametrize(
    ("offered", "supported", "chosen"),
    [
        ("chat, superchat", ["superchat", "chat"], "chat"),  # the client's preference wins
        ("a,  superchat ", ["superchat"], "superchat"),
        ("a, b", ["c"], None),
        ("a", [], None),
        (None, ["a"], None),
    ],
)
def test_subprotocol(offered: str | None, supported: list[str], chosen: str | None) -> None:
    result = server_handshake(environ(HTTP_SEC_WEBSOCKET_PROTOCOL=offered), supported)
    assert result.subprotocol == chosen
    assert (("Sec-WebSocket-Protocol", chosen) in result.headers) == (chosen is not None)
    assert len(result.headers) == 3 + (chosen is not None)


PD = "permessage-deflate"


@pytest.mark.parametrize(
    ("offer", "config", "response", "params"),
    [
        (PD, DeflateConfig(), PD, DeflateParams()),
        (f"{PD}; client_max_window_bits", DeflateConfig(), PD, DeflateParams()),
        (
            f"{PD}; client_max_window_bits",
            DeflateConfig(client_max_window_bits=10),
            f"{PD}; client_max_window_bits=10",
            DeflateParams(client_max_window_bits=10),
        ),
        (
            f"{PD}; client_max_window_bits=12",
            DeflateConfig(),
            f"{PD}; client_max_window_bits=12",
            DeflateParams(client_max_window_bits=12),
        ),
        (
            f'{PD}; client_max_window_bits="11"',
            DeflateConfig(client_max_window_bits=9),
            f"{PD}; client_max_window_bits=9",
            DeflateParams(client_max_window_bits=9),
        ),
        # The client can't be restricted when it didn't offer the parameter.
        (PD, DeflateConfig(client_max_window_bits=10), PD, DeflateParams()),
        (
            f"{PD}; server_max_window_bits=10",
            DeflateConfig(),
            f"{PD}; server_max_window_bits=10",
            DeflateParams(server_max_window_bits=10),
        ),
        (
            f"{PD}; server_max_window_bits=12",
            DeflateConfig(server_max_window_bits=9),
            f"{PD}; server_max_window_bits=9",
            DeflateParams(server_max_window_bits=9),
        ),
        (
            PD,
            DeflateConfig(server_max_window_bits=11),
            f"{PD}; server_max_window_bits=11",
            DeflateParams(server_max_window_bits=11),
        ),
        (
            f"{PD}; Server_No_Context_Takeover; client_no_context_takeover",
            DeflateConfig(),
            f"{PD}; server_no_context_takeover; client_no_context_takeover",
            DeflateParams(True, True),
        ),
        (
            PD,
            DeflateConfig(server_no_context_takeover=True, client_no_context_takeover=True),
            f"{PD}; server_no_context_takeover; client_no_context_takeover",
            DeflateParams(True, True),
        ),
        (
            PD,
            DeflateConfig(compress_level=1, min_compress_size=10),
            PD,
            DeflateParams(compress_level=1, min_compress_size=10),
        ),
        # Invalid offers are skipped; a later valid one is accepted.
        (f"x-webkit-deflate-frame, {PD}; foo, {PD}", DeflateConfig(), PD, DeflateParams()),
        (f"{PD}; server_max_window_bits=8, {PD}", DeflateConfig(), PD, DeflateParams()),
        (f"{PD}; server_max_window_bits=8", DeflateConfig(), None, None),
        (f"{PD}; server_max_window_bits", DeflateConfig(), None, None),
        (f"{PD}; server_max_window_bits=16", DeflateConfig(), None, None),
        (f"{PD}; server_max_window_bits=09", DeflateConfig(), None, None),
        (f"{PD}; client_max_window_bits=7", DeflateConfig(), None, None),
        (f"{PD}; client_max_window_bits=abc", DeflateConfig(), None, None),
        (f"{PD}; server_no_context_takeover=1", DeflateConfig(), None, None),
        (f"{PD}; client_no_context_takeover; client_no_context_takeover", DeflateConfig(), None, None),
        (f"{PD}; unknown_param", DeflateConfig(), None, None),
        (f"{PD}; =", DeflateConfig(), None, None),  # malformed header: no compression
        ("x-unknown", DeflateConfig(), None, None),
        (None, DeflateConfig(), None, None),
        (PD, None, None, None),
    ],
)
def test_deflate_negotiation(
    offer: str | None,
    config: DeflateConfig | None,
    response: str | None,
    params: DeflateParams | None,
) -> None:
    result = server_handshake(environ(HTTP_SEC_WEBSOCKET_EXTENSIONS=offer), deflate=config)
    assert result.deflate == params
    extensions = [v for k, v in result.headers if k == "Sec-WebSocket-Extensions"]
    assert extensions == ([] if response is None else [response])


def test_deflate_config_validation() -> None:
    for bits in (8, 16):
        with pytest.raises(ValueError, match=r"within 9\.\.15"):
            DeflateConfig(server_max_window_bits=bits)
        with pytest.raises(ValueError, match=r"within 9\.\.15"):
            DeflateConfig(client_max_window_bits=bits)


@pytest.mark.parametrize(
    ("header", "parsed"),
    [
        ("", []),
        (" , ,", []),
        ("a", [("a", [])]),
        ("A ; B = 1 ;c,d", [("a", [("b", "1"), ("c", None)]), ("d", [])]),
        ('a; b="x\\"y"; c="10"', [("a", [("b", 'x"y'), ("c", "10")])]),
        ("a;b=1,  ,a", [("a", [("b", "1")]), ("a", [])]),
    ],
)
def test_parse_extension_header(header: str, parsed: list[Any]) -> None:
    assert parse_extension_header(header) == parsed


@pytest.mark.parametrize("header", ["=a", "a;", "a; b=", 'a; b="unterminated', "a b", "a;b=1 c"])
def test_parse_extension_header_errors(header: str) -> None:
    with pytest.raises(ValueError, match=r"^expected "):
        parse_extension_header(header)


def answer(client: ClientHandshake, **kwargs: Any) -> list[tuple[str, str]]:
    """Run the client's request through server_handshake; return the 101 headers."""
    env = environ(HTTP_SEC_WEBSOCKET_KEY=None)
    for name, value in client.headers:
        env["HTTP_" + name.upper().replace("-", "_")] = value
    return server_handshake(env, **kwargs).headers


def test_client_handshake_request_headers() -> None:
    client = ClientHandshake(["chat", "v2"], DeflateConfig(), key=RFC_KEY)
    assert client.headers == [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", RFC_KEY),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Protocol", "chat, v2"),
        ("Sec-WebSocket-Extensions", f"{PD}; client_max_window_bits"),
    ]
    random_keys = {ClientHandshake().key for _ in range(3)}
    assert len(random_keys) == 3


@pytest.mark.parametrize(
    ("client_config", "server_config", "expected"),
    [
        (None, DeflateConfig(), None),
        (DeflateConfig(), None, None),
        (DeflateConfig(), DeflateConfig(), DeflateParams()),
        (
            DeflateConfig(True, True, 10, 11),
            DeflateConfig(),
            DeflateParams(True, True, 10, 11),
        ),
        (
            DeflateConfig(server_max_window_bits=12),
            DeflateConfig(server_max_window_bits=9, client_max_window_bits=9),
            DeflateParams(False, False, 9, 9),
        ),
        (
            DeflateConfig(),
            DeflateConfig(client_no_context_takeover=True),
            DeflateParams(client_no_context_takeover=True),
        ),
    ],
)
def test_client_and_server_agree(
    client_config: DeflateConfig | None,
    server_config: DeflateConfig | None,
    expected: DeflateParams | None,
) -> None:
    client = ClientHandshake(["chat"], client_config)
    headers = answer(client, subprotocols=["chat"], deflate=server_config)
    assert client.check_response(101, headers) == ("chat", expected)
    result = server_handshake(
        {
            **environ(),
            **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in client.headers},
        },
        deflate=server_config,
    )
    assert result.deflate == expected


def good_response(key: str, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    return [
        ("upgrade", "WebSocket"),
        ("CONNECTION", "upgrade"),
        ("Sec-WebSocket-Accept", accept_key(key)),
        *extra,
    ]


def test_repeated_response_headers_are_merged() -> None:
    client = ClientHandshake(deflate=DeflateConfig())
    headers = good_response(client.key, ("Sec-WebSocket-Extensions", PD), ("Connection", "x"))
    assert client.check_response(101, headers) == (None, DeflateParams())
    headers = good_response(client.key, *[("Sec-WebSocket-Extensions", PD)] * 2)
    with pytest.raises(HandshakeError):
        client.check_response(101, headers)


@pytest.mark.parametrize(
    ("status", "drop", "extra", "config"),
    [
        (200, None, [], None),
        (101, "upgrade", [], None),
        (101, "CONNECTION", [], None),
        (101, "Sec-WebSocket-Accept", [], None),
        (101, None, [("Sec-WebSocket-Protocol", "other")], None),
        (101, None, [("Sec-WebSocket-Extensions", PD)], None),
        (101, None, [("Sec-WebSocket-Extensions", "x-other")], DeflateConfig()),
        (101, None, [("Sec-WebSocket-Extensions", f"{PD}; =")], DeflateConfig()),
        (101, None, [("Sec-WebSocket-Extensions", f"{PD}; foo")], DeflateConfig()),
        (101, None, [("Sec-WebSocket-Extensions", f"{PD}; client_max_window_bits")], None),
        (
            101,
            None,
            [("Sec-WebSocket-Extensions", f"{PD}; client_max_window_bits")],
            DeflateConfig(),
        ),
        (
            101,
            None,
            [("Sec-WebSocket-Extensions", f"{PD}; client_max_window_bits=8")],
            DeflateConfig(),
        ),
        (
            101,
            None,
            [("Sec-WebSocket-Extensions", f"{PD}; client_max_window_bits=12")],
            DeflateConfig(client_max_window_bits=11),
        ),
        (101, None, [("Sec-WebSocket-Extensions", PD)], DeflateConfig(True)),
        (
            101,
            None,
            [("Sec-WebSocket-Extensions", PD)],
            DeflateConfig(server_max_window_bits=10),
        ),
        (
            101,
            None,
            [("Sec-WebSocket-Extensions", f"{PD}; server_max_window_bits=11")],
            DeflateConfig(server_max_window_bits=10),
        ),
    ],
)
def test_client_rejects_bad_response(
    status: int, drop: str | None, extra: list[tuple[str, str]], config: DeflateConfig | None
) -> None:
    client = ClientHandshake(["chat"], config)
    headers = [h for h in good_response(client.key, *extra) if h[0] != drop]
    with pytest.raises(HandshakeError) as info:
        client.check_response(status, headers)
    assert info.value.status == status


def test_client_accepts_server_restrictions() -> None:
    client = ClientHandshake(deflate=DeflateConfig(client_max_window_bits=12))
    value = f"{PD}; server_max_window_bits=10; client_max_window_bits=12"
    headers = good_response(client.key, ("Sec-WebSocket-Extensions", value))
    params = DeflateParams(server_max_window_bits=10, client_max_window_bits=12)
    assert client.check_response(101, headers) == (None, params)
