"""Green modules kept under upstream eventlet's names: Python-2 aliases, urllib/http parts, ftplib,
builtin, asyncore/asynchat, profile.  Each is shown to be green: a server and a client in green
threads of one OS thread can only talk if neither blocks it."""

from __future__ import annotations

import errno
import os
import pstats
import sys
import warnings
from typing import IO, Any

import greenlet
import pytest

import eventlet
from eventlet import hubs
from eventlet.green import (
    BaseHTTPServer,
    CGIHTTPServer,
    Queue,
    SimpleHTTPServer,
    SocketServer,
    builtin,
    ftplib,
    profile,
    queue,
    socket,
    socketserver,
    urllib2,
)
from eventlet.green.http import cookiejar, cookies, server
from eventlet.green.urllib import error, parse, request, response


def test_python2_names_are_the_green_modules() -> None:
    for alias in (BaseHTTPServer, SimpleHTTPServer, CGIHTTPServer):
        assert alias.HTTPServer is server.HTTPServer
        assert alias.__all__ == server.__all__
    assert SimpleHTTPServer.SimpleHTTPRequestHandler is server.SimpleHTTPRequestHandler
    assert SocketServer.TCPServer is socketserver.TCPServer
    assert Queue.Queue is queue.Queue
    assert Queue.Empty is queue.Empty
    assert urllib2.urlopen is request.urlopen
    assert urllib2.HTTPError is error.HTTPError
    import http.cookiejar
    import http.cookies
    import urllib.error
    import urllib.parse
    import urllib.response

    assert error.HTTPError is urllib.error.HTTPError
    assert parse.urlsplit is urllib.parse.urlsplit
    assert response.addinfourl is urllib.response.addinfourl
    assert cookies.SimpleCookie is http.cookies.SimpleCookie
    assert cookiejar.CookieJar is http.cookiejar.CookieJar


class _Quiet(BaseHTTPServer.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        body = b"green " + self.path.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_basehttpserver_and_urllib2_talk_within_one_thread() -> None:
    httpd = BaseHTTPServer.HTTPServer(("127.0.0.1", 0), _Quiet)
    port = httpd.socket.getsockname()[1]

    def serve_two() -> None:
        for _ in range(2):
            httpd.handle_request()

    serving = eventlet.spawn(serve_two)
    try:
        assert urllib2.urlopen(f"http://127.0.0.1:{port}/a").read() == b"green /a"
        with pytest.raises(urllib2.HTTPError) as info:
            urllib2.urlopen(f"http://127.0.0.1:{port}/", data=b"x")  # POST: 501, not implemented
        assert info.value.code == 501
        serving.wait()
    finally:
        httpd.server_close()


def test_socketserver_alias_serves_in_a_green_thread() -> None:
    class Echo(SocketServer.StreamRequestHandler):
        def handle(self) -> None:
            self.wfile.write(self.rfile.readline().upper())

    with SocketServer.TCPServer(("127.0.0.1", 0), Echo) as srv:
        serving = eventlet.spawn(srv.handle_request)
        with socket.create_connection(srv.server_address) as client:
            client.sendall(b"hello\n")
            assert client.makefile("rb").readline() == b"HELLO\n"
        serving.wait()


def test_queue_alias_waits_greenly() -> None:
    q: Queue.Queue[Any] = Queue.Queue()

    def put_late() -> None:
        eventlet.sleep(0.01)
        q.put("late")

    eventlet.spawn(put_late)
    assert q.get(timeout=5) == "late"
    with pytest.raises(Queue.Empty):
        q.get(timeout=0.01)


def test_ftplib_client_is_green() -> None:
    listener = eventlet.listen(("127.0.0.1", 0))
    seen: list[bytes] = []

    def ftp_server() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.sendall(b"220 tiny ftp\r\n")
            reader = conn.makefile("rb")
            for line in reader:
                seen.append(line.strip())
                if line.startswith(b"USER"):
                    conn.sendall(b"230 welcome\r\n")
                elif line.startswith(b"QUIT"):
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"500 unknown\r\n")

    serving = eventlet.spawn(ftp_server)
    ftp = ftplib.FTP()
    assert ftp.connect("127.0.0.1", listener.getsockname()[1], timeout=5).startswith("220")
    assert ftp.sock.__class__ is socket.socket
    assert ftp.login("anonymous", "x").startswith("230")
    with pytest.raises(ftplib.error_perm):  # the standard exception classes
        ftp.sendcmd("NOOP")
    ftp.quit()
    serving.wait()
    listener.close()
    assert seen == [b"USER anonymous", b"NOOP", b"QUIT"]
    assert ftplib.all_errors is __import__("ftplib").all_errors


def test_builtin_open_wakes_waiters_of_a_reused_fd_number(tmp_path: Any) -> None:
    fd, w = os.pipe()

    def waiter() -> None:
        hubs.trampoline(fd, read=True)

    gt = eventlet.spawn(waiter)
    eventlet.sleep(0)
    os.close(fd)  # closed behind the waiter's back: no notify_close
    path = tmp_path / "f"
    path.write_text("x")
    opened: list[IO[str]] = []
    try:
        while not opened or opened[-1].fileno() != fd:  # the lowest free numbers first: soon ours
            opened.append(builtin.open(path))
            assert len(opened) < 100
        with pytest.raises(hubs.IOClosed):
            gt.wait()
    finally:
        for f in opened:
            f.close()
        os.close(w)
    assert builtin.len is len  # type: ignore[attr-defined]  # copied
    assert "open" in builtin.__patched__


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="asyncore and asynchat left the stdlib in 3.12")
def test_asyncore_and_asynchat_loop_in_the_hub() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from eventlet.green import asynchat, asyncore

    got: list[bytes] = []

    class LineCollector(asynchat.async_chat):
        def __init__(self, sock: Any, channels: dict[int, Any]) -> None:
            super().__init__(sock, map=channels)
            self.set_terminator(b"\n")
            self.buffer = b""

        def collect_incoming_data(self, data: bytes) -> None:
            self.buffer += data

        def found_terminator(self) -> None:
            got.append(self.buffer)
            self.push(b"ok\n")
            self.close_when_done()

    class Acceptor(asyncore.dispatcher):
        def __init__(self, channels: dict[int, Any]) -> None:
            super().__init__(map=channels)
            self.channels = channels
            self.create_socket(socket.AF_INET, socket.SOCK_STREAM)
            self.bind(("127.0.0.1", 0))
            self.listen(5)

        def handle_accepted(self, sock: Any, addr: Any) -> None:
            LineCollector(sock, self.channels)

    channels: dict[int, Any] = {}
    acceptor = Acceptor(channels)
    loop = eventlet.spawn(asyncore.loop, 0.05, False, channels, 40)
    assert acceptor.socket is not None
    with socket.create_connection(acceptor.socket.getsockname()) as client:
        client.sendall(b"hello\n")
        assert client.makefile("rb").readline() == b"ok\n"
    acceptor.close()
    loop.kill()
    assert got == [b"hello"]


def _worker(n: int) -> int:
    for _ in range(3):
        eventlet.sleep(0)
    return sum(range(n))


def _program() -> list[int]:
    threads = [eventlet.spawn(_worker, 10 * i) for i in range(4)]
    return [gt.wait() for gt in threads]


def test_profile_follows_green_threads(capsys: pytest.CaptureFixture[str]) -> None:
    eventlet.sleep(0)  # the hub exists and is suspended mid-call when profiling starts
    prof = profile.Profile()
    assert prof.runcall(_program) == [0, 45, 190, 435]
    stats = pstats.Stats(prof)
    names = {fn[2] for fn in stats.stats}  # type: ignore[attr-defined]
    assert {"_program", "_worker", "<green thread>"} <= names
    calls = {fn[2]: value[1] for fn, value in stats.stats.items()}  # type: ignore[attr-defined]
    assert calls["_worker"] == 4

    result = profile.Profile().runctx("eventlet.sleep()", {"eventlet": eventlet}, {})
    # ``timings``: the standard Profile's table, not in its stubs
    assert ("profile", 0, "eventlet.sleep()") in result.timings  # type: ignore[attr-defined]

    prof = profile.Profile()
    prof.start()
    prof.start()  # already running: nothing happens
    _program()
    prof.stop()
    prof.create_stats()
    assert any(fn[2] == "_worker" for fn in prof.stats)

    profile.runctx("_program()", {"_program": _program}, {})
    profile.run("len('x')")
    assert "function calls" in capsys.readouterr().out


def test_profile_chains_an_existing_greenlet_trace() -> None:
    events: list[str] = []
    previous = greenlet.settrace(lambda event, args: events.append(event))
    try:
        profile.Profile().runcall(eventlet.sleep, 0)
    finally:
        greenlet.settrace(previous)
    assert "switch" in events


def test_ftp_and_builtin_keep_standard_errors() -> None:
    with pytest.raises(FileNotFoundError) as info:
        builtin.open("/nonexistent/path/for/sure")
    assert info.value.errno == errno.ENOENT


def test_profile_keeps_one_stack_per_green_thread() -> None:
    # The handlers run inside the interpreter's profile hook and greenlet's trace hook, where
    # line tracing is off; here they are called directly, with real frames and greenlets.
    prof = profile.Profile()
    main = greenlet.getcurrent()
    other = greenlet.greenlet(lambda: None)
    main_stack = prof.cur
    prof._switched("switch", (main, other))  # seen for the first time: a root of its own
    assert prof.cur[-1] is None
    assert prof.cur[3] == ("profile", 0, "<green thread>")
    frame = sys._getframe()
    fn = (frame.f_code.co_filename, frame.f_code.co_firstlineno, frame.f_code.co_name)
    prof.dispatch["call"](prof, frame, 0)
    prof.dispatch["call"](prof, frame, 0)  # the same function again: counted as recursive
    assert prof.timings[fn][1] == 1  # type: ignore[attr-defined]
    assert prof.dispatch["return"](prof, sys._getframe(1), 0) == 0  # not the frame on top: ignored
    assert prof.dispatch["return"](prof, frame, 0) == 1
    prof._switched("switch", (other, main))
    assert prof.cur is main_stack
    chained: list[str] = []
    prof._previous_trace = lambda event, args: chained.append(event)
    prof._switched("throw", (main, other))
    assert prof.cur[-2] is frame  # the other green thread's stack is back as it was left
    assert chained == ["throw"]  # a greenlet trace function installed before is still called
    prof._previous_trace = None
    prof.cur = None
    assert prof.dispatch["c_return"](prof, frame, 0) == 0  # no stack: nothing to pop

    prof = profile.Profile()
    prof.start()
    assert prof.runcall(len, "ab") == 2  # already following green threads: still fine
    prof.stop()
    prof.stop()  # stopping twice does nothing more


def test_greenio_base_and_py3_are_greenio() -> None:
    """Upstream's ``eventlet.greenio.base`` and ``.py3`` modules, which programs import from."""
    import socket as std_socket

    from eventlet import greenio
    from eventlet.greenio import base, py3

    assert base.GreenSocket is greenio.GreenSocket
    assert base.set_nonblocking is greenio.set_nonblocking
    assert base.shutdown_safe is greenio.shutdown_safe
    assert base.SOCKET_CLOSED is greenio.SOCKET_CLOSED
    assert base.SOCKET_BLOCKING is greenio.SOCKET_BLOCKING
    assert base.socket_timeout is TimeoutError
    assert base._GLOBAL_DEFAULT_TIMEOUT is vars(std_socket)["_GLOBAL_DEFAULT_TIMEOUT"]
    assert py3.GreenPipe is greenio.GreenPipe
    assert py3.GreenFileIO is greenio.GreenFileIO
    assert py3._fileobject is std_socket.SocketIO
    # CONNECT_ERR / CONNECT_SUCCESS: what a non-blocking connect_ex says before and once connected
    with std_socket.socket() as listener, std_socket.socket() as client:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        client.setblocking(False)
        assert client.connect_ex(listener.getsockname()) in base.CONNECT_ERR | base.CONNECT_SUCCESS
        conn, _ = listener.accept()
        with conn:
            hubs.trampoline(client, write=True, timeout=10)
            assert client.connect_ex(listener.getsockname()) in base.CONNECT_SUCCESS
