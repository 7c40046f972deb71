"""``eventlet.wsgi.server`` and ``Server``: start, stop, logs, pools, accept errors (upstream's behaviour)."""

from __future__ import annotations

import errno
import io
import logging
import os
import re
import socket
import ssl
import threading
from pathlib import Path
from typing import Any

import pytest

import eventlet
from eventlet import wsgi
from eventlet.greenio import GreenSocket
from eventlet.testing import hub_turns
from tests.httpd._compat import GET, WsgiServer, hello, serving
from tests.httpd._live import call_in

LOG_LINE = re.compile(
    r'127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4} \d\d:\d\d:\d\d\] "GET / HTTP/1\.1" 200 (\d+) \d+\.\d{6}$'
)


def test_log_lines_have_upstream_wording_and_fields() -> None:
    with serving(hello) as server:
        data = server.raw(GET + GET)
    lines = server.log_text.splitlines()
    pid = os.getpid()
    assert lines[0] == f"({pid}) wsgi starting up on http://127.0.0.1:{server.port}"
    assert re.fullmatch(rf"\({pid}\) accepted \('127\.0\.0\.1', \d+\)", lines[1])
    access = [LOG_LINE.fullmatch(line) for line in lines[2:4]]
    assert all(access)
    # body_length: every byte written for the response, head included (upstream counts so).
    assert [int(m.group(1)) for m in access if m] == [len(data) // 2] * 2
    assert lines[-2] == "wsgi exiting"
    assert lines[-1] == f"({pid}) wsgi exited, is_accepting=True"


def test_log_format_fields_and_client_port() -> None:
    fmt = "%(client_ip)s|%(client_port)s|%(request_line)s|%(status_code)s|%(body_length)s"
    with serving(hello, log_format=fmt) as server, server.connect() as sock:
        sock.sendall(b"GET /x?y=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = read_until_closed(sock)
        port = sock.getsockname()[1]
    assert f"\n127.0.0.1|{port}|GET /x?y=1 HTTP/1.1|200|{len(data)}\n" in server.log_text


def read_until_closed(sock: socket.socket) -> bytes:
    chunks = []
    while data := sock.recv(65536):
        chunks.append(data)
    return b"".join(chunks)


def test_x_forwarded_for_in_log_unless_turned_off() -> None:
    request = b"GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 1.2.3.4, 5.6.7.8\r\n\r\n"
    with serving(hello) as server:
        server.raw(request)
    assert "\n1.2.3.4,5.6.7.8,127.0.0.1 - - [" in server.log_text
    with serving(hello, log_x_forwarded_for=False) as server:
        server.raw(request)
    assert "1.2.3.4" not in server.log_text
    assert "\n127.0.0.1 - - [" in server.log_text


def test_log_output_false_logs_nothing() -> None:
    with serving(hello, log_output=False) as server:
        server.raw(GET)
    assert server.log_text == ""


def test_debug_false_drops_debug_lines_only() -> None:
    with serving(hello, debug=False) as server:
        server.raw(GET)
    assert "accepted" not in server.log_text
    assert "wsgi starting up" in server.log_text
    assert '"GET / HTTP/1.1" 200' in server.log_text


def test_a_logger_is_used_as_is(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("tests.wsgi.access")
    with caplog.at_level(logging.DEBUG, "tests.wsgi.access"), serving(hello, log=log) as server:
        server.raw(GET)
    messages = [r.getMessage() for r in caplog.records if r.name == "tests.wsgi.access"]
    assert any("wsgi starting up" in m for m in messages)
    assert any('"GET / HTTP/1.1" 200' in m for m in messages)
    assert wsgi.get_logger(log, True) is log


def test_logger_wrappers() -> None:
    out = io.StringIO()
    wrapper = wsgi.LoggerFileWrapper(out, debug=False)
    wrapper.info("a %s", 1)
    wrapper.error("b %d%%", 2)
    wrapper.debug("hidden")
    wrapper.write("100%")  # no args: no formatting
    assert out.getvalue() == "a 1\nb 2%\n100%\n"
    null = wsgi.LoggerNull()
    for method in (null.info, null.error, null.debug, null.write):
        method("x %s", 1)
    assert isinstance(wsgi.get_logger(None, True), wsgi.LoggerFileWrapper)


def test_default_log_is_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    server = WsgiServer(hello, log=None)
    try:
        server.raw(GET)
    finally:
        server.stop()
    err = capfd.readouterr().err
    assert "wsgi starting up" in err
    assert '"GET / HTTP/1.1" 200' in err


def test_unix_socket_in_log_and_environ(tmp_path: Path) -> None:
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(environ)
        return hello(environ, start_response)

    path = str(tmp_path / "sock")
    with serving(app, sock=lambda: eventlet.listen(path, socket.AF_UNIX)) as server:
        responses = server.exchange(b"GET / HTTP/1.0\r\n\r\n")
    assert responses[0].status == 200
    assert f"wsgi starting up on http:{path}\n" in server.log_text
    assert "\nunix - - [" in server.log_text
    assert (seen["SERVER_NAME"], seen["SERVER_PORT"], seen["REMOTE_ADDR"], seen["REMOTE_PORT"]) == (
        "unix",
        "",
        "unix",
        "",
    )


def test_ipv6_listener_in_log() -> None:
    try:
        probe = socket.socket(socket.AF_INET6)
        probe.bind(("::1", 0))
        probe.close()
    except OSError:
        pytest.skip("no IPv6 loopback")
    server = WsgiServer(hello, sock=lambda: eventlet.listen(("::1", 0), socket.AF_INET6))
    try:
        responses = server.exchange(GET)
    finally:
        server.stop()
    assert responses[0].body == b"hello world"
    assert f"wsgi starting up on http://[::1]:{server.port}" in server.log_text


def test_keyboard_interrupt_stops_and_closes_only_the_given_socket() -> None:
    base = eventlet.listen(("127.0.0.1", 0))
    given = base.dup()
    thread = eventlet.spawn(wsgi.server, given, hello, log=io.StringIO())
    client = eventlet.connect(base.getsockname())
    client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert client.recv(65536).endswith(b"hello world")
    thread.kill(KeyboardInterrupt)
    assert thread.wait() is None  # returned normally
    assert client.recv(1) == b""  # the idle keep-alive connection was shut down
    with pytest.raises(OSError, match="Bad file descriptor") as caught:
        given.accept()
    assert caught.value.errno == errno.EBADF
    assert base.fileno() >= 0  # the original stays usable
    thread = eventlet.spawn(wsgi.server, base, hello, log=io.StringIO())
    assert b"hello world" in _get(base.getsockname())
    thread.kill()
    client.close()


def _get(address: Any) -> bytes:
    sock = eventlet.connect(address)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    sock.close()
    return data


def test_stop_waits_for_a_request_in_progress_then_returns() -> None:
    entered = threading.Event()
    release: eventlet.Event[None] = eventlet.Event()

    def slow(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["PATH_INFO"] == "/busy":
            entered.set()
            release.wait()
        return hello(environ, start_response)

    server = WsgiServer(slow)
    with server.connect() as busy, server.connect() as idle:
        idle.sendall(GET)
        assert b"hello world" in idle.recv(65536)
        busy.sendall(b"GET /busy HTTP/1.1\r\nHost: x\r\n\r\n")
        assert entered.wait(5)
        stopper = threading.Thread(target=server.stop, args=(None,))
        stopper.start()
        assert idle.recv(1) == b""  # idle: closed at once
        server.turns()
        assert stopper.is_alive()  # waiting for the busy one
        call_in(server.hub, release.send)
        data = read_until_closed(busy)
        stopper.join(10)
    assert data.count(b"HTTP/1.1 200 OK") == 1
    assert b"Connection: close" in data  # it knew the server was stopping
    assert not server.thread.is_alive()


def test_stop_timeout_kills_what_is_left_and_stop_is_idempotent() -> None:
    entered = threading.Event()

    def stuck(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        entered.set()
        eventlet.sleep(60)
        raise AssertionError("not reached")  # pragma: no cover

    server = WsgiServer(stuck)
    with server.connect() as sock:
        sock.sendall(GET)
        assert entered.wait(5)
        server.stop(0.2)  # its join gives up after 10 s: the stuck request was killed before
        assert read_until_closed(sock) == b""
    server.stop(0.2)  # again: nothing to do
    assert not server.thread.is_alive()


def test_stop_from_a_green_thread_of_the_server_hub() -> None:
    listener = eventlet.listen(("127.0.0.1", 0))
    box: list[Any] = []

    class Grab:
        def send(self, server: Any) -> None:
            box.append(server)

    thread = eventlet.spawn(wsgi.server, listener, hello, log=io.StringIO(), server_event=Grab())
    with pytest.warns(DeprecationWarning, match="server_event"):
        hub_turns()  # the server starts, and warns
    box[0].stop()
    assert thread.dead
    box[0].stop()  # stopped already


def test_stop_before_serving_makes_server_return_at_once() -> None:
    listener = eventlet.listen(("127.0.0.1", 0))

    class StopFirst:
        def send(self, server: Any) -> None:
            server.stop()

    with pytest.warns(DeprecationWarning, match="server_event"):
        wsgi.server(listener, hello, log=io.StringIO(), server_event=StopFirst())
    assert listener.fileno() == -1


def test_is_accepting_false_ends_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    log = io.StringIO()
    listener = eventlet.listen(("127.0.0.1", 0))
    thread = eventlet.spawn(wsgi.server, listener, hello, log=log)
    hub_turns()
    monkeypatch.setattr(wsgi, "is_accepting", False)
    # Connected and sent before the server accepts: the request is waiting when the loop ends,
    # so it is served rather than cut (an idle connection would be shut down).
    client = GreenSocket(socket.create_connection(listener.getsockname()))
    client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    thread.wait()
    data = read_until_closed(client)
    client.close()
    assert b"hello world" in data
    assert b"Connection: close" in data
    assert "wsgi exited, is_accepting=False" in log.getvalue()


def test_custom_pool_is_used_and_must_have_spawn_and_waitall() -> None:
    pool = eventlet.GreenPool(3)
    log = io.StringIO()
    listener = eventlet.listen(("127.0.0.1", 0))
    thread = eventlet.spawn(wsgi.server, listener, hello, log=log, custom_pool=pool)
    assert b"hello world" in _get(listener.getsockname())
    thread.kill()
    pool.waitall()
    with pytest.raises(AttributeError, match="spawn"):
        wsgi.server(eventlet.listen(("127.0.0.1", 0)), hello, custom_pool=object(), log=log)


def test_max_size_bounds_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wsgi, "DEFAULT_MAX_SIMULTANEOUS_REQUESTS", 1)
    release: eventlet.Event[Any] = eventlet.Event()

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["PATH_INFO"] == "/wait":
            release.wait()
        return hello(environ, start_response)

    listener = eventlet.listen(("127.0.0.1", 0))
    thread = eventlet.spawn(wsgi.server, listener, app, log=io.StringIO())
    first = eventlet.connect(listener.getsockname())
    first.sendall(b"GET /wait HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    second = eventlet.spawn(_get, listener.getsockname())
    hub_turns(3)  # second has connected and sent its request
    assert not second.dead  # the pool of one is busy with the first
    release.send()
    assert b"hello world" in second.wait()
    first.close()
    thread.kill()


def test_server_event_is_deprecated_but_sent() -> None:
    box: list[Any] = []

    class Grab:
        def send(self, server: Any) -> None:
            box.append(server)
            server.stop()

    with pytest.warns(DeprecationWarning, match="server_event kwarg is deprecated"):
        wsgi.server(eventlet.listen(("127.0.0.1", 0)), hello, log=io.StringIO(), server_event=Grab())
    assert isinstance(box[0], wsgi.Server)
    assert isinstance(box[0], wsgi.BaseHTTPServer.HTTPServer)


def test_server_attributes_environ_and_log_message() -> None:
    listener = eventlet.listen(("127.0.0.1", 0))
    with pytest.warns(DeprecationWarning, match="capitalize_response_headers"):
        serv = wsgi.Server(
            listener, listener.getsockname(), hello, environ={"extra": 1}, capitalize_response_headers=False
        )
    env = serv.get_environ()
    assert env["wsgi.url_scheme"] == "http"
    assert "HTTPS" not in env
    assert env["extra"] == 1
    assert (serv.keepalive, serv.debug, serv.socket_timeout, serv.minimum_chunk_size) == (
        True,
        True,
        None,
        None,
    )
    assert serv.url_length_limit == wsgi.MAX_REQUEST_LINE
    assert serv.protocol is wsgi.HttpProtocol
    with pytest.raises(AttributeError, match=r"server\.log\.info"):
        serv.log_message("x")
    listener.close()


class _Flaky(GreenSocket):
    """A listening socket whose next accepts raise the errors queued in ``errors``."""

    errors: list[OSError]

    def accept(self) -> Any:
        if self.errors:
            raise self.errors.pop(0)
        return super().accept()


def _flaky(*errors: OSError) -> _Flaky:
    base = eventlet.listen(("127.0.0.1", 0))
    sock = _Flaky(base.family, base.type, base.proto, os.dup(base.fileno()))
    base.close()
    sock.errors = list(errors)
    return sock


def test_accept_errors_transient_resource_and_fatal(caplog: pytest.LogCaptureFixture) -> None:
    sock = _flaky(
        OSError(errno.ECONNABORTED, "aborted"),
        OSError(errno.EMFILE, "too many"),
        OSError(errno.EMFILE, "still"),
    )
    thread = eventlet.spawn(wsgi.server, sock, hello, log=io.StringIO())
    with caplog.at_level(logging.WARNING, "eventlet.wsgi"):
        assert b"hello world" in _get(sock.getsockname())
    assert [r.getMessage() for r in caplog.records].count(
        "wsgi cannot accept ([Errno 24] too many): backing off until it clears"
    ) == 1
    thread.kill()
    # An error upstream ends the server on (peer reset before accept): it returns quietly.
    sock = _flaky(OSError(errno.ECONNRESET, "reset"))
    wsgi.server(sock, hello, log=io.StringIO())
    # Any other error is raised, after the connections finished.
    sock = _flaky(OSError(errno.EINVAL, "Invalid argument"))
    with pytest.raises(OSError, match="Invalid argument"):
        wsgi.server(sock, hello, log=io.StringIO())


def test_a_socket_that_does_not_listen_raises() -> None:
    sock = eventlet.green.socket.socket()
    sock.bind(("127.0.0.1", 0))
    with pytest.raises(OSError, match="Invalid argument") as caught:
        wsgi.server(sock, hello, log=io.StringIO())
    assert caught.value.errno == errno.EINVAL


def test_process_request_serves_in_the_caller_and_logs_timeouts() -> None:
    listener = eventlet.listen(("127.0.0.1", 0))
    log = io.StringIO()
    serv = wsgi.Server(listener, listener.getsockname(), hello, log=log, socket_timeout=0.05)
    client = eventlet.connect(listener.getsockname())
    conn, addr = listener.accept()
    conn.settimeout(serv.socket_timeout)
    client.sendall(b"GET / HTTP/1.1\r\n")  # and no more: the head times out
    serv.process_request([addr, conn, wsgi.STATE_IDLE])
    assert f"({os.getpid()}) timed out {addr!r}" in log.getvalue()
    assert conn.fileno() == -1
    assert client.recv(1) == b""
    client.close()
    listener.close()


def test_ssl_errors_of_accept_are_upstreams() -> None:
    assert ssl.SSL_ERROR_EOF in wsgi.ACCEPT_ERRNO
    assert errno.EPIPE in wsgi.ACCEPT_ERRNO
    assert (OSError, ssl.SSLError) == wsgi.ACCEPT_EXCEPTIONS


def test_explicit_max_size_and_concurrent_stops() -> None:
    listener = eventlet.listen(("127.0.0.1", 0))
    box: list[Any] = []
    release: eventlet.Event[Any] = eventlet.Event()

    class Grab:
        def send(self, server: Any) -> None:
            box.append(server)

    def slow(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        release.wait()
        return hello(environ, start_response)

    thread = eventlet.spawn(wsgi.server, listener, slow, log=io.StringIO(), max_size=2, server_event=Grab())
    with pytest.warns(DeprecationWarning, match="server_event"):
        hub_turns()  # the server starts, and warns
    busy = eventlet.spawn(_get, listener.getsockname())
    hub_turns(3)  # busy is in the application
    stoppers = [eventlet.spawn(box[0].stop) for _ in range(2)]  # the second finds a stop under way
    hub_turns(3)
    assert not any(s.dead for s in stoppers)
    release.send()
    for stopper in stoppers:
        stopper.wait()
    assert thread.dead
    assert b"hello world" in busy.wait()


class _ClosesUnder(_Flaky):
    """Closes its fd behind its own back, then fails accept: closing it later fails too."""

    def accept(self) -> Any:
        os.close(self.fileno())
        raise OSError(errno.EINVAL, "Invalid argument")


def test_listening_socket_that_cannot_be_closed_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    base = eventlet.listen(("127.0.0.1", 0))
    sock = _ClosesUnder(base.family, base.type, base.proto, os.dup(base.fileno()))
    base.close()
    with caplog.at_level(logging.ERROR, "eventlet.wsgi"), pytest.raises(OSError, match="Invalid argument"):
        wsgi.server(sock, hello, log=io.StringIO())
    assert any("closing the listening socket failed" in r.getMessage() for r in caplog.records)
