"""Interoperability with an independent implementation: the `websockets` sans-IO protocol.

Our client talks to their ServerProtocol and their ClientProtocol talks to our
server, through the opening handshake, messages both ways (fragmented,
compressed with permessage-deflate), pings and the closing handshake.
"""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("websockets")

from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)
from websockets.frames import Frame
from websockets.frames import Opcode as TheirOpcode
from websockets.protocol import Protocol, State
from websockets.server import ServerProtocol
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

from eventlet.httpd.websocket._protocol import (
    ClientHandshake,
    Close,
    DeflateConfig,
    Message,
    Ping,
    Pong,
    WebSocketConnection,
    WebSocketProtocolError,
    server_handshake,
)

MESSAGES: list[str | bytes] = [
    "hello",
    b"\x00\x01binary",
    "",
    "ünïcödé ☃ " * 50,
    bytes(range(256)) * 300,
    "repeat me " * 1000,
    "repeat me " * 1000,
]

# (our DeflateConfig, their factory keyword arguments); None: no compression.
CONFIGS: list[tuple[DeflateConfig | None, dict[str, Any] | None]] = [
    (None, None),
    (DeflateConfig(), {}),
    (
        DeflateConfig(server_no_context_takeover=True, client_no_context_takeover=True),
        {"server_no_context_takeover": True, "client_no_context_takeover": True},
    ),
    (
        DeflateConfig(server_max_window_bits=10, client_max_window_bits=11),
        {"server_max_window_bits": 10, "client_max_window_bits": 11},
    ),
]


def split_head(raw: bytes) -> tuple[str, list[tuple[str, str]]]:
    head, _, rest = raw.partition(b"\r\n\r\n")
    assert rest == b""
    first, *lines = head.decode("latin-1").split("\r\n")
    headers = [(name, value.strip()) for name, _, value in (h.partition(":") for h in lines)]
    return first, headers


def their_messages(their: Protocol) -> list[object]:
    """Reassemble the frames `websockets` reports into our event types."""
    out: list[object] = []
    parts: list[bytes] = []
    opcode = None
    for event in their.events_received():
        assert isinstance(event, Frame)
        if event.opcode is TheirOpcode.PING:
            out.append(Ping(bytes(event.data)))
        elif event.opcode is TheirOpcode.PONG:
            out.append(Pong(bytes(event.data)))
        elif event.opcode is TheirOpcode.CLOSE:
            code = their.close_rcvd.code if their.close_rcvd else 1005
            out.append(Close(code, their.close_rcvd.reason if their.close_rcvd else ""))
        else:
            opcode = opcode or event.opcode
            parts.append(bytes(event.data))
            if event.fin:
                data = b"".join(parts)
                out.append(Message(data.decode() if opcode is TheirOpcode.TEXT else data))
                parts, opcode = [], None
    return out


def send_theirs(their: Protocol, message: str | bytes, fragments: int) -> bytes:
    data = message.encode() if isinstance(message, str) else message
    step = max(1, -(-len(data) // fragments))
    chunks = [data[i : i + step] for i in range(0, len(data), step)] or [b""]
    first = their.send_text if isinstance(message, str) else their.send_binary
    first(chunks[0], fin=len(chunks) == 1)
    for i, chunk in enumerate(chunks[1:], 2):
        their.send_continuation(chunk, fin=i == len(chunks))
    return b"".join(their.data_to_send())


def exchange(ours: WebSocketConnection, their: Protocol) -> None:
    for fragments in (1, 3):
        for message in MESSAGES:
            their.receive_data(ours.send(message))
            assert their_messages(their) == [Message(message)]
            assert ours.receive_data(send_theirs(their, message, fragments)) == [Message(message)]
    # Pings both ways are answered automatically.
    ours.receive_data(b"")
    their.send_ping(b"theirs")
    assert ours.receive_data(b"".join(their.data_to_send())) == [Ping(b"theirs")]
    their.receive_data(ours.data_to_send() + ours.send_ping(b"ours"))
    assert their_messages(their) == [Pong(b"theirs"), Ping(b"ours")]
    assert ours.receive_data(b"".join(their.data_to_send())) == [Pong(b"ours")]
    # We close; they answer; both sides end closed.
    their.receive_data(ours.send_close(4000, "see you"))
    assert their_messages(their) == [Close(4000, "see you")]
    assert ours.receive_data(b"".join(their.data_to_send())) == [Close(4000, "see you")]
    assert ours.closed
    assert their.state is State.CLOSING


@pytest.mark.parametrize(("ours_config", "their_kwargs"), CONFIGS)
@pytest.mark.parametrize("fragment_size", [None, 1000])
def test_our_client_their_server(
    ours_config: DeflateConfig | None, their_kwargs: dict[str, Any] | None, fragment_size: int | None
) -> None:
    handshake = ClientHandshake(["chat", "superchat"], ours_config)
    lines = ["GET /ws HTTP/1.1", "Host: localhost"] + [f"{k}: {v}" for k, v in handshake.headers]
    extensions = None if their_kwargs is None else [ServerPerMessageDeflateFactory(**their_kwargs)]
    their = ServerProtocol(
        extensions=extensions,
        subprotocols=[Subprotocol("superchat")],
        max_size=None,
    )
    their.receive_data(("\r\n".join(lines) + "\r\n\r\n").encode())
    [request] = their.events_received()
    their.send_response(their.accept(request))  # type: ignore[arg-type]
    status_line, headers = split_head(b"".join(their.data_to_send()))
    assert status_line.startswith("HTTP/1.1 101 ")
    subprotocol, params = handshake.check_response(101, headers)
    assert subprotocol == "superchat"
    assert (params is None) == (ours_config is None)
    ours = WebSocketConnection(False, deflate=params, fragment_size=fragment_size)
    exchange(ours, their)


@pytest.mark.parametrize(("ours_config", "their_kwargs"), CONFIGS)
@pytest.mark.parametrize("fragment_size", [None, 1000])
def test_their_client_our_server(
    ours_config: DeflateConfig | None, their_kwargs: dict[str, Any] | None, fragment_size: int | None
) -> None:
    extensions = None if their_kwargs is None else [ClientPerMessageDeflateFactory(**their_kwargs)]
    their = ClientProtocol(
        parse_uri("ws://localhost/ws"),
        extensions=extensions,
        subprotocols=[Subprotocol("chat"), Subprotocol("superchat")],
        max_size=None,
    )
    their.send_request(their.connect())
    request_line, headers = split_head(b"".join(their.data_to_send()))
    method, _, protocol = request_line.split(" ")
    environ = {"REQUEST_METHOD": method, "SERVER_PROTOCOL": protocol}
    for name, value in headers:
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    result = server_handshake(environ, ["superchat"], ours_config)
    assert (result.deflate is None) == (ours_config is None)
    lines = ["HTTP/1.1 101 Switching Protocols"] + [f"{k}: {v}" for k, v in result.headers]
    their.receive_data(("\r\n".join(lines) + "\r\n\r\n").encode())
    assert their.handshake_exc is None
    assert their.state is State.OPEN
    assert their.subprotocol == "superchat"
    their.events_received()
    ours = WebSocketConnection(True, deflate=result.deflate, fragment_size=fragment_size)
    exchange(ours, their)


def test_our_failure_close_reaches_them() -> None:
    their = ClientProtocol(parse_uri("ws://localhost/"), state=State.OPEN, max_size=None)
    ours = WebSocketConnection(True, max_message_size=10)
    their.send_binary(b"x" * 11)
    with pytest.raises(WebSocketProtocolError) as info:
        ours.receive_data(b"".join(their.data_to_send()))
    assert info.value.code == 1009
    their.receive_data(ours.data_to_send())
    assert their_messages(their) == [
        Close(1009, "Incoming frame of 11 bytes is above length limit of 10 bytes.")
    ]
    assert their.close_rcvd is not None
    assert their.close_rcvd.code == 1009


def test_their_close_is_echoed() -> None:
    their = ClientProtocol(parse_uri("ws://localhost/"), state=State.OPEN, max_size=None)
    ours = WebSocketConnection(True)
    their.send_close(1001, "going away")
    assert ours.receive_data(b"".join(their.data_to_send())) == [Close(1001, "going away")]
    their.receive_data(ours.data_to_send())
    assert their_messages(their) == [Close(1001, "")]
    assert their.close_rcvd is not None
    assert their.close_rcvd.code == 1001
    assert ours.closed
