"""eventlet.websocket.WebSocketWSGI (upstream eventlet's API) over RFC 6455, on a live server.

The handshake bytes, refusals, negotiation, messages and closing are checked on the wire with
a raw client (tests/httpd/_ws_client.py) and with the `websockets` and `websocket-client`
libraries as real clients.
"""

from __future__ import annotations

import errno
import json
import logging
import queue
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

pytest.importorskip("websockets")

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

import eventlet
from eventlet import websocket
from eventlet.httpd.websocket._events import Close
from eventlet.httpd.websocket._protocol import DeflateParams, Opcode
from eventlet.websocket import RFC6455WebSocket, WebSocketWSGI
from tests.httpd._live import LiveServer, exchange, live, read_all
from tests.httpd._ws_client import ACCEPT, RawClient, upgrade_request

StartResponse = Callable[..., Any]
seen: queue.Queue[Any] = queue.Queue()


def report(ws: Any, *what: Any) -> None:
    """Tell the test thread what happened; tagged with the query string the test chose."""
    seen.put((ws.environ.get("QUERY_STRING", ""), *what))


def expect(tag: str) -> tuple[Any, ...]:
    """What the handler of the connection tagged ``tag`` reported (others' reports skipped)."""
    while True:
        item = seen.get(timeout=5)
        if item[0] == tag:
            return tuple(item[1:])


def handler(ws: Any) -> None:
    path = ws.path
    if path == "/echo":
        while True:
            message = ws.wait()
            if message is None:
                report(ws, "echo-end", ws._remote_close_data)
                return
            ws.send(message)
    elif path == "/range":
        for i in range(3):
            ws.send(f"msg {i}")
    elif path == "/close":
        ws.close((4000, "bye"))
        ws.close()  # twice: nothing more happens
        try:
            ws.send("late")
        except OSError as exc:
            report(ws, "send-after-close", exc.errno)
    elif path == "/boom":
        raise RuntimeError("handler failed")
    elif path == "/gone":
        raise OSError(errno.EPIPE, "the client went away")
    elif path == "/oserror":
        raise OSError(errno.ENOTSOCK, "not a client going away")
    elif path == "/info":
        info = [ws.path, ws.origin, ws.protocol, ws.version, ws.environ["QUERY_STRING"]]
        ws.send(json.dumps(info))
    elif path == "/timeout":
        with eventlet.Timeout(0.01, False):
            ws.wait()
        ws.send("still here")
        ws.send(ws.wait())
    elif path == "/socket-timeout":
        ws.socket.settimeout(0.01)
        try:
            ws.wait()
        except OSError as exc:
            report(ws, "socket-timeout", type(exc).__name__, ws.wait())
    elif path == "/senders":

        def sender(tag: str) -> None:
            for i in range(20):
                ws.send(f"{tag}{i}")

        threads = [eventlet.spawn(sender, tag) for tag in "ab"]
        for thread in threads:
            thread.wait()
        report(ws, "senders", ws.wait())
    else:
        ws.close()


app = WebSocketWSGI(handler, max_frame_length=1000)


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with live(app) as running:
        yield running


def _url(server: LiveServer, path: str) -> str:
    return f"ws://127.0.0.1:{server.port}{path}"


def _text(message: str | bytes) -> str:
    """A message received in a text frame."""
    assert isinstance(message, str)
    return message


# -- the handshake -------------------------------------------------------------------------------


@pytest.mark.parametrize("connection", ["Upgrade", "UpGrAdE", "keep-alive, Upgrade"])
def test_upgrade_answer_is_upstreams_byte_for_byte(server: LiveServer, connection: str) -> None:
    request = upgrade_request("/echo").replace(b"Connection: Upgrade", f"Connection: {connection}".encode())
    client = RawClient.open(server, request)
    assert (
        client.head
        == (
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {ACCEPT}\r\n\r\n"
        ).encode()
    )
    client.send("hi")
    assert client.message() == "hi"
    client.close()


@pytest.mark.parametrize(
    ("request_bytes", "status", "extra"),
    [
        (b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n", 400, None),
        (upgrade_request("/echo").replace(b"Connection: Upgrade\r\n", b""), 400, None),
        (upgrade_request("/echo").replace(b"Upgrade: websocket\r\n", b""), 400, None),
        (
            upgrade_request("/echo").replace(b"Sec-WebSocket-Key: d9MXuOzlVQ0h+qRllvSCIg==\r\n", b""),
            400,
            None,
        ),
        (upgrade_request("/echo", version="7"), 426, "8, 13"),
        (upgrade_request("/echo", "Content-Length: 3").replace(b"\r\n\r\n", b"\r\n\r\nab"), 400, None),
    ],
)
def test_refusals(server: LiveServer, request_bytes: bytes, status: int, extra: str | None) -> None:
    response = exchange(server, request_bytes)[0]
    assert response.status == status
    assert response.getheader("Connection") == "close"
    assert response.getheader("Sec-WebSocket-Version") == extra
    assert response.body == b""


def test_hybi_version_8_is_accepted(server: LiveServer) -> None:
    client = RawClient.open(server, upgrade_request("/info?q=1", version="8"))
    assert client.head.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
    assert json.loads(client.message()) == ["/info", "http://test.example", None, 8, "q=1"]
    client.close()


def _checked_app(protocols: list[str] | None = None, legacy: bool = False) -> tuple[Any, list[Any]]:
    calls: list[Any] = []

    def checker(host: Any, origin: Any) -> bool:
        calls.append((host, origin))
        return bool(origin == "http://good")

    wrapped = WebSocketWSGI.configured(
        handler, supported_protocols=protocols, origin_checker=checker, support_legacy_versions=legacy
    )
    return wrapped, calls


def test_origin_checker_gets_host_and_origin() -> None:
    wrapped, calls = _checked_app()
    with live(wrapped) as other:
        refused = exchange(other, upgrade_request("/echo"))[0]
        assert refused.status == 403
        assert refused.getheader("Connection") == "close"
        good = upgrade_request("/echo").replace(b"Origin: http://test.example", b"Origin: http://good")
        client = RawClient.open(other, good)
        client.send("ok")
        assert client.message() == "ok"
        client.close()
        # hybi-10 clients send Sec-WebSocket-Origin instead
        old = upgrade_request("/echo", "Sec-WebSocket-Origin: http://good", version="8")
        client = RawClient.open(other, old.replace(b"Origin: http://test.example\r\n", b""))
        assert client.head.startswith(b"HTTP/1.1 101")
        client.close()
    assert calls == [
        ("test.example", "http://test.example"),
        ("test.example", "http://good"),
        ("test.example", "http://good"),
    ]


def test_configured_as_a_decorator_and_subprotocols() -> None:
    decorator = WebSocketWSGI.configured(supported_protocols=["chat", "json"])
    wrapped = decorator(handler)
    assert isinstance(wrapped, WebSocketWSGI)
    assert wrapped.support_legacy_versions is False
    with live(wrapped) as other:
        request = upgrade_request("/info", "Sec-WebSocket-Protocol: other, json, chat")
        client = RawClient.open(other, request)
        assert client.head.endswith(b"Sec-WebSocket-Protocol: json\r\n\r\n")
        assert json.loads(client.message())[2] == "json"
        client.close()
        client = RawClient.open(other, upgrade_request("/info", "Sec-WebSocket-Protocol: other"))
        assert b"Sec-WebSocket-Protocol" not in client.head
        assert json.loads(client.message())[2] is None
        client.close()
        # no version header and legacy off: refused
        refused = exchange(other, upgrade_request("/echo", version=None))[0]
        assert refused.status == 400
    assert wrapped.protocol_version == 13


def test_websockets_client_subprotocol_and_default_instance() -> None:
    wrapped = WebSocketWSGI(handler)
    wrapped.supported_protocols = ["json"]
    assert wrapped.support_legacy_versions is True
    assert wrapped.max_frame_length == 8 << 20
    with live(wrapped) as other, connect(_url(other, "/info"), subprotocols=["json"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == "json"
        assert json.loads(ws.recv(timeout=5))[2] == "json"


@pytest.mark.parametrize(
    ("offer", "answer"),
    [
        ("permessage-deflate", "permessage-deflate"),
        ("PeRMessAGe-dEFlaTe", "permessage-deflate"),
        ("permessage-deflate; client_max_window_bits", "permessage-deflate; client_max_window_bits=15"),
        (
            "permessage-deflate;   Server_Max_Window_Bits  =  11",
            "permessage-deflate; server_max_window_bits=11",
        ),
        (
            "permessage-deflate; server_max_window_bits; client_max_window_bits=9",
            "permessage-deflate; server_max_window_bits=15; client_max_window_bits=9",
        ),
        (
            "permessage-deflate; client_no_context_takeover;",
            "permessage-deflate; client_no_context_takeover",
        ),
        (
            'permessage-deflate; client_max_window_bits="10"; SERVER_no_context_takeover',
            "permessage-deflate; server_no_context_takeover; client_max_window_bits=10",
        ),
        (
            "permessage-deflate; client_max_window_bits=7, permessage-deflate; server_max_window_bits=16, "
            "permessage-deflate; server_max_window_bits=8, permessage-deflate; client_max_window_bits=x, "
            "permessage-deflate",
            "permessage-deflate",
        ),
        ("x-webkit-deflate-frame", None),
        ("permessage-deflate; server_max_window_bits=8", None),
    ],
)
def test_deflate_negotiation_as_upstream(server: LiveServer, offer: str, answer: str | None) -> None:
    client = RawClient.open(server, upgrade_request("/echo", f"Sec-WebSocket-Extensions: {offer}"))
    found = [line for line in client.head.split(b"\r\n") if line.startswith(b"Sec-WebSocket-Extensions")]
    assert found == ([] if answer is None else [f"Sec-WebSocket-Extensions: {answer}".encode()])
    client.close()


# -- messages ------------------------------------------------------------------------------------


def test_text_binary_fragmented_and_compressed_with_websockets(server: LiveServer) -> None:
    with connect(_url(server, "/echo"), max_size=None) as ws:
        assert ws.response is not None
        assert "permessage-deflate" in ws.response.headers["Sec-WebSocket-Extensions"]
        for message in ("hello", b"\x00\x01\xff", "ünïcödé ☃", "", b"", "x" * 1000):
            ws.send(message)
            assert ws.recv(timeout=5) == message
        ws.send(iter(["frag", "mented"]))
        assert ws.recv(timeout=5) == "fragmented"
        assert ws.ping(b"p").wait(5)


@pytest.mark.parametrize(
    "options",
    [
        {"server_max_window_bits": 11, "client_max_window_bits": 9},
        {"server_no_context_takeover": True, "client_no_context_takeover": True},
        {"server_no_context_takeover": True, "server_max_window_bits": 9, "client_max_window_bits": True},
    ],
)
def test_negotiated_deflate_parameters_are_honoured(server: LiveServer, options: dict[str, Any]) -> None:
    from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

    factory = ClientPerMessageDeflateFactory(**options)
    with connect(_url(server, "/echo"), extensions=[factory], compression=None, max_size=None) as ws:
        assert ws.response is not None
        answer = ws.response.headers["Sec-WebSocket-Extensions"]
        assert all(name in answer for name in options)
        big = "".join(f"line {i} of a long and repetitive text\n" for i in range(20))[:990]
        for _ in range(3):  # later messages depend on the window (or must not)
            ws.send(big)
            assert ws.recv(timeout=5) == big


def test_websocket_client_library(server: LiveServer) -> None:
    client = pytest.importorskip("websocket")
    ws = client.create_connection(_url(server, "/echo?wsc"), timeout=5)
    try:
        ws.send("via websocket-client")
        assert ws.recv() == "via websocket-client"
        ws.send_binary(b"\x01\x02")
        assert ws.recv() == b"\x01\x02"
    finally:
        ws.close()
    assert expect("wsc")[0] == "echo-end"


def test_frames_sent_with_the_head_are_not_lost(server: LiveServer) -> None:
    early = b"\x81\x85" + b"abcd" + bytes(b ^ k for b, k in zip(b"early", b"abcda", strict=True))
    client = RawClient.open(server, upgrade_request("/echo"), early=early)
    assert client.message() == "early"
    client.close()


def test_concurrent_senders_keep_the_compressor_in_order() -> None:
    with live(WebSocketWSGI(handler)) as other, connect(_url(other, "/senders?senders")) as ws:
        got = [_text(ws.recv(timeout=5)) for _ in range(40)]
        ws.send("done")
        assert expect("senders") == ("senders", "done")
    assert [m for m in got if m.startswith("a")] == [f"a{i}" for i in range(20)]
    assert [m for m in got if m.startswith("b")] == [f"b{i}" for i in range(20)]


def test_message_over_max_frame_length_closes_1009(server: LiveServer) -> None:
    client = RawClient.open(server, upgrade_request("/echo"))
    client.send_frame(Opcode.BINARY, b"x" * 1000)
    assert client.message() == b"x" * 1000
    client.send_frame(Opcode.BINARY, b"x" * 1001)
    assert client.event() == Close(1009, "Incoming frame of 1001 bytes is above length limit of 1000 bytes.")
    assert client.event() is None  # and the server closed the connection
    client.close()


def test_fragments_add_up_to_the_limit(server: LiveServer) -> None:
    client = RawClient.open(server, upgrade_request("/echo"))
    client.send_frame(Opcode.BINARY, b"x" * 600, fin=False)
    client.send_frame(Opcode.CONTINUATION, b"y" * 600)
    assert client.event() == Close(1009, "message too big")
    client.close()


def test_compressed_message_over_the_limit_closes_1009(server: LiveServer) -> None:
    params = DeflateParams()
    client = RawClient.open(
        server, upgrade_request("/echo", "Sec-WebSocket-Extensions: permessage-deflate"), deflate=params
    )
    client.send(b"z" * 1000)
    assert client.message() == b"z" * 1000
    client.send(b"z" * 1001)
    event = client.event()
    assert isinstance(event, Close)
    assert event.code == 1009
    client.close()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"\x81\x05hello", 1002),  # an unmasked client frame
        (b"\x07\xff", 1002),  # a reserved opcode: refused on its first two bytes
        (b"\x81\x82abcd" + bytes(b ^ k for b, k in zip(b"\xc3\x28", b"ab", strict=True)), 1007),
    ],
)
def test_protocol_errors_close_with_their_code(server: LiveServer, data: bytes, code: int) -> None:
    client = RawClient.open(server, upgrade_request(f"/echo?proto{code}{data[0]}"))
    client.sock.sendall(data)
    event = client.event()
    assert isinstance(event, Close)
    assert event.code == code
    assert client.event() is None
    assert expect(f"proto{code}{data[0]}") == ("echo-end", None)
    client.close()


def test_ping_is_answered(server: LiveServer) -> None:
    client = RawClient.open(server, upgrade_request("/echo"))
    client.send_frame(Opcode.PING, b"are you there")
    assert client.event().payload == b"are you there"  # the pong
    client.close()


# -- closing -------------------------------------------------------------------------------------


def test_client_close_is_echoed_and_ends_wait(server: LiveServer) -> None:
    client = RawClient.open(server, upgrade_request("/echo?close1001"))
    client.send_frame(Opcode.CLOSE, (1001).to_bytes(2, "big") + b"going")
    assert client.event() == Close(1001, "")
    assert client.event() is None
    assert expect("close1001") == ("echo-end", b"\x03\xe9going")
    client.close()


def test_client_close_without_code(server: LiveServer) -> None:
    client = RawClient.open(server, upgrade_request("/echo?close-empty"))
    client.send_frame(Opcode.CLOSE, b"")
    assert client.event() == Close(1005, "")
    assert expect("close-empty") == ("echo-end", b"")
    client.close()


def test_handler_returning_sends_an_empty_close_and_waits_for_the_reply(server: LiveServer) -> None:
    client = RawClient.open(server, upgrade_request("/range"))
    assert [client.message() for _ in range(3)] == ["msg 0", "msg 1", "msg 2"]
    assert client.event() == Close(1005, "")  # upstream's close frame carries no code
    client.flush()  # our close reply: the server closes at once
    assert client.event() is None
    client.close()


def test_handler_returning_and_a_silent_client(server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(websocket, "CLOSE_WAIT", 0.01)
    client = RawClient.open(server, upgrade_request("/range"))
    assert [client.message() for _ in range(3)] == ["msg 0", "msg 1", "msg 2"]
    assert client.event() == Close(1005, "")
    assert client.event() is None  # never answered: the server closed after CLOSE_WAIT
    client.close()


def test_server_close_with_code_and_send_after_close(server: LiveServer) -> None:
    with connect(_url(server, "/close?close")) as ws, pytest.raises(ConnectionClosed) as info:
        ws.recv(timeout=5)
    assert info.value.rcvd is not None
    assert (info.value.rcvd.code, info.value.rcvd.reason) == (4000, "bye")
    assert expect("close") == ("send-after-close", errno.EPIPE)


@pytest.mark.parametrize(("path", "kind"), [("/boom", RuntimeError), ("/oserror", OSError)])
def test_handler_failure_closes_1011_and_reaches_the_server(
    server: LiveServer, caplog: pytest.LogCaptureFixture, path: str, kind: type[Exception]
) -> None:
    with caplog.at_level(logging.ERROR, "eventlet.httpd.error"):
        with connect(_url(server, path)) as ws, pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=5)
        server.call(eventlet.sleep, 0.01)
    assert info.value.rcvd is not None
    assert info.value.rcvd.code == 1011
    assert any(r.exc_info and type(r.exc_info[1]) is kind for r in caplog.records)


def test_client_gone_errors_end_quietly(server: LiveServer, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, "eventlet"):
        client = RawClient.open(server, upgrade_request("/gone"))
        assert client.event() == Close(1005, "")
        client.flush()
        assert client.event() is None
        client.close()
        server.call(eventlet.sleep, 0.01)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("went away" in r.getMessage() for r in caplog.records)


def test_peer_vanishing_ends_wait(server: LiveServer) -> None:
    client = RawClient.open(server, upgrade_request("/echo?vanish"))
    client.send("one")
    assert client.message() == "one"
    client.sock.shutdown(socket.SHUT_WR)
    assert expect("vanish") == ("echo-end", None)
    assert client.event() == Close(1005, "")
    client.close()


def test_timeout_around_wait_keeps_the_connection(server: LiveServer) -> None:
    client = RawClient.open(server, upgrade_request("/timeout"))
    assert client.message() == "still here"
    client.send("after the timeout")
    assert client.message() == "after the timeout"
    client.close()


def test_socket_timeout_in_wait_closes_1011_and_raises(server: LiveServer) -> None:
    client = RawClient.open(server, upgrade_request("/socket-timeout?st"))
    assert client.event() == Close(1011, "Internal Server Error")
    assert expect("st") == ("socket-timeout", "TimeoutError", None)
    client.close()


# -- other servers' environ ------------------------------------------------------------------------


def _environ(**extra: Any) -> dict[str, Any]:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/range",
        "HTTP_HOST": "x",
        "HTTP_UPGRADE": "websocket",
        "HTTP_CONNECTION": "Upgrade",
        "HTTP_SEC_WEBSOCKET_KEY": "dGhlIHNhbXBsZSBub25jZQ==",
        "HTTP_SEC_WEBSOCKET_VERSION": "13",
    }
    environ.update(extra)
    return environ


class _ForeignInput:
    def __init__(self, sock: Any) -> None:
        self.sock = sock

    def get_socket(self) -> Any:
        return self.sock


def _run_foreign(environ: dict[str, Any], peer: socket.socket) -> tuple[Any, bytes]:
    statuses: list[str] = []
    result = WebSocketWSGI(handler)(environ, lambda status, headers: statuses.append(status))
    peer.settimeout(5)
    return result, read_all(peer)


def test_foreign_server_input_gunicorn_socket_and_set_idle() -> None:
    from eventlet.green.socket import socketpair

    for key in ("eventlet.input", "gunicorn.socket"):
        ours, theirs = socketpair()
        idle: list[bool] = []
        value = _ForeignInput(ours) if key == "eventlet.input" else ours
        environ = _environ(**{key: value, "eventlet.set_idle": lambda idle=idle: idle.append(True)})
        theirs.sendall(b"\x88\x80abcd")  # the client's close reply is already there
        result, data = _run_foreign(environ, theirs)
        assert list(result) == []
        assert idle == [True]
        assert data.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
        assert data.endswith(b"\x81\x05msg 2\x88\x00")
        theirs.close()


def test_already_handled_flag_of_eventlet_wsgi(monkeypatch: pytest.MonkeyPatch) -> None:
    """Upstream also sets eventlet.wsgi.WSGI_LOCAL.already_handled, where it exists."""
    import threading

    from eventlet import wsgi
    from eventlet.green.socket import socketpair

    local = threading.local()
    monkeypatch.setattr(wsgi, "WSGI_LOCAL", local, raising=False)
    ours, theirs = socketpair()
    theirs.sendall(b"\x88\x80abcd")
    _run_foreign(_environ(**{"gunicorn.socket": ours}), theirs)
    assert local.already_handled is True
    theirs.close()


def test_foreign_server_without_a_socket() -> None:
    with pytest.raises(RuntimeError, match=r"No eventlet\.input or gunicorn\.socket"):
        WebSocketWSGI(handler)(_environ(), lambda *a: None)


def test_foreign_client_gone_during_the_handshake() -> None:
    from eventlet.green.socket import socketpair

    ours, theirs = socketpair()
    theirs.close()
    environ = _environ(**{"eventlet.input": _ForeignInput(ours)})
    assert list(WebSocketWSGI(handler)(environ, lambda *a: None)) == []
    assert ours.fileno() == -1


def test_refusal_after_the_application_took_the_socket() -> None:
    """python-engineio takes the socket before calling WebSocketWSGI: a refusal is still sent."""

    def engineio_style(environ: dict[str, Any], start_response: StartResponse) -> Any:
        sock = environ["eventlet.input"].get_socket()
        if environ["PATH_INFO"] == "/shut":
            sock.shutdown(socket.SHUT_WR)  # the refusal cannot be written any more
        return app(environ, start_response)

    with live(engineio_style) as other:
        response = exchange(other, upgrade_request("/echo", version="99"))[0]
        assert response.status == 426
        assert response.getheader("Sec-WebSocket-Version") == "8, 13"
        assert response.getheader("Connection") == "close"
        assert response.body == b""
        assert exchange(other, upgrade_request("/shut", version="99")) == []


def test_engineio_subclass_shape() -> None:
    """python-engineio's subclass: (handler, server) and max_frame_length as a keyword."""

    class EngineIOStyle(WebSocketWSGI):
        def __init__(self, handler: Any, server: Any) -> None:
            super().__init__(handler, max_frame_length=int(server.max_http_buffer_size))
            self._sock = None

        def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Any:
            self._sock = environ["eventlet.input"].get_socket()
            return super().__call__(environ, start_response)

    class Server:
        max_http_buffer_size = 64

    def upper(ws: RFC6455WebSocket) -> None:
        while (message := ws.wait()) is not None:
            ws.send(message.upper())
        ws.close()

    wrapped = EngineIOStyle(upper, Server())

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Any:
        return wrapped(environ, start_response)

    with live(wsgi) as other, connect(_url(other, "/socket.io/")) as ws:
        ws.send("2probe")
        assert ws.recv(timeout=5) == "2PROBE"
        ws.send("x" * 65)
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=5)
    assert info.value.rcvd is not None
    assert info.value.rcvd.code == 1009


def test_module_names() -> None:
    assert websocket.DEFAULT_MAX_FRAME_LENGTH == 8 << 20
    assert websocket.PROTOCOL_GUID == b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    expected = {errno.ECONNRESET, errno.EPIPE, errno.ESHUTDOWN}
    assert set(websocket.ACCEPTABLE_CLIENT_ERRORS) == expected
    assert issubclass(websocket.ProtocolError, ValueError)
    assert issubclass(websocket.RFC6455WebSocket, websocket.WebSocket)
    error = websocket.FailedConnectionError(1002, "bad")
    assert (error.status, error.message) == (1002, "bad")
    request = websocket.BadRequest()
    assert (request.status, request.body, request.headers) == ("400 Bad Request", None, None)
