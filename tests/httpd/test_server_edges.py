"""eventlet.httpd edge cases: the rarer branches of the driver, server, websocket and helpers."""

from __future__ import annotations

import logging
import os
import socket
import struct
import sys
import threading
import types
from collections.abc import Callable
from typing import Any

import pytest

import eventlet
from eventlet.httpd import HttpProtocol, Server, WebSocket, WebSocketWSGI, serve
from eventlet.httpd._log import AccessLog
from eventlet.httpd._wsgi import FileWrapper, environ_key
from eventlet.testing import hub_turns
from tests.httpd._live import exchange, hello_app, live, logged, parse_responses, read_all

GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
StartResponse = Callable[..., Any]
UPGRADE = (
    b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)
RST = struct.pack("ii", 1, 0)


def _frame(opcode: int, payload: bytes) -> bytes:
    """A masked client frame (payload under 126 bytes)."""
    mask = b"abcd"
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked


def _upgrade(sock: socket.socket) -> None:
    sock.sendall(UPGRADE)
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    assert data.startswith(b"HTTP/1.1 101")


# -- the driver --------------------------------------------------------------------------


def test_internal_error_in_driver_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(HttpProtocol):
        __slots__ = ()

        def _serve(self) -> None:
            raise RuntimeError("driver bug")

    with caplog.at_level(logging.ERROR, "eventlet.httpd.error"), live(hello_app, protocol=Broken) as server:
        with server.connect() as sock:
            assert read_all(sock) == b""
    assert any("internal error" in r.getMessage() for r in caplog.records)


def test_kill_and_expire_of_a_driver_that_never_ran() -> None:
    server = Server(hello_app, port=0, access_log=False)
    a, b = socket.socketpair()
    conn = HttpProtocol(server, a, "")
    server._connections.add(conn)
    conn.expire(RuntimeError("not waiting: ignored"))
    conn.kill()
    assert a.fileno() == -1
    assert server.connections == 0
    b.close()
    server.stop(0)


def test_drain_limit_reached_while_receiving() -> None:
    with live(hello_app, max_drain=10) as server, server.connect() as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n")
        data = b""
        while b"Hello, World!" not in data:
            data += sock.recv(4096)
        sock.sendall(b"y" * 40)  # more than max_drain: the drain gives up after receiving it
        assert read_all(sock) == b""  # closed: too much left to drain


def test_body_read_failure_and_no_socket_timeout() -> None:
    seen = []
    reading, failed = threading.Event(), threading.Event()

    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        reading.set()
        try:
            environ["wsgi.input"].read()  # "ab", then it waits for more: the reset comes
        except ConnectionError as exc:
            seen.append(type(exc).__name__)
            failed.set()
            raise
        return hello_app(environ, start_response)  # pragma: no cover

    with live(app, socket_timeout=None) as server:
        sock = server.connect()
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab")
        assert reading.wait(10)
        server.turns()  # the application waits in the body's recv
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RST)
        sock.close()
        assert failed.wait(10)
    assert seen == ["ClientDisconnected"]


def test_linger_is_bounded_by_time_and_size() -> None:
    with live(hello_app, linger_timeout=0.1) as server:
        with server.connect() as sock:  # never closes its side: the linger times out
            sock.sendall(b"BAD\r\n\r\n")
            assert parse_responses(read_all(sock))[0].status == 400
        with server.connect() as sock:  # keeps sending: the linger stops reading after 1 MiB
            sock.sendall(b"BAD\r\n\r\n")
            sent = 0
            try:
                while sent < 3 << 20:
                    sock.sendall(b"z" * 65536)
                    sent += 65536
            except OSError:
                pass
            assert b"400 Bad Request" in read_all(sock)


def test_empty_iterable_and_late_small_chunks() -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Any:
        if environ["PATH_INFO"] == "/empty":
            start_response("200 OK", [])
            return iter([])
        write = start_response("200 OK", [])
        write(b"first ")
        return iter([b"a", b"b"])

    with live(app, minimum_chunk_size=100) as server:
        empty = exchange(server, b"GET /empty HTTP/1.1\r\nHost: x\r\n\r\n")[0]
        late = exchange(server, GET)[0]
    assert empty.getheader("Content-Length") == "0"
    assert empty.body == b""
    assert late.body == b"first ab"

    def overflow(environ: dict[str, Any], start_response: StartResponse) -> Any:
        write = start_response("200 OK", [("Content-Length", "7")])
        write(b"first ")
        return iter([b"a", b"b"])

    with live(overflow, minimum_chunk_size=100) as server, server.connect() as sock:
        sock.sendall(GET + GET)
        assert read_all(sock).endswith(b"\r\n\r\nfirst a")


def test_big_list_for_head_and_overflowing_big_list(caplog: pytest.LogCaptureFixture) -> None:
    part = b"x" * (1 << 17)

    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        headers = [("Content-Length", "10")] if environ["PATH_INFO"] == "/over" else []
        start_response("200 OK", headers)
        return [part, part, part]

    with caplog.at_level(logging.ERROR, "eventlet.httpd.error"), live(app) as server:
        head = exchange(server, b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n" + GET, ["HEAD", "GET"])
        with server.connect() as sock:
            sock.sendall(b"GET /over HTTP/1.1\r\nHost: x\r\n\r\n" + GET)
            over = read_all(sock)
    assert head[0].getheader("Content-Length") == str(3 << 17)
    assert head[0].body == b""
    assert head[1].body == part * 3
    assert over.endswith(b"\r\n\r\n" + b"x" * 10)


def test_sendfile_to_a_vanishing_client(tmp_path: Any, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "big"
    with open(path, "wb") as f:
        f.truncate(64 << 20)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Any:
        start_response("200 OK", [])
        return environ["wsgi.file_wrapper"](open(path, "rb"))

    with logged("eventlet.httpd.error", "sendfile failed") as failed, live(app) as server:
        sock = server.connect()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(GET)
        sock.recv(100)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RST)
        sock.close()
        assert failed.wait(10)


def test_500_to_a_client_that_is_gone() -> None:
    started = threading.Event()
    gone: eventlet.Event[None] = eventlet.Event()

    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        started.set()
        gone.wait()
        raise RuntimeError("too late to tell anyone")

    with logged("eventlet.httpd.error", "went away") as told, live(app) as server:
        sock = server.connect()
        sock.sendall(GET)
        assert started.wait(10)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RST)
        sock.close()
        server.call(gone.send)
        assert told.wait(10)


# -- the server --------------------------------------------------------------------------


def test_serve_function_in_a_green_thread() -> None:
    listener = eventlet.listen(("127.0.0.1", 0))
    thread = eventlet.spawn(serve, hello_app, sock=listener, access_log=False)
    client = eventlet.connect(listener.getsockname())
    client.sendall(GET)
    assert client.recv(4096).startswith(b"HTTP/1.1 200")
    client.close()
    thread.kill()
    listener.close()


def test_exit_after_explicit_stop_and_tls_without_eventlet_ssl(monkeypatch: pytest.MonkeyPatch) -> None:
    with Server(hello_app, port=0, access_log=False) as server:
        server.stop(0)
    assert server.stopping
    monkeypatch.setitem(sys.modules, "eventlet.ssl", None)
    with pytest.raises(RuntimeError, match="eventlet-ssl"):
        Server(hello_app, port=0, certfile="x.pem")


def test_emfile_backoff_grows() -> None:
    import errno

    class Exhausted:
        def __init__(self, real: Any) -> None:
            self.real = real
            self.left = 3

        def accept(self) -> Any:
            if self.left:
                self.left -= 1
                raise OSError(errno.EMFILE, "too many open files")
            return self.real.accept()

    server = Server(hello_app, port=0, access_log=False)
    real = server.socket
    server.socket = Exhausted(real)
    thread = server.start()
    client = eventlet.connect(real.getsockname())
    client.sendall(GET)
    assert client.recv(4096).startswith(b"HTTP/1.1 200")
    client.close()
    server.socket = real
    server.stop(1)
    thread.wait()


# -- websockets --------------------------------------------------------------------------


def test_websocket_closing_paths(caplog: pytest.LogCaptureFixture) -> None:
    events: list[Any] = []
    vanishing = threading.Event()

    def handler(ws: WebSocket) -> None:
        events.append(repr(ws))
        mode = ws.wait()
        events.append(mode)
        if mode == "send-after-close":
            ws.close()
            ws.send("too late")  # ConnectionClosedError: logged at debug level
        elif mode == "vanish-then-fail":
            vanishing.set()
            assert ws.wait() is None
            raise RuntimeError("after the peer left")
        # "linger": return at once; the wrapper closes and reads until the peer's close

    app = WebSocketWSGI(handler, deflate=False)
    with (
        caplog.at_level(logging.DEBUG, "eventlet.websocket"),
        logged("eventlet.websocket", "failed") as failed,
        live(app) as server,
    ):
        with server.connect() as sock:
            _upgrade(sock)
            sock.sendall(_frame(1, b"send-after-close"))
            assert sock.recv(100).startswith(b"\x88")
            sock.sendall(_frame(8, b"\x03\xe8"))
            read_all(sock)
        with server.connect() as sock:
            _upgrade(sock)
            sock.sendall(_frame(1, b"linger"))
            assert sock.recv(100).startswith(b"\x88")  # the server's close
            sock.sendall(_frame(1, b"late message") + _frame(8, b"\x03\xe8"))
            read_all(sock)
        sock = server.connect()
        _upgrade(sock)
        sock.sendall(_frame(1, b"vanish-then-fail"))
        assert vanishing.wait(10)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RST)
        sock.close()
        assert failed.wait(10)
    assert events[1::2] == ["send-after-close", "linger", "vanish-then-fail"]
    assert events[0].startswith("<WebSocket '/ws' closed=False>")
    messages = [r.getMessage() for r in caplog.records]
    assert any("ended" in m for m in messages)
    assert any("failed" in m for m in messages)


# -- helpers -----------------------------------------------------------------------------


def test_capitalized_cache_is_bounded_and_concurrent_stop_waits() -> None:
    server = Server(hello_app, port=0, access_log=False)
    server._capitals.update({f"n{i}": f"N{i}" for i in range(512)})
    assert server.capitalized([("x-new", "1")]) == [("X-New", "1")]
    assert "x-new" not in server._capitals
    thread = server.start()
    hub_turns()  # serving: the accept loop waits
    first = eventlet.spawn(server.stop, 1)
    second = eventlet.spawn(server.stop, 1)  # already stopping: waits for the first
    first.wait()
    second.wait()
    thread.wait()


def test_environ_key_cache_is_bounded() -> None:
    cache: dict[str, str | None] = {f"x-{i}": f"HTTP_X_{i}" for i in range(1024)}
    assert environ_key(cache, "x-new") == "HTTP_X_NEW"
    assert "x-new" not in cache


def test_input_edge_reads() -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        inp = environ["wsgi.input"]
        first = inp.readline(4)  # no newline within the limit
        rest = inp.read1(3)  # from what is buffered
        inp.set_hundred_continue_response_headers([("x-a", "1")], capitalize_response_headers=False)
        start_response("200 OK", [])
        return [first + b"|" + rest]

    with live(app) as server:
        response = exchange(server, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\nabcdefghi")[0]
    assert response.body == b"abcd|efg"


def test_file_wrapper_on_a_device() -> None:
    with open(os.devnull, "rb") as devnull:
        assert FileWrapper(devnull).sendfile_span() is None


def test_access_log_file_without_flush() -> None:
    class Sink:
        def __init__(self) -> None:
            self.data = ""

        def write(self, text: str) -> None:
            self.data += text

    sink = Sink()
    AccessLog(sink, "%(status_code)s").write({}, "204 No Content", 0, 0.0)
    assert sink.data == "204\n"


def test_load_app_adds_cwd_to_path(monkeypatch: pytest.MonkeyPatch) -> None:
    from eventlet.httpd import _cli

    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != os.getcwd()])
    assert callable(_cli.load_app("tests.httpd._cli_app:app"))
    assert sys.path[0] == os.getcwd()


def test_compat_server_without_event_returns_on_interrupt() -> None:
    from eventlet import wsgi

    listener = eventlet.listen(("127.0.0.1", 0))
    thread = eventlet.spawn(wsgi.server, listener, hello_app, log_output=False)
    hub_turns()  # its accept loop waits
    thread.kill(KeyboardInterrupt())
    assert thread.dead
    assert listener.fileno() == -1


def test_gunicorn_option_mapping(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("gunicorn")
    from eventlet.httpd.gunicorn import EventletWorker

    worker = EventletWorker.__new__(EventletWorker)
    cfg = types.SimpleNamespace(
        worker_connections=5,
        keepalive=0,
        graceful_timeout=3,
        limit_request_line=0,
        limit_request_fields=0,
        limit_request_field_size=0,
        is_ssl=False,
        accesslog=None,
    )
    # stand-ins for gunicorn's Config and Logger, and for the worker's Event
    worker.cfg = cfg  # type: ignore[assignment]
    worker.log = types.SimpleNamespace(access_log=logging.getLogger("gunicorn.access"))  # type: ignore[assignment]
    options = worker._options()
    assert options["keepalive"] is False
    assert "max_request_line" not in options
    assert options["access_log"] is False
    cfg.accesslog = "-"
    assert worker._options()["access_log"] is worker.log.access_log
    worker._exit = types.SimpleNamespace(ready=lambda: True)  # type: ignore[assignment]
    worker._wake()  # already woken: nothing to do
    import gunicorn.sock

    monkeypatch.setattr(gunicorn.sock, "ssl_context", lambda cfg: "a context")
    cfg.is_ssl = True
    assert worker._options()["ssl_context"] == "a context"


def test_gunicorn_trusted_proxies_mapping() -> None:
    pytest.importorskip("gunicorn")
    from eventlet.httpd.gunicorn import EventletWorker

    worker = EventletWorker.__new__(EventletWorker)
    cfg = types.SimpleNamespace(
        worker_connections=5,
        keepalive=2,
        graceful_timeout=3,
        limit_request_line=0,
        limit_request_fields=0,
        limit_request_field_size=0,
        is_ssl=False,
        accesslog=None,
        forwarded_allow_ips=["127.0.0.1"],
        proxy_protocol="off",  # gunicorn 24 spells it off/v1/v2/auto; 23, False/True
        proxy_allow_ips=["10.0.0.1"],
    )
    # stand-ins for gunicorn's Config and Logger
    worker.cfg = cfg  # type: ignore[assignment]
    worker.log = types.SimpleNamespace(access_log=None)  # type: ignore[assignment]
    options = worker._options()
    assert options["forwarded_allow_ips"] == ["127.0.0.1"]
    assert "proxy_protocol" not in options
    worker.cfg.proxy_protocol = "v1"
    options = worker._options()
    assert options["proxy_protocol"] is True
    assert options["forwarded_allow_ips"] == ["127.0.0.1", "10.0.0.1"]
    worker.cfg.forwarded_allow_ips = []
    worker.cfg.proxy_protocol = False
    assert "forwarded_allow_ips" not in worker._options()
