"""Websockets on a live eventlet.httpd server, driven by the `websockets` library's sync client."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

pytest.importorskip("websockets")

from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.frames import Close as TheirClose
from websockets.sync.client import connect
from websockets.typing import Origin

import eventlet
from eventlet.httpd import WebSocket, WebSocketWSGI
from eventlet.httpd.websocket._protocol import DeflateConfig
from eventlet.websocket import WebSocketWSGI as CompatWSGI
from tests.httpd._live import LiveServer, exchange, live, read_all

StartResponse = Callable[..., Any]
UPGRADE = (
    b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
)


def echo(ws: WebSocket) -> None:
    for message in ws:
        if message == "close-me":
            ws.close((4000, "bye"))
            continue
        if message == "boom":
            raise RuntimeError("handler failed")
        if message == "ping-me":
            ws.ping(b"hi")
            continue
        ws.send(message)


def router(ws_app: Any) -> Callable[..., Any]:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Any:
        if environ["PATH_INFO"] == "/ws":
            return ws_app(environ, start_response)
        start_response("200 OK", [])
        return [b"plain"]

    return app


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    ws_app = WebSocketWSGI(echo, supported_protocols=["chat", "json"], max_frame_length=1 << 16)
    with live(router(ws_app)) as running:
        yield running


def _url(server: LiveServer, path: str = "/ws") -> str:
    return f"ws://127.0.0.1:{server.port}{path}"


def _text(message: str | bytes) -> str:
    """A message received in a text frame."""
    assert isinstance(message, str)
    return message


def test_text_binary_and_keepalive_http_alongside(server: LiveServer) -> None:
    with connect(_url(server), compression=None) as ws:
        ws.send("hello")
        assert ws.recv(timeout=5) == "hello"
        ws.send(b"\x00\x01")
        assert ws.recv(timeout=5) == b"\x00\x01"
        ws.send("ünïcödé ☃")
        assert ws.recv(timeout=5) == "ünïcödé ☃"
    assert exchange(server, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")[0].body == b"plain"


def test_permessage_deflate_negotiated(server: LiveServer) -> None:
    with connect(_url(server)) as ws:
        assert ws.response is not None
        assert "permessage-deflate" in ws.response.headers.get("Sec-WebSocket-Extensions", "")
        big = "compress me " * 5000
        for _ in range(3):
            ws.send(big)
            assert ws.recv(timeout=5) == big


def test_subprotocol_choice(server: LiveServer) -> None:
    with connect(_url(server), subprotocols=["other", "json"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == "json"


def test_fragmented_message_reassembled(server: LiveServer) -> None:
    with connect(_url(server), compression=None) as ws:
        ws.send(iter(["frag", "mented", " text"]))
        assert ws.recv(timeout=5) == "fragmented text"


def test_ping_pong_both_ways(server: LiveServer) -> None:
    with connect(_url(server)) as ws:
        assert ws.ping(b"client").wait(5)
        ws.send("ping-me")  # the server pings; the client library answers by itself
        ws.send("after")
        assert ws.recv(timeout=5) == "after"


def test_message_too_big_closes_1009(server: LiveServer) -> None:
    with connect(_url(server), compression=None) as ws:
        ws.send(b"x" * (1 << 17))
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=5)
    assert info.value.rcvd is not None
    assert info.value.rcvd.code == 1009


def test_client_close_code_reaches_server() -> None:
    seen: list[Any] = []

    def handler(ws: WebSocket) -> None:
        seen.append(ws.wait())
        seen.append((ws.closed, ws.close_code, ws.close_reason))

    with live(router(WebSocketWSGI(handler))) as server:
        with connect(_url(server)) as ws:
            ws.close(1001, "going")
    assert seen == [None, (True, 1001, "going")]


def test_server_close_code_and_handler_failure(server: LiveServer, caplog: pytest.LogCaptureFixture) -> None:
    with connect(_url(server)) as ws:
        ws.send("close-me")
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=5)
    assert info.value.rcvd == TheirClose(4000, "bye")
    with caplog.at_level(logging.ERROR, "eventlet.websocket"), connect(_url(server)) as ws:
        ws.send("boom")
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=5)
    assert info.value.rcvd is not None
    assert info.value.rcvd.code == 1011
    assert any("failed" in r.getMessage() for r in caplog.records)


def test_handler_returning_closes_normally() -> None:
    def handler(ws: WebSocket) -> None:
        ws.send("only one")

    with live(router(WebSocketWSGI(handler, deflate=False))) as server:
        with connect(_url(server)) as ws:
            assert ws.recv(timeout=5) == "only one"
            with pytest.raises(ConnectionClosed) as info:
                ws.recv(timeout=5)
    assert info.value.rcvd is not None
    assert info.value.rcvd.code == 1000


def test_origin_checker_and_bad_upgrades(server: LiveServer) -> None:
    checked = WebSocketWSGI(echo, origin_checker=lambda origin: origin == "http://good")
    with live(router(checked)) as other:
        with pytest.raises(InvalidStatus) as info:
            connect(_url(other), origin=Origin("http://evil"))
        assert info.value.response.status_code == 403
        with connect(_url(other), origin=Origin("http://good")) as ws:
            ws.send("ok")
            assert ws.recv(timeout=5) == "ok"
    plain = exchange(server, b"GET /ws HTTP/1.1\r\nHost: x\r\n\r\n")[0]
    assert plain.status == 400
    version = exchange(server, UPGRADE.replace(b"13", b"8") + b"\r\n")[0]
    assert version.status == 426
    assert version.getheader("Sec-WebSocket-Version") == "13"
    with_body = exchange(server, UPGRADE + b"Content-Length: 3\r\n\r\nab")[0]
    assert with_body.status == 400  # an upgrade whose body has not arrived is refused


def test_frames_sent_right_after_the_head_are_not_lost(server: LiveServer) -> None:
    with server.connect() as sock:
        frame = b"\x81\x85abcd" + bytes(b ^ k for b, k in zip(b"early", b"abcda", strict=True))
        sock.sendall(UPGRADE + b"\r\n" + frame)
        data = b""
        while b"early" not in data:
            chunk = sock.recv(4096)
            assert chunk
            data += chunk
    assert data.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")


def test_protocol_error_from_client_fails_connection(server: LiveServer) -> None:
    with server.connect() as sock:
        sock.sendall(UPGRADE + b"\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 101")
        sock.sendall(b"\x81\x05hello")  # unmasked client frame: protocol error 1002
        data = read_all(sock)
    assert data[:2] == b"\x88\x02" or data.startswith(b"\x88")
    assert data[2:4] == (1002).to_bytes(2, "big")


def test_peer_vanishing_ends_wait() -> None:
    results: list[Any] = []

    def handler(ws: WebSocket) -> None:
        results.append(ws.wait())

    with live(router(WebSocketWSGI(handler))) as server:
        with server.connect() as sock:
            sock.sendall(UPGRADE + b"\r\n")
            assert sock.recv(4096).startswith(b"HTTP/1.1 101")
        server.call(eventlet.sleep, 0.05)
    assert results == [None]


def test_concurrent_senders_and_waiter() -> None:
    def handler(ws: WebSocket) -> None:
        def sender(tag: str) -> None:
            for i in range(20):
                ws.send(f"{tag}{i}")

        threads = [eventlet.spawn(sender, tag) for tag in "ab"]
        for thread in threads:
            thread.wait()
        assert ws.wait() == "done"

    with live(router(WebSocketWSGI(handler, deflate=DeflateConfig()))) as server:
        with connect(_url(server)) as ws:
            got = [_text(ws.recv(timeout=5)) for _ in range(40)]
            ws.send("done")
    assert sorted(got) == sorted(f"{t}{i}" for t in "ab" for i in range(20))
    assert [m for m in got if m.startswith("a")] == [f"a{i}" for i in range(20)]


def test_engineio_style_subclass_uses_get_socket() -> None:
    """python-engineio subclasses WebSocketWSGI and calls eventlet.input.get_socket() first."""

    class EngineIOStyle(CompatWSGI):
        def __init__(self, handler: Any, server: Any) -> None:
            super().__init__(handler, max_frame_length=int(server.max_http_buffer_size))
            self._sock = None

        def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Any:
            if "eventlet.input" not in environ:  # pragma: no cover - engineio's own check
                raise RuntimeError("You need to use the eventlet server.")
            self._sock = environ["eventlet.input"].get_socket()
            return super().__call__(environ, start_response)

    class FakeEngineServer:
        max_http_buffer_size = 1_000_000

    def handler(ws: Any) -> None:
        while True:
            message = ws.wait()
            if message is None:
                break
            ws.send(message.upper() if isinstance(message, str) else message)
        ws.close()

    def app(environ: dict[str, Any], start_response: StartResponse) -> Any:
        return EngineIOStyle(handler, FakeEngineServer())(environ, start_response)

    with live(app) as server, connect(f"ws://127.0.0.1:{server.port}/socket.io/") as ws:
        ws.send("2probe")
        assert ws.recv(timeout=5) == "2PROBE"


def test_foreign_environ_without_eventlet_input() -> None:
    calls = []

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        calls.append(status)

    environ = {
        "REQUEST_METHOD": "GET",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_UPGRADE": "websocket",
        "HTTP_CONNECTION": "Upgrade",
        "HTTP_SEC_WEBSOCKET_KEY": "dGhlIHNhbXBsZSBub25jZQ==",
        "HTTP_SEC_WEBSOCKET_VERSION": "13",
    }
    body = WebSocketWSGI(echo)(environ, start_response)
    assert calls == ["500 Internal Server Error"]
    assert body


def test_foreign_input_with_get_socket() -> None:
    a, b = socket.socketpair()

    class ForeignInput:
        def get_socket(self) -> socket.socket:
            return a

    got: list[Any] = []

    def handler(ws: WebSocket) -> None:
        got.append(repr(ws))
        ws.send("hi")

    environ = {
        "REQUEST_METHOD": "GET",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_UPGRADE": "websocket",
        "HTTP_CONNECTION": "Upgrade",
        "HTTP_SEC_WEBSOCKET_KEY": "dGhlIHNhbXBsZSBub25jZQ==",
        "HTTP_SEC_WEBSOCKET_VERSION": "13",
        "eventlet.input": ForeignInput(),
        "PATH_INFO": "/f",
    }
    b.close()  # the peer is gone: the handshake write fails quietly
    WebSocketWSGI(handler)(environ, lambda *a: None)
    assert got == []
    a.close()
