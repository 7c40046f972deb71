"""Trusted proxies: forwarding headers and the PROXY protocol, in process and behind a real nginx."""

from __future__ import annotations

import socket
import ssl
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from eventlet.httpd import Server
from eventlet.httpd._forwarded import ForwardedApp, TrustedPeers, parse_forwarded
from eventlet.httpd._proxy import V2_SIGNATURE, ProxyHeaderError, header_length, parse_header
from tests.httpd import _nginx
from tests.httpd._live import live, parse_responses, read_all
from tests.httpd._procs import Proc

StartResponse = Callable[..., Any]


def env_app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    seen = (
        environ["REMOTE_ADDR"],
        environ["REMOTE_PORT"],
        environ["wsgi.url_scheme"],
        environ.get("HTTP_HOST", "-"),
        environ.get("HTTPS", "-"),
    )
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [" ".join(seen).encode()]


def _ask(port: int, headers: str = "", source: str = "127.0.0.1", prefix: bytes = b"") -> list[str]:
    """GET /env from ``source``; the application's view, split."""
    with socket.socket() as sock:
        sock.bind((source, 0))
        sock.settimeout(10)
        sock.connect(("127.0.0.1", port))
        sock.sendall(
            prefix + f"GET /env HTTP/1.1\r\nHost: direct\r\n{headers}Connection: close\r\n\r\n".encode()
        )
        response = parse_responses(read_all(sock))[0]
    assert response.status == 200, response.body
    return response.body.decode().split(" ")


# -- the pieces ------------------------------------------------------------------------------


def test_trusted_peers() -> None:
    peers = TrustedPeers("127.0.0.1, 10.0.0.0/8 ,::1")
    assert "127.0.0.1" in peers
    assert "10.1.2.3" in peers
    assert "::1" in peers
    assert "" in peers
    assert "127.0.0.2" not in peers
    assert "11.0.0.1" not in peers
    assert "junk" not in peers
    assert "10.1.2.3" in peers  # cached verdict
    assert 42 not in peers
    assert "203.0.113.9" in TrustedPeers("*")
    assert "x" in TrustedPeers(["*"])
    assert "127.0.0.1" not in TrustedPeers([])
    assert "" in TrustedPeers([])
    assert "10.0.0.0/8" in repr(peers)
    assert repr(TrustedPeers("*")) == "TrustedPeers('*')"
    with pytest.raises(ValueError, match="not an IP address"):
        TrustedPeers("localhost")


def test_parse_forwarded() -> None:
    assert parse_forwarded('for=192.0.2.60;proto=http;by=203.0.113.43, For="[2001:db8:cafe::17]:4711"') == [
        {"for": "192.0.2.60", "proto": "http", "by": "203.0.113.43"},
        {"for": "[2001:db8:cafe::17]:4711"},
    ]
    assert parse_forwarded('for="a,b\\"c";host=x') == [{"for": 'a,b"c', "host": "x"}]
    assert parse_forwarded(" , ") == []


def _call(app: ForwardedApp, **environ: Any) -> dict[str, Any]:
    env = {"REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "5000", "wsgi.url_scheme": "http", **environ}
    app(env, None)  # type: ignore[arg-type]  # the inner applications never call start_response
    return env


def test_forwarded_headers_rewrite_the_environ() -> None:
    app = ForwardedApp(lambda env, sr: None, TrustedPeers("127.0.0.1,10.0.0.0/8"))
    env = _call(
        app,
        HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7, 10.0.0.5",
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_X_FORWARDED_HOST="example.com",
    )
    # from the right: 10.0.0.5 is a trusted proxy, 198.51.100.7 is the client, 6.6.6.6 is its claim
    assert env["REMOTE_ADDR"] == "198.51.100.7"
    assert env["REMOTE_PORT"] == "0"
    assert env["wsgi.url_scheme"] == "https"
    assert env["HTTPS"] == "on"
    assert env["HTTP_HOST"] == "example.com"
    env = _call(app, HTTP_X_FORWARDED_PROTO="http", HTTPS="on")
    assert env["wsgi.url_scheme"] == "http"
    assert "HTTPS" not in env
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    env = _call(app, HTTP_X_FORWARDED_PROTO="gopher", HTTP_X_FORWARDED_FOR="1.2.3.4:5678")
    assert env["wsgi.url_scheme"] == "http"
    assert env["REMOTE_ADDR"] == "1.2.3.4"
    env = _call(app, HTTP_X_FORWARDED_FOR="10.0.0.1, 10.0.0.2", HTTP_X_FORWARDED_PROTO="https, http")
    assert env["REMOTE_ADDR"] == "10.0.0.1"
    assert env["wsgi.url_scheme"] == "https"  # all trusted: leftmost
    env = _call(app, HTTP_X_FORWARDED_FOR=" , ", HTTP_X_FORWARDED_HOST="a, b, c")
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    assert env["HTTP_HOST"] == "c"
    env = _call(
        app,
        HTTP_FORWARDED='for=6.6.6.6, for="[2001:db8::1]:4711";proto=https;host=example.org, for=10.0.0.9',
        HTTP_X_FORWARDED_FOR="9.9.9.9",  # Forwarded wins
    )
    assert env["REMOTE_ADDR"] == "2001:db8::1"
    assert env["wsgi.url_scheme"] == "https"
    assert env["HTTP_HOST"] == "example.org"
    env = _call(app, HTTP_FORWARDED="for=_hidden;proto=https")
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    assert env["wsgi.url_scheme"] == "https"
    env = _call(app, HTTP_FORWARDED="by=10.0.0.1")
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    env = _call(app, HTTP_FORWARDED="")
    assert env["REMOTE_ADDR"] == "127.0.0.1"


def test_proxy_header_parsing() -> None:
    assert header_length(b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\nGET") == 32
    assert header_length(b"PROX") == -1
    assert header_length(b"PROXY TCP4 1.2") == -1
    assert header_length(V2_SIGNATURE[:5]) == -1
    v2 = V2_SIGNATURE + bytes([0x21, 0x11]) + struct.pack("!H", 12)
    assert header_length(v2) == -1
    assert header_length(v2 + b"\0" * 12) == 28
    for bad in (b"GET / HTTP/1.1", b"\r\nX", b"PROXY " + b"x" * 200):
        with pytest.raises(ProxyHeaderError):
            header_length(bad)
    with pytest.raises(ProxyHeaderError, match="too long"):
        header_length(V2_SIGNATURE + b"\x21\x11\xff\xff")
    assert parse_header(b"PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n") == ("192.0.2.1", 56324)
    assert parse_header(b"PROXY TCP6 2001:db8::1 2001:db8::2 1 443\r\n") == ("2001:db8::1", 1)
    assert parse_header(b"PROXY UNKNOWN\r\n") is None
    assert parse_header(b"PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n") is None
    for bad in (
        b"PROXY TCP4 192.0.2.1 198.51.100.1 56324\r\n",
        b"PROXY TCP4 2001:db8::1 198.51.100.1 1 2\r\n",
        b"PROXY TCP4 192.0.2.1 198.51.100.1 01 2\r\n",
        b"PROXY TCP4 192.0.2.1 198.51.100.1 1 70000\r\n",
        b"PROXY TCP5 a b 1 2\r\n",
        b"PROXY TCP4 \xff 1 2 3\r\n",
    ):
        with pytest.raises(ProxyHeaderError):
            parse_header(bad)
    ipv4 = bytes([192, 0, 2, 1, 198, 51, 100, 1]) + struct.pack("!HH", 56324, 443)
    assert parse_header(V2_SIGNATURE + b"\x21\x11" + struct.pack("!H", 12) + ipv4) == ("192.0.2.1", 56324)
    ipv6 = bytes(15) + b"\x01" + bytes(15) + b"\x02" + struct.pack("!HH", 7, 443)
    assert parse_header(V2_SIGNATURE + b"\x21\x21" + struct.pack("!H", 36) + ipv6) == ("::1", 7)
    assert parse_header(V2_SIGNATURE + b"\x20\x00\x00\x00") is None  # LOCAL
    assert parse_header(V2_SIGNATURE + b"\x21\x31\x00\x00") is None  # AF_UNIX
    for bad in (b"\x11\x11\x00\x00", b"\x22\x11\x00\x00", b"\x21\x11\x00\x02ab", b"\x21\x41\x00\x00"):
        with pytest.raises(ProxyHeaderError):
            parse_header(V2_SIGNATURE + bad)


# -- a live server ---------------------------------------------------------------------------


def test_forwarded_headers_only_from_trusted_peers() -> None:
    headers = "X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: example.com\r\n"
    with live(env_app, forwarded_allow_ips="127.0.0.1") as server:
        assert _ask(server.port, headers) == ["6.6.6.6", "0", "https", "example.com", "on"]
        untrusted = _ask(server.port, headers, source="127.0.0.2")
        assert untrusted[0] == "127.0.0.2"
        assert untrusted[2:] == ["http", "direct", "-"]
        plain = _ask(server.port)  # no headers: as it is
        assert plain[0] == "127.0.0.1"
        assert plain[1] != "0"
        assert plain[2] == "http"
    with live(env_app) as server:  # off by default
        assert _ask(server.port, headers)[0] == "127.0.0.1"


def test_proxy_protocol_v1_and_v2_from_trusted_peers() -> None:
    with pytest.raises(ValueError, match="proxy_protocol needs forwarded_allow_ips"):
        Server(env_app, port=0, proxy_protocol=True)
    v1 = b"PROXY TCP4 203.0.113.7 127.0.0.1 5555 80\r\n"
    addresses = bytes([203, 0, 113, 8, 127, 0, 0, 1]) + struct.pack("!HH", 6666, 80)
    v2 = V2_SIGNATURE + b"\x21\x11" + struct.pack("!H", 12) + addresses
    local = V2_SIGNATURE + b"\x20\x00\x00\x00"
    with live(env_app, proxy_protocol=True, forwarded_allow_ips="127.0.0.1") as server:
        assert _ask(server.port, prefix=v1)[:2] == ["203.0.113.7", "5555"]
        assert _ask(server.port, prefix=v2)[:2] == ["203.0.113.8", "6666"]
        assert _ask(server.port, prefix=local)[0] == "127.0.0.1"  # a balancer's health check
        # The header in pieces (peeked and read without taking a byte of the request).
        with server.connect() as sock:
            sock.sendall(v1[:10])
            sock.sendall(v1[10:] + b"GET /env HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert parse_responses(read_all(sock))[0].body.startswith(b"203.0.113.7 5555")
        # A trusted peer without a header, or with a broken one: closed without an answer.
        for data in (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"PROXY TCP4 x\r\n", b"PROXY TCP4 1.2"):
            with server.connect() as sock:
                sock.sendall(data)
                try:
                    sock.shutdown(socket.SHUT_WR)
                except OSError:  # already closed by the server
                    pass
                assert read_all(sock) == b""
        # An untrusted peer is not expected to send one: its PROXY line is a bad request.
        with socket.socket() as sock:
            sock.bind(("127.0.0.2", 0))
            sock.connect(("127.0.0.1", server.port))
            sock.sendall(v1 + b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert parse_responses(read_all(sock))[0].status == 400
        # Forwarding headers are believed from the client PROXY names only if it is trusted.
        trusted_v1 = b"PROXY TCP4 127.0.0.1 127.0.0.1 7 80\r\n"
        assert _ask(server.port, "X-Forwarded-For: 6.6.6.6\r\n", prefix=trusted_v1)[0] == "6.6.6.6"
        assert _ask(server.port, "X-Forwarded-For: 6.6.6.6\r\n", prefix=v1)[0] == "203.0.113.7"
    with live(env_app, proxy_protocol=True, forwarded_allow_ips="127.0.0.1", header_timeout=0.2) as server:
        with server.connect() as sock:  # no header in time: closed
            assert read_all(sock) == b""


def test_proxy_protocol_before_tls(tmp_path: Path) -> None:
    pytest.importorskip("eventlet.ssl", reason="eventlet-ssl is not installed")
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("localhost")
    certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(certfile))
    cert.private_key_pem.write_to_path(str(keyfile))
    options = {"certfile": str(certfile), "keyfile": str(keyfile)}
    with live(env_app, proxy_protocol=True, forwarded_allow_ips="127.0.0.1", **options) as server:
        context = ssl.create_default_context()
        ca.configure_trust(context)
        with server.connect() as raw:
            raw.sendall(b"PROXY TCP4 203.0.113.9 127.0.0.1 4444 443\r\n")
            with context.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.sendall(b"GET /env HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                body = parse_responses(read_all(tls))[0].body
    assert body.decode().split(" ")[:3] == ["203.0.113.9", "4444", "https"]


# -- behind a real nginx ---------------------------------------------------------------------

needs_nginx = pytest.mark.skipif(
    _nginx.nginx_binary() is None, reason="nginx is not installed (.ci/services)"
)


@pytest.fixture(scope="module")
def tls_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    trustme = pytest.importorskip("trustme")
    folder = tmp_path_factory.mktemp("nginx-tls")
    cert = trustme.CA().issue_cert("example.com")
    certfile, keyfile = folder / "cert.pem", folder / "key.pem"
    cert.cert_chain_pems[0].write_to_path(str(certfile))
    cert.private_key_pem.write_to_path(str(keyfile))
    return certfile, keyfile


def _unverified() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the client only needs the scheme nginx reports
    return context


@needs_nginx
@pytest.mark.parametrize("upstream", ["unix", "tcp"])
def test_behind_nginx(upstream: str, tmp_path: Path, tls_cert: tuple[Path, Path], procs: list[Proc]) -> None:
    """The guide's nginx site in front of ``python -m eventlet.httpd`` (default trusted proxies)."""
    sock_path = tmp_path / "http.sock"
    if upstream == "unix":
        proc = Proc("tests.httpd._cli_app:app", "--bind", f"unix:{sock_path}")
        procs.append(proc)
        proc.wait_for("serving on")
        upstream_line = f"server unix:{sock_path};"
        direct_port = 0
    else:
        proc = Proc("tests.httpd._cli_app:app", "--bind", "127.0.0.1:0")
        procs.append(proc)
        direct_port = proc.port()
        upstream_line = f"server 127.0.0.1:{direct_port};"
    http_port, https_port = _nginx.free_port(), _nginx.free_port()
    certfile, keyfile = tls_cert
    site = _nginx.site_config(
        {
            "server unix:/run/myapp/http.sock;": upstream_line,
            "listen 80;": f"listen 127.0.0.1:{http_port};",
            "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
            "/etc/ssl/certs/example.com.pem": str(certfile),
            "/etc/ssl/private/example.com.key": str(keyfile),
        }
    )
    nginx = _nginx.Nginx(tmp_path, http=site)
    try:
        nginx.wait_port(http_port)
        nginx.wait_port(https_port)
        spoof = "X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Proto: https\r\n"
        for _ in range(3):  # several requests: nginx reuses its kept-alive upstream connections
            seen = _ask_host(http_port, "example.com", spoof, source="127.0.0.2")
            # the client is the address nginx saw, not what it claimed; the scheme is nginx's
            assert seen[0] == "127.0.0.2"
            assert seen[2:4] == ["http", "example.com"]
        with socket.create_connection(("127.0.0.1", https_port), timeout=10) as raw:
            with _unverified().wrap_socket(raw, server_hostname="example.com") as tls:
                tls.sendall(b"GET /env HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n")
                body = parse_responses(read_all(tls))[0].body
        assert body.decode().split(" ")[2:4] == ["https", "example.com"]
        if direct_port:  # straight to the server from an untrusted address: headers ignored
            assert _ask_host(direct_port, "direct", spoof, source="127.0.0.2")[::2] == ["127.0.0.2", "http"]
    finally:
        nginx.stop()


def _ask_host(port: int, host: str, headers: str, source: str) -> list[str]:
    with socket.socket() as sock:
        sock.bind((source, 0))
        sock.settimeout(10)
        sock.connect(("127.0.0.1", port))
        sock.sendall(f"GET /env HTTP/1.1\r\nHost: {host}\r\n{headers}Connection: close\r\n\r\n".encode())
        response = parse_responses(read_all(sock))[0]
    assert response.status == 200, (response.status, response.body)
    return response.body.decode().split(" ")


@needs_nginx
@pytest.mark.skipif(_nginx.stream_module() is None, reason="nginx's stream module is not installed")
def test_behind_nginx_stream_with_proxy_protocol(tmp_path: Path, procs: list[Proc]) -> None:
    """The guide's layer-4 nginx sending PROXY protocol v1 to ``eventlet-httpd --proxy-protocol``."""
    proc = Proc("tests.httpd._cli_app:app", "--bind", "127.0.0.1:0", "--proxy-protocol")
    procs.append(proc)
    port = proc.port()
    front = _nginx.free_port()
    stream = _nginx.site_config(
        {
            "listen 8443;": f"listen 127.0.0.1:{front};",
            "proxy_pass 127.0.0.1:8000;": f"proxy_pass 127.0.0.1:{port};",
        },
        "nginx-stream.conf",
    )
    nginx = _nginx.Nginx(tmp_path, stream=stream)
    try:
        nginx.wait_port(front)
        seen = _ask_host(front, "example.com", "", source="127.0.0.3")
        assert seen[0] == "127.0.0.3"
        assert seen[1] != "0"  # the client's own address and port
    finally:
        nginx.stop()
