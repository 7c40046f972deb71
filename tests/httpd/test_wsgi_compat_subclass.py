"""``eventlet.wsgi`` extended the way programs extend upstream's: nameko, OpenStack Swift, PROXY lines.

Each subclass below is written against upstream eventlet's API, as those projects write theirs.
"""

from __future__ import annotations

import io
import os
import socket
from typing import Any

import pytest

import eventlet
from eventlet import wsgi
from eventlet.green.http import client as http_client
from eventlet.support import get_errno
from eventlet.testing import hub_turns
from eventlet.wsgi import BROKEN_SOCK, BaseHTTPServer, HttpProtocol
from tests.httpd._compat import GET, hello, serving
from tests.httpd._live import parse_responses, read_all


class HttpOnlyProtocol(HttpProtocol):
    """nameko's: upstream's ``finish`` without the TLS-minded shutdown."""

    finished = 0

    def finish(self) -> None:
        try:
            BaseHTTPServer.BaseHTTPRequestHandler.finish(self)
        except OSError as exc:
            if get_errno(exc) not in BROKEN_SOCK:
                raise
        self.connection.close()
        HttpOnlyProtocol.finished += 1


def test_nameko_style_server_with_its_own_accept_loop() -> None:
    listener = eventlet.listen(("127.0.0.1", 0))
    log = io.StringIO()
    serv = wsgi.Server(
        listener, listener.getsockname(), hello, protocol=HttpOnlyProtocol, debug=False, log=log
    )
    assert isinstance(serv, BaseHTTPServer.HTTPServer)

    def accept_loop() -> None:
        while True:
            sock, addr = listener.accept()
            sock.settimeout(serv.socket_timeout)
            eventlet.spawn_n(serv.process_request, [addr, sock, wsgi.STATE_IDLE])

    loop = eventlet.spawn(accept_loop)
    clients = [eventlet.spawn(_get, listener.getsockname()) for _ in range(5)]
    bodies = [c.wait() for c in clients]
    loop.kill()
    listener.close()
    assert all(b.endswith(b"hello world") for b in bodies)
    hub_turns()
    assert HttpOnlyProtocol.finished == 5
    assert issubclass(HttpOnlyProtocol, BaseHTTPServer.BaseHTTPRequestHandler)


def _get(address: Any) -> bytes:
    sock = eventlet.connect(address)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    sock.close()
    return data


def test_process_request_survives_a_client_gone_mid_response() -> None:
    def long_response(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Length", "9876")])
        yield b"a" * 9876

    listener = eventlet.listen(("127.0.0.1", 0))
    serv = wsgi.Server(listener, listener.getsockname(), long_response, log=io.StringIO())
    client = eventlet.connect(listener.getsockname())
    client.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
    client.close()
    sock, addr = listener.accept()
    serv.process_request([addr, sock, wsgi.STATE_IDLE])  # no exception
    listener.close()


class SwiftHttpProtocol(HttpProtocol):
    """OpenStack Swift's, in outline: its own parse_request, MessageClass, environ, errors."""

    default_request_version = "HTTP/1.0"
    reject_bad_requests = False
    errors: list[str] = []

    class MessageClass(HttpProtocol.MessageClass):  # type: ignore[misc]  # HttpProtocol: an Any base
        def get_default_type(self) -> str:
            return ""

    def log_request(self, *args: Any) -> None:
        pass

    def log_message(self, format: str, *args: Any) -> None:
        SwiftHttpProtocol.errors.append(format % args)

    def parse_request(self) -> bool:
        self.command = None
        self.request_version = version = self.default_request_version
        self.close_connection = True
        requestline = self.raw_requestline.decode("iso-8859-1").rstrip("\r\n")
        self.requestline = requestline
        words = requestline.split(" ")
        if len(words) != 3 or not words[2].startswith("HTTP/"):
            self.send_error(400, f"Bad request syntax ({requestline!r})")
            return False
        version = words[2]
        if version >= "HTTP/1.1" and self.protocol_version >= "HTTP/1.1":
            self.close_connection = False
        self.request_version = version
        self.command, self.path = words[0], words[1]
        try:
            # copied from http.client, outside its __all__
            self.headers = http_client.parse_headers(self.rfile, _class=self.MessageClass)  # type: ignore[attr-defined]
        except http_client.HTTPException as err:
            self.send_error(431, "Too many headers", str(err))
            return False
        if self.headers.get("Connection", "").lower() == "close":
            self.close_connection = True
        return True

    def get_environ(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        environ = HttpProtocol.get_environ(self, *args, **kwargs)
        environ["swift.seen"] = "yes"
        return environ

    def _read_request_line(self) -> bytes:
        got = super()._read_request_line()
        self.conn_state[2] = wsgi.STATE_REQUEST
        return got

    def handle_one_request(self) -> None:
        super().handle_one_request()
        if self.conn_state[2] != wsgi.STATE_CLOSE:
            self.conn_state[2] = wsgi.STATE_IDLE

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        self.log_error("code %d, message %s", code, message)
        self.send_response(code, message)
        self.send_header("Connection", "close")
        self.send_header("X-Trans-Id", "tx1")
        self.send_header("Content-Length", "0")
        self.end_headers()


def swift_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("X-Type", environ["CONTENT_TYPE"]), ("X-Seen", environ["swift.seen"])])
    return [b"got:" + body + b":" + environ.get("HTTP_X_OBJECT_META", "").encode()]


def test_swift_style_protocol() -> None:
    raw = (
        b"PUT /v1/a/c/o HTTP/1.1\r\nHost: x\r\nX-Object-Meta: m\r\nContent-Length: 3\r\n\r\nabc"
        b"POST /chunks HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n"
        b"2\r\nhi\r\n0\r\n\r\n" + GET
    )
    with serving(swift_app, protocol=SwiftHttpProtocol) as server:
        responses = server.exchange(raw)
        refused = server.raw(b"BAD\r\n\r\n")
    assert [r.body for r in responses] == [b"got:abc:m", b"got:hi:"]  # chunked wins, then closed
    assert responses[0].getheader("X-Type") == ""
    assert responses[0].getheader("X-Seen") == "yes"
    assert responses[1].getheader("Connection") == "close"
    assert refused.startswith(b"HTTP/1.1 400 Bad request syntax")
    assert b"X-Trans-Id: tx1" in refused
    assert any("400" in line for line in SwiftHttpProtocol.errors)


class ProxiedProtocol(HttpProtocol):
    """A PROXY-protocol line first (as Swift's SwiftHttpProxiedProtocol reads it), then HTTP."""

    def handle(self) -> None:
        line = self.rfile.readline(self.server.url_length_limit)
        parts = line.strip(b"\r\n").split(b" ")
        if parts[0] != b"PROXY" or len(parts) != 6:
            self.close_connection = True
            return
        self.client_address = (parts[2].decode(), parts[4].decode())
        super().handle()


def test_proxy_protocol_line_read_from_rfile_before_http() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [f"{environ['REMOTE_ADDR']}:{environ['REMOTE_PORT']}".encode()]

    with serving(app, protocol=ProxiedProtocol) as server:
        responses = server.exchange(b"PROXY TCP4 10.1.2.3 10.0.0.1 5555 80\r\n" + GET + GET)
        refused = server.raw(GET)
    assert [r.body for r in responses] == [b"10.1.2.3:5555", b"10.1.2.3:5555"]
    assert refused == b""
    assert "\n10.1.2.3 - - [" in server.log_text


def test_formalize_key_naming_and_client_address_hooks() -> None:
    class Keys(HttpProtocol):
        def formalize_key_naming(self, k: str) -> str | None:
            return k.replace("-", "_").upper()  # underscores kept (unsafe: for the test)

        def get_client_address(self) -> tuple[Any, Any]:
            return "client", 1

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [environ.get("HTTP_X_UNDER", "-").encode()]

    with serving(app, protocol=Keys) as server:
        data = server.raw(b"GET / HTTP/1.1\r\nX_Under: yes\r\n\r\n")
    assert data.endswith(b"yes")
    assert "\nclient - - [" in server.log_text


def test_headers_changed_after_parsing_are_seen_by_the_environ() -> None:
    class Extra(HttpProtocol):
        def parse_request(self) -> bool:
            ok = super().parse_request()
            if ok:
                self.headers["X-Added"] = "by subclass"
            return ok

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [environ["HTTP_X_ADDED"].encode(), b"|", environ["headers_raw"][-1][0].encode()]

    with serving(app, protocol=Extra) as server:
        data = server.raw(GET + GET)
    assert data.count(b"by subclass|X-Added") == 2


def test_handle_expect_100_can_refuse() -> None:
    class NoContinue(HttpProtocol):
        def handle_expect_100(self) -> bool:
            self.send_error(417)
            return False

    with serving(hello, protocol=NoContinue) as server:
        data = server.raw(b"PUT / HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 417 ")


def test_send_error_goes_to_the_server_log_not_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    with serving(hello) as server:
        server.raw(b"GET / HTTP/2.0\r\n\r\n")
    assert capfd.readouterr().err == ""
    assert "code 505, message Invalid HTTP version (2.0)" in server.log_text
    assert '"GET / HTTP/2.0" 505 -' in server.log_text


def test_a_socket_without_makefile_is_refused() -> None:
    class Plain:
        def setsockopt(self, *args: Any) -> None:
            raise OSError("not a TCP socket")

    listener = eventlet.listen(("127.0.0.1", 0))
    serv = wsgi.Server(listener, listener.getsockname(), hello, log=io.StringIO())
    with pytest.raises(NotImplementedError, match="doesn't support sockets of type"):
        HttpProtocol(["x", Plain(), wsgi.STATE_IDLE], serv)
    listener.close()


def test_a_closed_rfile_ends_the_connection() -> None:
    class ClosesInput(HttpProtocol):
        def handle_one_request(self) -> None:
            closed = self.rfile.closed
            super().handle_one_request()
            if not closed:
                self.rfile.close()
                self.close_connection = False  # handle() would go on: the closed rfile stops it

    with serving(hello, protocol=ClosesInput) as server, server.connect() as sock:
        sock.sendall(GET)
        data = read_all(sock)
    assert len(parse_responses(data)) == 1


def test_bad_file_descriptor_while_reading_ends_quietly() -> None:
    class ClosesSocket(HttpProtocol):
        def _read_request_line(self) -> bytes:
            if getattr(self, "served", False):
                os.close(self.connection.detach())  # the fd goes away under rfile: EBADF
            self.served = True
            return super()._read_request_line()

    with serving(hello, protocol=ClosesSocket) as server, server.connect() as sock:
        sock.sendall(GET)
        first = sock.recv(65536)
        sock.settimeout(2)
        rest = read_all(sock)
    assert first.endswith(b"hello world")
    assert rest == b""
    assert "Traceback" not in server.log_text


def test_url_scheme_follows_the_listening_socket() -> None:
    class Secureish(socket.socket):
        def do_handshake(self) -> None:  # pragma: no cover - never called
            pass

    fake = Secureish()
    serv = wsgi.Server(fake, ("127.0.0.1", 1), hello, log=io.StringIO())
    env = serv.get_environ()
    fake.close()
    assert env["wsgi.url_scheme"] == "https"
    assert env["HTTPS"] == "on"
    assert wsgi.socket_repr(eventlet.listen(("127.0.0.1", 0))).startswith("http://127.0.0.1:")


def test_unbuffered_rfile_reads_heads_line_by_line() -> None:
    class Unbuffered(HttpProtocol):
        rbufsize = 0  # rfile is the raw socket file: no look-ahead

    def echo(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [environ["HTTP_X_A"].encode(), b":", environ["wsgi.input"].read()]

    with serving(echo, protocol=Unbuffered) as server:
        data = server.raw(
            b"POST / HTTP/1.1\r\nX-A: 1\r\nContent-Length: 2\r\n\r\nhi" + GET.replace(b"GET", b"PUT")
        )
    assert data.count(b"1:hi") == 1


def test_other_errors_of_the_response_end_the_connection_with_them() -> None:
    class Body:
        def __iter__(self) -> Any:
            return iter([b"ok"])

        def close(self) -> None:
            raise OSError(5, "Input/output error")

    def app(environ: dict[str, Any], start_response: Any) -> Body:
        start_response("200 OK", [])
        return Body()

    listener = eventlet.listen(("127.0.0.1", 0))
    serv = wsgi.Server(listener, listener.getsockname(), app, log=io.StringIO())
    client = eventlet.connect(listener.getsockname())
    client.sendall(GET)
    sock, addr = listener.accept()
    with pytest.raises(OSError, match="Input/output error"):
        serv.process_request([addr, sock, wsgi.STATE_IDLE])
    assert client.recv(65536).endswith(b"2\r\nok\r\n0\r\n\r\n")
    assert sock.fileno() == -1
    client.close()
    listener.close()
