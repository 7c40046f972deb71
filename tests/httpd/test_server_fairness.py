"""Limits that stay fair under pressure: idle connections make room at the cap, the default body
limit, the websocket fragment limit, plain HTTP on a TLS port, and a stop that refuses late
clients instead of resetting them."""

from __future__ import annotations

import base64
import os
import socket
import ssl
import struct
import threading
from collections.abc import Callable
from typing import Any

import pytest

import eventlet
from eventlet.httpd import Server, WebSocketWSGI
from eventlet.testing import hub_turns
from tests.httpd._live import LiveServer, hello_app, live, logged, parse_responses, read_all

GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
StartResponse = Callable[..., Any]


def _read_one(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"Hello, World!"):
        chunk = sock.recv(4096)
        assert chunk, "connection closed early"
        data += chunk
    return data


def _closed(sock: socket.socket, timeout: float = 5.0) -> bool:
    """Whether the server closed ``sock`` (within ``timeout``)."""
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


# -- at the connection cap ------------------------------------------------------------------


def test_cap_closes_the_longest_idle_keepalive_connection_for_a_new_client() -> None:
    with live(hello_app, max_connections=3, keepalive_timeout=60) as server:
        idle = []
        for _ in range(3):
            sock = server.connect()
            sock.sendall(GET)
            _read_one(sock)  # idle from now on: one after the other, so each is idle longer
            idle.append(sock)
        with server.connect() as newcomer:  # served at once (keepalive_timeout is a minute)
            newcomer.sendall(GET)
            assert b"200 OK" in _read_one(newcomer)
        assert _closed(idle[0])  # the longest idle made room
        for sock in idle[1:]:
            assert not _closed(sock, 0.2)
            sock.sendall(GET)  # and they still work
            assert b"200 OK" in _read_one(sock)
        for sock in idle:
            sock.close()


def test_cap_waits_for_a_connection_to_go_idle_then_closes_it() -> None:
    started = threading.Event()
    release: eventlet.Event[None] = eventlet.Event()

    def slow(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        started.set()
        release.wait()
        return hello_app(environ, start_response)

    # header_timeout 0.4 s: the sweep looks every 0.1 s
    with live(slow, max_connections=1, keepalive_timeout=60, header_timeout=0.4) as server:
        with server.connect() as busy:
            busy.sendall(GET)
            assert started.wait(10)  # busy is in its request: not idle
            with server.connect() as waiting:  # queued in the backlog: the cap is reached
                waiting.sendall(GET)
                server.turns()  # the server sees the newcomer and finds nothing idle
                server.call(release.send)
                _read_one(busy)  # now idle: the sweep closes it to admit the waiting client
                assert b"200 OK" in _read_one(waiting)
            assert _closed(busy)


def test_cap_never_closes_a_connection_that_has_not_sent_its_first_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sweeps = threading.Semaphore(0)
    sweep = Server._sweep

    def counted(self: Server) -> None:
        sweep(self)
        sweeps.release()

    monkeypatch.setattr(Server, "_sweep", counted)
    # The short socket_timeout sets the sweep's pace (0.125 s); the long header_timeout keeps first's
    # own deadline out of reach however long the test takes to watch two sweeps.
    with live(hello_app, max_connections=1, header_timeout=60, socket_timeout=0.5) as server:
        with server.connect() as first:
            server.turns()  # first is accepted: the cap is reached
            with server.connect() as second:
                second.sendall(GET)
                server.turns()  # the server sees second waiting
                for _ in range(2):  # the sweep looks twice, and leaves first alone
                    assert sweeps.acquire(timeout=10)
                first.sendall(GET)  # still served: it was never idle between requests
                assert b"200 OK" in _read_one(first)
                first.close()
                assert b"200 OK" in _read_one(second)


# -- the default request body limit ---------------------------------------------------------


def test_default_body_limit_is_one_gibibyte_and_none_disables_it() -> None:
    assert Server(hello_app, port=0).max_body == 1 << 30
    with live(hello_app) as server, server.connect() as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % ((1 << 30) + 1))
        assert parse_responses(read_all(sock))[0].status == 413
    with live(hello_app, max_body=None) as server, server.connect() as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (2 << 30))
        response = parse_responses(read_all(sock))[0]
        assert response.status == 200
        assert response.getheader("Connection") == "close"


def test_endless_chunked_body_gets_413_before_the_app_reads_past_the_limit() -> None:
    got: list[int] = []

    def reader(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        total = 0
        try:
            while chunk := environ["wsgi.input"].read(4096):
                total += len(chunk)
        finally:
            got.append(total)
        return hello_app(environ, start_response)

    with live(reader, max_body=100_000) as server, server.connect() as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"1000\r\n" + b"x" * 4096 + b"\r\n"
        try:
            for _ in range(1000):  # 4 MiB, far past the limit: the server answers first
                sock.sendall(chunk)
        except OSError:
            pass
        responses = parse_responses(read_all(sock))
    assert responses[0].status == 413
    assert got
    assert got[0] <= 100_000


# -- plain HTTP on a TLS port ----------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, Any]:
    pytest.importorskip("eventlet.ssl", reason="eventlet-ssl is not installed")
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    folder = tmp_path_factory.mktemp("tls")
    certfile, keyfile = folder / "cert.pem", folder / "key.pem"
    cert.cert_chain_pems[0].write_to_path(str(certfile))
    for pem in cert.cert_chain_pems[1:]:
        with open(certfile, "ab") as out:
            out.write(pem.bytes())
    cert.private_key_pem.write_to_path(str(keyfile))
    return str(certfile), str(keyfile), ca


@pytest.mark.parametrize("backend", ["stdlib", "pyopenssl"])
def test_plain_http_on_a_tls_port_gets_a_400_that_says_so(
    tls_files: tuple[str, str, Any], backend: str
) -> None:
    certfile, keyfile, ca = tls_files
    options: dict[str, Any] = {"certfile": certfile, "keyfile": keyfile}
    if backend == "pyopenssl":
        pytest.importorskip("OpenSSL")
        import eventlet.ssl as green_ssl

        context = green_ssl.create_default_context(
            green_ssl.Purpose.CLIENT_AUTH, certfile=certfile, keyfile=keyfile, backend="pyopenssl"
        )
        options = {"ssl_context": context}
    with live(hello_app, **options) as server:
        with server.connect() as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: plain\r\n\r\n")
            data = read_all(sock)
        assert data.startswith(b"HTTP/1.1 400 Bad Request\r\n")
        assert b"plain HTTP request sent to an HTTPS port" in data
        context = ssl.create_default_context()
        ca.configure_trust(context)
        with server.connect() as raw, context.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert b"Hello, World!" in read_all(tls)  # TLS clients are unaffected


def test_tls_garbage_is_still_just_closed(tls_files: tuple[str, str, Any]) -> None:
    certfile, keyfile, _ca = tls_files
    with live(hello_app, certfile=certfile, keyfile=keyfile) as server, server.connect() as sock:
        sock.sendall(b"\x16\x03\x01\x00\x05hello")
        assert b"HTTP/1.1" not in read_all(sock)


# -- websocket messages in too many frames --------------------------------------------------


def _ws_frame(opcode: int, payload: bytes, fin: bool) -> bytes:
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return struct.pack("!BB", (0x80 if fin else 0) | opcode, 0x80 | len(payload)) + mask + masked


def _ws_connect(server: LiveServer, path: str = "/") -> socket.socket:
    sock = server.connect()
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101")
    return sock


def test_websocket_message_in_too_many_fragments_is_closed_with_1008() -> None:
    received: list[Any] = []

    @WebSocketWSGI
    def echo(ws: Any) -> None:
        while (message := ws.wait()) is not None:
            received.append(message)
            ws.send(message)

    limited = WebSocketWSGI(echo.handler, max_fragments=8)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Any:
        return (limited if environ["PATH_INFO"] == "/limited" else echo)(environ, start_response)

    with live(app) as server:
        with _ws_connect(server, "/limited") as sock:
            frames = [_ws_frame(1, b"a", False)] + [_ws_frame(0, b"b", False) for _ in range(6)]
            sock.sendall(b"".join(frames) + _ws_frame(0, b"c", True))  # 8 frames: accepted
            sock.sendall(_ws_frame(1, b"", False) + _ws_frame(0, b"", False) * 8)  # 9: too many
            data = read_all(sock)
        assert received == ["abbbbbbc"]
        close = data[data.index(b"\x88") :]
        assert struct.unpack("!H", close[2:4])[0] == 1008
        with _ws_connect(server) as sock:  # the default limit: 1024 frames
            sock.sendall(_ws_frame(2, b"", False) + _ws_frame(0, b"", False) * 5000)
            data = read_all(sock)
        close = data[data.index(b"\x88") :]
        assert struct.unpack("!H", close[2:4])[0] == 1008


# -- stopping refuses late clients ----------------------------------------------------------


def test_stop_refuses_late_clients_and_serves_what_the_kernel_had_queued() -> None:
    def slow(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        eventlet.sleep(float(environ["QUERY_STRING"] or 0))
        return hello_app(environ, start_response)

    server = Server(slow, port=0, access_log=False, max_connections=1)
    port = server.port
    thread = server.start()
    hub_turns()
    from eventlet.green import socket as gsocket

    busy = gsocket.create_connection(("127.0.0.1", port))
    busy.sendall(b"GET /?0.3 HTTP/1.1\r\nHost: x\r\n\r\n")
    hub_turns(2)  # accepted, and in its request
    queued = gsocket.create_connection(("127.0.0.1", port))  # in the backlog: the cap is 1
    queued.sendall(GET)
    hub_turns(2)
    with logged("eventlet.httpd", "stopped listening", green=True) as closed:
        stopper = eventlet.spawn(server.stop, 5)
        assert closed.wait(10)
    with pytest.raises(ConnectionRefusedError):
        gsocket.create_connection(("127.0.0.1", port))
    assert b"Hello, World!" in _green_read_all(busy)
    assert b"Hello, World!" in _green_read_all(queued)
    stopper.wait()
    thread.wait()
    busy.close()
    queued.close()
    assert server.address[1] == port  # still known once stopped


def _green_read_all(sock: Any) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_a_connection_closing_while_stop_begins_does_not_end_the_drain() -> None:
    """The drain ends with the last connection only once nothing more can be admitted."""
    server = Server(hello_app, port=0, access_log=False)

    class Closed:
        pass

    gone = Closed()
    server.stopping = True  # stop() has begun: the listener is not closed yet
    server._connections.add(gone)  # type: ignore[arg-type]
    server._forget(gone)  # type: ignore[arg-type]
    assert not server._drained.ready()  # queued connections may still be admitted
    server.stopping = False
    server.stop(0.1)
    assert server._drained.ready() is False
    assert server._stopped.ready()


def test_refuse_new_connections_lets_queued_ones_through() -> None:
    from eventlet.httpd._activation import refuse_new_connections

    with socket.socket(socket.AF_UNIX) as unix:
        assert not refuse_new_connections(unix)  # only TCP listeners
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        queued = socket.create_connection(listener.getsockname())
        queued.sendall(b"sent before")
        assert refuse_new_connections(listener)
        late = socket.socket()
        late.settimeout(0.3)
        with pytest.raises(TimeoutError):  # its SYN is dropped: it will be refused once closed
            late.connect(listener.getsockname())
        late.close()
        conn, _ = listener.accept()
        assert conn.recv(100) == b"sent before"
        conn.close()
        queued.close()
