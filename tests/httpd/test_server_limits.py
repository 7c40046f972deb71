"""eventlet.httpd.Server: timeouts, the connection cap and graceful stop, on a live server."""

from __future__ import annotations

import random
import socket
import threading
from collections.abc import Callable
from typing import Any

import pytest

import eventlet
from eventlet.httpd import Server
from eventlet.testing import hub_turns
from tests.httpd._live import LiveServer, exchange, hello_app, live, logged, parse_responses, read_all

GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
StartResponse = Callable[..., Any]


def _read_one(sock: socket.socket) -> bytes:
    """Read one small response (head + 13-byte hello body) off a kept-alive connection."""
    data = b""
    while not data.endswith(b"Hello, World!"):
        chunk = sock.recv(4096)
        assert chunk, "connection closed early"
        data += chunk
    return data


# -- timeouts ----------------------------------------------------------------------------


def test_partial_head_gets_408_after_header_timeout() -> None:
    with live(hello_app, header_timeout=0.1) as server, server.connect() as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHo")
        responses = parse_responses(read_all(sock))
    assert responses[0].status == 408


def test_silent_connection_closed_after_header_timeout() -> None:
    with live(hello_app, header_timeout=0.1) as server, server.connect() as sock:
        assert read_all(sock) == b""


def test_header_timeout_counts_from_first_byte_of_next_head() -> None:
    with live(hello_app, header_timeout=0.1, keepalive_timeout=5) as server:
        with server.connect() as sock:
            sock.sendall(GET)
            _read_one(sock)
            sock.sendall(b"GET /")  # a new head starts, then stalls
            responses = parse_responses(read_all(sock))
    assert responses[0].status == 408


def test_idle_keepalive_connection_closed_after_keepalive_timeout() -> None:
    with live(hello_app, keepalive_timeout=0.1) as server, server.connect() as sock:
        sock.sendall(GET)
        _read_one(sock)
        assert read_all(sock) == b""


def test_socket_timeout_bounds_body_reads() -> None:
    outcome = []

    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        try:
            environ["wsgi.input"].read()
        except ConnectionError as exc:
            outcome.append(str(exc))
            raise
        return hello_app(environ, start_response)

    with live(app, socket_timeout=0.1) as server, server.connect() as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        assert read_all(sock) == b""
    assert outcome == ["timed out receiving the request body"]


def test_socket_timeout_bounds_writes_to_a_client_that_does_not_read() -> None:
    finished = threading.Event()

    def app(environ: dict[str, Any], start_response: StartResponse) -> Any:
        start_response("200 OK", [])
        try:
            for _ in range(1000):
                yield b"x" * 65536
        finally:
            finished.set()  # the server gave up on the write and closes the body

    with live(app, socket_timeout=0.1) as server:
        sock = server.connect()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(GET)
        assert finished.wait(10)
        server.turns()  # the driver has closed the connection since, without waiting again
        assert server.server is not None
        assert server.server.connections == 0
        sock.close()


def test_socket_timeout_none_disables_io_deadlines() -> None:
    with live(_echo_app(), socket_timeout=None) as server:
        responses = exchange(server, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok")
    assert responses[0].body == b"ok"


def _echo_app() -> Callable[..., list[bytes]]:
    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        start_response("200 OK", [])
        return [environ["wsgi.input"].read()]

    return app


# -- the connection cap ------------------------------------------------------------------


def test_max_connections_pauses_accepting_while_the_connection_is_busy() -> None:
    started = threading.Event()
    release: eventlet.Event[None] = eventlet.Event()

    def slow(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        started.set()
        release.wait()
        return hello_app(environ, start_response)

    with live(slow, max_connections=1) as server:
        first = server.connect()
        first.sendall(GET)
        assert started.wait(10)
        second = server.connect()
        second.sendall(GET)
        server.turns()  # the server saw the second client, and did not accept it
        assert server.server is not None
        assert server.server.connections == 1
        second.setblocking(False)
        with pytest.raises(BlockingIOError):
            second.recv(100)  # not answered while the first is busy
        server.call(release.send)
        _read_one(first)
        first.close()
        second.settimeout(5)
        assert _read_one(second).startswith(b"HTTP/1.1 200")
        second.close()


def test_custom_pool_runs_connections() -> None:
    from eventlet.greenpool import GreenPool

    pool = GreenPool(10)
    with live(hello_app, pool=pool) as server:
        assert exchange(server, GET)[0].status == 200


# -- graceful stop -----------------------------------------------------------------------


def test_stop_closes_idle_connections_at_once() -> None:
    server = LiveServer(hello_app).start()
    sock = server.connect()
    sock.sendall(GET)
    _read_one(sock)
    server.stop(timeout=3600)  # returns at once (its join gives up after 10 s): no grace needed
    assert read_all(sock) == b""
    sock.close()


def test_stop_lets_in_flight_requests_finish_with_connection_close() -> None:
    entered = threading.Event()
    release: eventlet.Event[None] = eventlet.Event()

    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        entered.set()
        release.wait()
        return hello_app(environ, start_response)

    server = LiveServer(app).start()
    sock = server.connect()
    sock.sendall(GET)
    assert entered.wait(5)
    with logged("eventlet.httpd", "stopped listening") as stopping:
        stopper = threading.Thread(target=server.stop, kwargs={"timeout": 10})
        stopper.start()
        assert stopping.wait(10)  # stopping, with the request still in the application
    server.call(release.send)
    stopper.join(20)
    responses = parse_responses(read_all(sock))
    sock.close()
    assert responses[0].status == 200
    assert responses[0].body == b"Hello, World!"
    assert responses[0].getheader("Connection") == "close"


def test_stop_kills_requests_past_the_grace_period() -> None:
    entered = threading.Event()

    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        entered.set()
        eventlet.sleep(30)
        return hello_app(environ, start_response)  # pragma: no cover - killed first

    server = LiveServer(app).start()
    sock = server.connect()
    sock.sendall(GET)
    assert entered.wait(5)
    server.stop(timeout=0.1)
    assert read_all(sock) == b""
    sock.close()


def test_stop_serves_a_request_that_reached_an_idle_connection() -> None:
    """An idle connection being shut down still answers bytes already in its socket."""
    server = LiveServer(hello_app).start()
    sock = server.connect()
    sock.sendall(GET)
    _read_one(sock)
    assert server.server is not None
    srv = server.server
    conn = next(iter(srv._connections))

    def stop_with_request_pending() -> None:
        sock.sendall(GET)  # on loopback, in the server's kernel buffer when this returns
        from eventlet.httpd._expiry import Shutdown

        conn.expire(Shutdown())

    server.call(stop_with_request_pending)
    assert _read_one(sock).startswith(b"HTTP/1.1 200")
    sock.close()
    server.stop()


def test_stop_from_a_green_thread_and_twice() -> None:
    server = LiveServer(hello_app).start()
    assert server.server is not None
    srv = server.server
    server.call(srv.stop, 1)
    server.thread.join(5)
    assert not server.thread.is_alive()
    srv.stop()  # already stopped: returns at once
    server.stop()


def test_stop_under_load_loses_no_accepted_request() -> None:
    app_calls = []
    enough = threading.Event()

    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        app_calls.append(1)
        eventlet.sleep(random.random() * 0.02)
        return hello_app(environ, start_response)

    server = LiveServer(app, backlog=128).start()
    port = server.port
    completed = []
    lock = threading.Lock()
    go = threading.Event()

    def client(keepalive: bool) -> None:
        go.wait()
        sock = None
        for _ in range(200):
            try:
                if sock is None:
                    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                extra = b"" if keepalive else b"Connection: close\r\n"
                sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n" + extra + b"\r\n")
                data = _read_one(sock)
            except (OSError, AssertionError):
                if sock is not None:
                    sock.close()
                return
            assert data.startswith(b"HTTP/1.1 200")
            with lock:
                completed.append(1)
                if len(completed) > 50:
                    enough.set()
            if not keepalive or b"Connection: close" in data:
                sock.close()
                sock = None
                if b"Connection: close" in data and keepalive:
                    return

    threads = [threading.Thread(target=client, args=(i % 2 == 0,)) for i in range(8)]
    for thread in threads:
        thread.start()
    go.set()
    assert enough.wait(30)
    server.stop(timeout=10)
    for thread in threads:
        thread.join(10)
    assert len(completed) == len(app_calls)


def test_serve_forever_twice_and_after_stop() -> None:
    server = Server(hello_app, port=0, access_log=False)
    thread = server.start()
    hub_turns()
    with pytest.raises(RuntimeError):
        server.serve_forever()
    server.stop(1)
    thread.wait()
    server.serve_forever()  # stopped already: returns at once


def test_context_manager_stops() -> None:
    with Server(hello_app, port=0, access_log=False) as server:
        server.start()
        hub_turns()
    assert server.stopping
    with Server(hello_app, port=0, access_log=False) as other:
        pass
    assert other.stopping


def test_keyboard_interrupt_stops_gracefully_then_propagates() -> None:
    server = LiveServer(hello_app).start()
    assert server.server is not None
    srv = server.server

    def interrupt_the_acceptor() -> None:
        assert srv._acceptor is not None
        srv._hub.call_soon(srv._acceptor.throw, KeyboardInterrupt())

    server.call(interrupt_the_acceptor)
    server.thread.join(5)
    assert isinstance(server.error, KeyboardInterrupt)
    assert srv.stopping
    server.error = None


def test_transient_accept_errors_are_skipped() -> None:
    """ECONNABORTED-style accept errors do not stop the loop; EMFILE backs off."""
    import errno

    class Flaky:
        def __init__(self, real: Any) -> None:
            self.real = real
            self.errors = [OSError(errno.ECONNABORTED, "aborted"), OSError(errno.EMFILE, "too many")]

        def accept(self) -> Any:
            if self.errors:
                raise self.errors.pop(0)
            return self.real.accept()

        def __getattr__(self, name: str) -> Any:
            return getattr(self.real, name)

    def patch(srv: Server) -> None:
        srv.socket = Flaky(srv.socket)

    server = Server(hello_app, port=0, access_log=False)
    patch(server)
    thread = server.start()
    client = eventlet.connect(("127.0.0.1", server.port))
    client.sendall(GET)
    assert client.recv(4096).startswith(b"HTTP/1.1 200")
    client.close()
    server.socket = server.socket.real
    server.stop(1)
    thread.wait()


def test_fatal_accept_error_propagates() -> None:
    server = Server(hello_app, port=0, access_log=False)
    server.socket.close()
    with pytest.raises(OSError, match="Bad file descriptor"):
        server.serve_forever()
    server.stop(0)
