"""eventlet.listen / connect / serve / StopServe."""

from __future__ import annotations

import errno
import logging
import os
import socket as stdsocket
import sys
import tempfile
from typing import Any

import pytest

import eventlet
from eventlet import convenience
from eventlet.green import socket
from eventlet.greenio import GreenSocket
from eventlet.testing import hub_turns

pytestmark = pytest.mark.usefixtures("any_hub")


def test_top_level_names() -> None:
    assert eventlet.listen is convenience.listen
    assert eventlet.connect is convenience.connect
    assert eventlet.serve is convenience.serve
    assert eventlet.StopServe is convenience.StopServe


def test_listen_options() -> None:
    with eventlet.listen(("127.0.0.1", 0)) as server:
        assert isinstance(server, GreenSocket)
        assert server.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)
        assert not server.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)
    with eventlet.listen(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    with eventlet.listen(("127.0.0.1", port), reuse_addr=False, reuse_port=True) as server:
        assert not server.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)
        assert server.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)
    with eventlet.listen(("127.0.0.1", 0)) as busy, pytest.raises(OSError, match="Address already in use"):
        eventlet.listen(busy.getsockname(), reuse_addr=False)


def test_listen_unix_and_ipv6() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "s")
        with eventlet.listen(path, family=socket.AF_UNIX) as server:
            with eventlet.connect(path, family=socket.AF_UNIX) as client:
                conn, _ = server.accept()
                with conn:
                    client.sendall(b"u")
                    assert conn.recv(1) == b"u"
    try:
        server = eventlet.listen(("::1", 0), family=socket.AF_INET6)
    except OSError:  # pragma: no cover - IPv6 disabled in this container
        pytest.skip("IPv6 unavailable")
    with server, eventlet.connect(server.getsockname()[:2], family=socket.AF_INET6) as client:
        assert client.family == socket.AF_INET6
        server.accept()[0].close()


def test_connect_with_bind_and_failure() -> None:
    with eventlet.listen(("127.0.0.1", 0)) as server:
        with eventlet.connect(server.getsockname(), bind=("127.0.0.1", 0)) as client:
            conn, addr = server.accept()
            conn.close()
            assert addr == client.getsockname()
        port = server.getsockname()[1]
    with pytest.raises(ConnectionRefusedError):
        eventlet.connect(("127.0.0.1", port))


def _roundtrip(port: int, message: bytes) -> bytes:
    with eventlet.connect(("127.0.0.1", port)) as client:
        client.sendall(message)
        client.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := client.recv(100):
            chunks.append(chunk)
        return b"".join(chunks)


def _echo_handler(conn: GreenSocket, addr: Any) -> None:
    data = conn.recv(100)
    if data == b"stop":
        raise eventlet.StopServe()
    if data == b"fail":
        raise ValueError("handler failure")
    conn.sendall(data.upper())


def test_serve_runs_handlers_and_stops_on_stopserve() -> None:
    server = eventlet.listen(("127.0.0.1", 0))
    port = server.getsockname()[1]
    serving = eventlet.spawn(eventlet.serve, server, _echo_handler, 10)
    assert _roundtrip(port, b"hello") == b"HELLO"
    assert _roundtrip(port, b"again") == b"AGAIN"
    assert _roundtrip(port, b"stop") == b""
    assert serving.wait() is None
    server.close()


def test_a_failing_handler_is_logged_and_stops_serve_with_its_error(caplog: pytest.LogCaptureFixture) -> None:
    server = eventlet.listen(("127.0.0.1", 0))
    port = server.getsockname()[1]
    serving = eventlet.spawn(eventlet.serve, server, _echo_handler, 10)
    with caplog.at_level(logging.ERROR, logger="eventlet.convenience"):
        assert _roundtrip(port, b"fail") == b""  # the connection is closed
        with pytest.raises(ValueError, match="handler failure"):
            serving.wait()
    assert "handler failure" in caplog.text
    server.close()


def test_listen_warns_about_reuse_port_on_a_random_port_and_where_it_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from eventlet import convenience

    with pytest.warns(convenience.ReuseRandomPortWarning):
        eventlet.listen(("127.0.0.1", 0), reuse_port=True).close()
    with eventlet.listen(("127.0.0.1", 0)) as probe:
        addr = probe.getsockname()
    original_init = GreenSocket.__init__

    def refusing(self: GreenSocket, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.setsockopt = refuse  # type: ignore[method-assign]

    def refuse(*args: Any) -> None:
        raise OSError(error, "refused")

    monkeypatch.setattr(GreenSocket, "__init__", refusing)
    error = errno.ENOPROTOOPT
    with pytest.warns(convenience.ReusePortUnavailableWarning):
        eventlet.listen(addr, reuse_addr=False, reuse_port=True).close()
    error = errno.EPERM
    with pytest.raises(PermissionError):
        eventlet.listen(addr, reuse_addr=False, reuse_port=True)


def test_serve_limits_concurrency_with_the_fallback_limiter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "eventlet.greenpool", None)  # as if greenpool were missing
    server = eventlet.listen(("127.0.0.1", 0))
    port = server.getsockname()[1]
    active = []
    peak = []
    release: eventlet.Event[Any] = eventlet.Event()

    def handler(conn: GreenSocket, addr: Any) -> None:
        active.append(addr)
        peak.append(len(active))
        if conn.recv(10) == b"stop":
            raise eventlet.StopServe()
        release.wait()
        conn.sendall(b"done")
        active.remove(addr)

    serving = eventlet.spawn(eventlet.serve, server, handler, 2)
    clients = [eventlet.connect(("127.0.0.1", port)) for _ in range(4)]
    for client in clients:
        client.sendall(b"go")
    while len(active) < 2:
        hub_turns(1)
    hub_turns(1)  # a third handler, were there one, would have started by now
    assert max(peak) == 2  # the other two wait in the accept loop
    release.send()
    for client in clients:
        assert client.recv(10) == b"done"
        client.close()
    assert max(peak) == 2
    assert _roundtrip(port, b"stop") == b""
    serving.wait()
    server.close()


def test_limiter_waiter_that_is_killed_leaves_the_queue() -> None:
    limiter = convenience._Limiter(1)
    gate: eventlet.Event[Any] = eventlet.Event()
    limiter.spawn_n(gate.wait)
    blocked = eventlet.spawn(limiter.spawn_n, lambda: None)
    eventlet.sleep(0)
    blocked.kill()
    assert not limiter._waiters
    gate.send()
    eventlet.sleep(0)
    assert limiter.running == 0


def test_serve_uses_greenpool_when_present() -> None:
    pytest.importorskip("eventlet.greenpool")
    from eventlet.greenpool import GreenPool

    assert isinstance(convenience._make_pool(3), GreenPool)


def test_serve_propagates_errors_of_the_listening_socket() -> None:
    server = eventlet.listen(("127.0.0.1", 0))
    serving = eventlet.spawn(eventlet.serve, server, _echo_handler)
    hub_turns(1)  # serve waits in accept
    server.close()
    with pytest.raises(OSError, match="closed while a green thread waited"):
        serving.wait()


def test_serve_skips_connections_aborted_before_accept() -> None:
    attempts = []

    class FlakyListener:
        def __init__(self, real: GreenSocket) -> None:
            self.real = real

        def accept(self) -> tuple[GreenSocket, Any]:
            attempts.append(1)
            if len(attempts) == 1:
                raise ConnectionAbortedError(errno.ECONNABORTED, "aborted")
            return self.real.accept()

    server = eventlet.listen(("127.0.0.1", 0))
    serving = eventlet.spawn(eventlet.serve, FlakyListener(server), _echo_handler)
    assert _roundtrip(server.getsockname()[1], b"ok") == b"OK"
    assert _roundtrip(server.getsockname()[1], b"stop") == b""
    serving.wait()
    server.close()
    assert len(attempts) >= 2


def test_stopserve_from_two_handlers_stops_once() -> None:
    server = eventlet.listen(("127.0.0.1", 0))
    port = server.getsockname()[1]
    gate: eventlet.Event[Any] = eventlet.Event()

    inside: list[Any] = []

    def handler(conn: GreenSocket, addr: Any) -> None:
        conn.recv(10)
        inside.append(addr)
        gate.wait()
        raise eventlet.StopServe()

    serving = eventlet.spawn(eventlet.serve, server, handler)
    a = eventlet.connect(("127.0.0.1", port))
    b = eventlet.connect(("127.0.0.1", port))
    a.sendall(b"x")
    b.sendall(b"x")
    while len(inside) < 2:
        hub_turns(1)
    gate.send()
    serving.wait()
    hub_turns(1)  # the second StopServe finds serve gone and does nothing
    for sock in (a, b, server):
        sock.close()


def test_plain_stdlib_listener_works_too() -> None:
    plain = stdsocket.create_server(("127.0.0.1", 0))
    green = GreenSocket(plain)
    serving = eventlet.spawn(eventlet.serve, green, _echo_handler)
    assert _roundtrip(green.getsockname()[1], b"plain") == b"PLAIN"
    assert _roundtrip(green.getsockname()[1], b"stop") == b""
    serving.wait()
    green.close()


def test_a_killed_handler_is_not_logged_as_a_failure(caplog: pytest.LogCaptureFixture) -> None:
    from greenlet import getcurrent

    server = eventlet.listen(("127.0.0.1", 0))
    handlers = []

    def handler(conn: GreenSocket, addr: Any) -> None:
        handlers.append(getcurrent())
        conn.recv(10)

    serving = eventlet.spawn(eventlet.serve, server, handler)
    client = eventlet.connect(server.getsockname())
    while not handlers:
        hub_turns(1)
    with caplog.at_level(logging.ERROR, logger="eventlet.convenience"):
        eventlet.kill(handlers[0])
    assert "failed" not in caplog.text
    assert client.recv(1) == b""  # the connection was closed all the same
    client.close()
    serving.kill()
    server.close()
