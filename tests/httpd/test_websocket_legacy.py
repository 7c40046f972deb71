"""The hixie-75/76 websocket drafts in eventlet.websocket, as upstream eventlet speaks them.

On a live server with raw sockets (no library speaks these drafts any more), plus the
``WebSocket`` object over a socket pair.  The hixie-76 challenge uses the draft's own example
(draft-hixie-thewebsocketprotocol-76, section 1.3): keys, 8 bytes, expected digest.
"""

from __future__ import annotations

import logging
import queue
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import eventlet
from eventlet.green.socket import socketpair
from eventlet.httpd.websocket._legacy import legacy_reply, legacy_version
from eventlet.websocket import BadRequest, WebSocket, WebSocketWSGI
from tests.httpd._live import LiveServer, exchange, live, read_all

KEY1 = "18x 6]8vM;54 *(5:  {   U1]8  z [  8"
KEY2 = "1_ tx7X d  <  nw  334J702) 7]o}` 0"
KEY3 = b"Tm[K T2u"
DIGEST = b"fQJ,fN/4F4!~K~MH"
seen: queue.Queue[Any] = queue.Queue()


def handler(ws: Any) -> None:
    if ws.path == "/echo":
        while (message := ws.wait()) is not None:
            ws.send(message)
        seen.put(("echo-end", ws.environ["QUERY_STRING"], ws.websocket_closed))
    elif ws.path == "/range":
        for i in range(3):
            ws.send(f"msg {i}")
    elif ws.path == "/info":
        ws.send(repr((ws.path, ws.origin, ws.protocol, ws.version, ws.environ["QUERY_STRING"])))
    else:
        ws.close()


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with live(WebSocketWSGI(handler, max_frame_length=100)) as running:
        yield running


def request(path: str = "/echo", version: int = 76, *extra: str) -> bytes:
    lines = [
        f"GET {path} HTTP/1.1",
        "Upgrade: WebSocket",
        "Connection: Upgrade",
        "Host: example.com",
        "Origin: http://example.com",
        "WebSocket-Protocol: chat",
    ]
    if version == 76:
        lines += [
            "Sec-WebSocket-Protocol: sample",
            f"Sec-WebSocket-Key1: {KEY1}",
            f"Sec-WebSocket-Key2: {KEY2}",
        ]
    lines.extend(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (KEY3 if version == 76 else b"")


def answer(path: str, version: int = 76, scheme: str = "ws") -> bytes:
    if version == 75:
        return (
            "HTTP/1.1 101 Web Socket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
            f"WebSocket-Origin: http://example.com\r\nWebSocket-Location: {scheme}://example.com{path}\r\n\r\n"
        ).encode()
    return (
        "HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Origin: http://example.com\r\nSec-WebSocket-Protocol: sample\r\n"
        f"Sec-WebSocket-Location: {scheme}://example.com{path}\r\n\r\n"
    ).encode() + DIGEST


def opened(server: LiveServer, raw: bytes, expected: bytes) -> socket.socket:
    """A connection whose handshake was answered with ``expected`` (checked)."""
    sock = server.connect()
    sock.sendall(raw)
    receive(sock, expected)
    return sock


def receive(sock: socket.socket, expected: bytes) -> None:
    """Exactly ``expected``, however it is split."""
    data = b""
    while len(data) < len(expected):
        chunk = sock.recv(len(expected) - len(data))
        assert chunk, data
        data += chunk
    assert data == expected


def expect(tag: str) -> tuple[Any, ...]:
    """What the handler of the connection tagged ``tag`` reported (others' reports skipped)."""
    while True:
        item = seen.get(timeout=5)
        if item[1] == tag:
            return tuple(item)


@pytest.mark.parametrize("version", [75, 76])
@pytest.mark.parametrize("path", ["/echo", "/echo?q=1", "/echo?"])
def test_handshake_answers(server: LiveServer, version: int, path: str) -> None:
    with opened(server, request(path, version), answer(path, version)) as sock:
        sock.sendall(b"\x00hello\xff")
        receive(sock, b"\x00hello\xff")


def test_messages_split_joined_and_not_utf8(server: LiveServer) -> None:
    with opened(server, request("/echo?split"), answer("/echo?split")) as sock:
        sock.sendall(b"\x00sta")
        sock.sendall(b"rt end\xff\x00two\xff\x00bad \xc3\x28\xff")
        receive(sock, b"\x00start end\xff\x00two\xff\x00bad \xef\xbf\xbd(\xff")
        sock.sendall(b"\xff")  # the closing frame, in two pieces
        sock.sendall(b"\x00")
        assert expect("split") == ("echo-end", "split", True)


def test_key3_arriving_late(server: LiveServer) -> None:
    raw = request("/echo")
    with server.connect() as sock:
        sock.sendall(raw[:-8])
        sock.sendall(raw[-8:-3])
        sock.sendall(raw[-3:] + b"\x00early\xff")
        receive(sock, answer("/echo") + b"\x00early\xff")


def test_client_gone_before_key3(server: LiveServer) -> None:
    with server.connect() as sock:
        sock.sendall(request("/echo")[:-4])
        sock.shutdown(socket.SHUT_WR)
        assert read_all(sock) == b""


def test_server_close_and_hixie75_without_closing_frame(server: LiveServer) -> None:
    with opened(server, request("/"), answer("/")) as sock:
        assert read_all(sock) == b"\xff\x00"
    with opened(server, request("/range", 75) + b"\x00ignored\xff", answer("/range", 75)) as sock:
        assert read_all(sock) == b"\x00msg 0\xff\x00msg 1\xff\x00msg 2\xff"


def test_attributes(server: LiveServer) -> None:
    expected = repr(("/info", "http://example.com", "chat", 76, "x=1")).encode()
    with opened(server, request("/info?x=1"), answer("/info?x=1")) as sock:
        receive(sock, b"\x00" + expected + b"\xff")


def test_message_over_the_limit_closes(server: LiveServer) -> None:
    with opened(server, request("/echo?big"), answer("/echo?big")) as sock:
        sock.sendall(b"\x00" + b"x" * 100 + b"\xff")
        receive(sock, b"\x00" + b"x" * 100 + b"\xff")
        sock.sendall(b"\x00" + b"y" * 101)
        assert read_all(sock) == b"\xff\x00"


def test_message_over_the_limit_in_one_piece(server: LiveServer) -> None:
    with opened(server, request("/echo"), answer("/echo")) as sock:
        sock.sendall(b"\x00" + b"y" * 101 + b"\xff")
        assert read_all(sock) == b"\xff\x00"


def test_bad_frame_reaches_the_server_as_an_error(
    server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, "eventlet.httpd.error"):
        for bad in (b"\xef\x00", b"\xff\x01"):
            with opened(server, request("/echo"), answer("/echo")) as sock:
                sock.sendall(bad)
                assert read_all(sock) == b"\xff\x00"
        server.call(eventlet.sleep, 0.01)
    errors = [r.exc_info[1] for r in caplog.records if r.exc_info]
    assert len(errors) == 2
    assert all(isinstance(e, ValueError) for e in errors)


@pytest.mark.parametrize(
    "raw",
    [
        request("/echo").replace(f"Sec-WebSocket-Key2: {KEY2}\r\n".encode(), b""),
        request("/echo").replace(b"Origin: http://example.com\r\n", b""),
        request("/echo").replace(KEY1.encode(), b"12345"),  # no space
        request("/echo").replace(KEY1.encode(), b"no digits at all"),
        request("/echo").replace(KEY1.encode(), b"99999999999 1"),  # beyond 32 bits
    ],
)
def test_bad_legacy_requests(server: LiveServer, raw: bytes) -> None:
    response = exchange(server, raw)[0]
    assert (response.status, response.getheader("Connection"), response.body) == (400, "close", b"")


def test_legacy_off_and_origin_checker() -> None:
    origins: list[Any] = []

    def checker(host: Any, origin: Any) -> bool:
        origins.append((host, origin))
        return False

    off = WebSocketWSGI.configured(handler)
    guarded = WebSocketWSGI.configured(handler, origin_checker=checker, support_legacy_versions=True)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return (off if environ["PATH_INFO"] == "/off" else guarded)(environ, start_response)

    with live(app) as other:
        assert exchange(other, request("/off"))[0].status == 400
        assert exchange(other, request("/echo", 75))[0].status == 403
    assert origins == [("example.com", "http://example.com")]


def test_location_scheme_and_query() -> None:
    environ = {
        "HTTP_ORIGIN": "http://o",
        "HTTP_HOST": "h",
        "SCRIPT_NAME": "/app",
        "PATH_INFO": "/p",
        "wsgi.url_scheme": "https",
    }
    assert legacy_version(environ) == 75
    assert b"WebSocket-Location: wss://h/app/p\r\n" in legacy_reply(environ, 75)
    for query, target, suffix in [("a=b", None, "?a=b"), ("", None, "?"), ("", "/p", ""), ("", "/p?", "?")]:
        env = dict(environ, QUERY_STRING=query)
        if target is not None:
            env["RAW_URI"] = target
        assert f"wss://h/app/p{suffix}\r\n".encode() in legacy_reply(env, 75)


def test_websocket_object_over_a_socket_pair() -> None:
    ours, theirs = socketpair()
    environ = {"HTTP_ORIGIN": "http://o", "HTTP_WEBSOCKET_PROTOCOL": "ws", "PATH_INFO": "/t"}
    ws = WebSocket(ours, environ)
    assert (ws.version, ws.origin, ws.protocol, ws.path, ws.websocket_closed) == (
        76,
        "http://o",
        "ws",
        "/t",
        False,
    )
    assert "WebSocket" in repr(ws)
    ws.send("ünï")
    ws.send(b"raw")
    ws.send(10)
    theirs.sendall(b"\x00one\xff\x00two\xff")
    assert ws.wait() == "one"
    assert ws._buf == b""
    assert len(ws._msgs) == 1
    assert ws.wait() == "two"
    assert theirs.recv(100) == b"\x00\xc3\xbcn\xc3\xaf\xff\x00raw\xff\x0010\xff"
    theirs.sendall(b"\x00partial")
    theirs.shutdown(socket.SHUT_WR)
    assert ws.wait() is None  # the peer went away mid-message
    ws.close()
    ws.close()  # twice: the socket is closed, nothing more is sent
    assert theirs.recv(100) == b"\xff\x00"
    theirs.close()


def test_websocket_object_75_sends_no_closing_frame() -> None:
    ours, theirs = socketpair()
    ws = WebSocket(ours, {}, 75)
    ws._buf = b"\x00x\xff"  # bytes are accepted as the buffer too
    assert ws.wait() == "x"
    ws.close()
    assert theirs.recv(100) == b""
    theirs.close()


def test_closing_frame_to_a_vanished_peer() -> None:
    ours, theirs = socketpair()
    theirs.close()
    ws = WebSocket(ours, {})
    with pytest.raises(ConnectionError):
        ws._send_closing_frame()
    ws._send_closing_frame(True)
    assert ws.websocket_closed
    ws.close()


def test_bad_request_exception() -> None:
    exc = BadRequest("403 Forbidden", b"no", [("X", "y")])
    assert (exc.status, exc.body, exc.headers) == ("403 Forbidden", b"no", [("X", "y")])


def test_hixie76_over_tls_says_wss() -> None:
    """Upstream's TLS test, with a verifying client: the location says wss:// and messages flow."""
    pytest.importorskip("eventlet.ssl", reason="eventlet-ssl is not installed")
    trustme = pytest.importorskip("trustme")
    import ssl

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    with live(WebSocketWSGI(handler), ssl_context=server_context) as other:
        with client_context.wrap_socket(other.connect(), server_hostname="127.0.0.1") as sock:
            sock.sendall(request("/echo"))
            receive(sock, answer("/echo", scheme="wss"))
            sock.sendall(b"\x00hello\xff")
            receive(sock, b"\x00hello\xff")


def test_challenge_cut_short_on_a_foreign_server() -> None:
    ours, theirs = socketpair()
    environ = {
        "HTTP_UPGRADE": "WebSocket",
        "HTTP_CONNECTION": "Upgrade",
        "HTTP_ORIGIN": "http://o",
        "HTTP_SEC_WEBSOCKET_KEY1": KEY1,
        "HTTP_SEC_WEBSOCKET_KEY2": KEY2,
        "PATH_INFO": "/echo",
        "gunicorn.socket": ours,
    }
    theirs.sendall(KEY3[:5])
    theirs.shutdown(socket.SHUT_WR)
    assert list(WebSocketWSGI(handler)(environ, lambda *a: None)) == []
    assert theirs.recv(100) == b""  # no answer, and the connection is closed
    theirs.close()
