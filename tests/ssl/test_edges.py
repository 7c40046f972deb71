"""Edge cases of the green TLS sockets and their plain-socket layer."""

from __future__ import annotations

import datetime
import errno
import socket
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("OpenSSL")

from OpenSSL import SSL

import eventlet
import eventlet.ssl
from eventlet.green import socket as green_socket
from eventlet.hubs import trampoline
from eventlet.ssl import GreenSSLSocket
from eventlet.ssl._pyopenssl import PyOpenSSLSocket, translate_error
from eventlet.ssl._pyopenssl_compat import cert_to_dict
from eventlet.ssl._raw import GreenRawSocket, parse_timeout
from tests.ssl.conftest import BACKENDS, Certs, client_context, connect, server_context


def _raw_pair() -> tuple[GreenRawSocket, GreenRawSocket]:
    a, b = socket.socketpair()
    return GreenRawSocket.take_over(a), GreenRawSocket.take_over(b)


def test_parse_timeout() -> None:
    assert parse_timeout(None) is None
    assert parse_timeout(2) == 2.0
    with pytest.raises(ValueError, match="NaN"):
        parse_timeout(float("nan"))
    with pytest.raises(ValueError, match="range"):
        parse_timeout(-1)
    with socket.socket() as plain:
        for wrong in ("1", b"1"):  # refused as the standard library refuses them
            with pytest.raises(TypeError):
                plain.settimeout(wrong)  # type: ignore[arg-type]
            with pytest.raises(TypeError):
                parse_timeout(wrong)


def test_raw_socket_io(green_hub: Any) -> None:
    a, b = _raw_pair()
    with a, b:
        b.settimeout(0.0)
        with pytest.raises(BlockingIOError):
            b.recv(1)
        b.settimeout(0.05)
        with pytest.raises(TimeoutError):
            b.recv(1)
        b.settimeout(None)
        eventlet.spawn_after(0.01, a.sendall, b"abcdef")
        buf = bytearray(3)
        assert b.recv_into(buf) == 3
        assert buf == b"abc"
        data, _ = b.recvfrom(1)
        assert data == b"d"
        assert b.recvfrom_into(buf)[0] == 2
        a.settimeout(0.05)
        with pytest.raises(TimeoutError):
            a.sendall(b"x" * 10_000_000)  # nobody reads
        a.settimeout(0.0)
        with pytest.raises(BlockingIOError):
            a.sendall(b"x" * 10_000_000)
        fd = a.detach()
        socket.socket(fileno=fd).close()


def test_raw_udp(green_hub: Any) -> None:
    a = GreenRawSocket(socket.AF_INET, socket.SOCK_DGRAM)
    b = GreenRawSocket(socket.AF_INET, socket.SOCK_DGRAM)
    with a, b:
        b.bind(("127.0.0.1", 0))
        assert a.sendto(b"dgram", b.getsockname()) == 5
        assert b.recvfrom(10)[0] == b"dgram"


def test_raw_connect_variants(green_hub: Any, tmp_path: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = [socket.socket() for _ in range(3)]
    for filler in fillers:
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
    probe = GreenRawSocket()
    probe.settimeout(0.0)
    assert probe.connect_ex(("127.0.0.1", port)) in (0, errno.EINPROGRESS)
    probe.close()
    late = GreenRawSocket()
    late.settimeout(0.1)
    try:
        late.connect(("127.0.0.1", port))  # the backlog is full: the SYN goes unanswered
    except TimeoutError:
        pass  # the usual outcome on Linux
    late.close()
    for s in [*fillers, listener]:
        s.close()
    six = socket.socket(socket.AF_INET6)
    six.bind(("::1", 0))
    six.listen()
    with GreenRawSocket(socket.AF_INET6) as client:
        client.connect(("::1", six.getsockname()[1]))
    six.close()
    path = str(tmp_path / "sock")
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(path)
    unix.listen()
    with GreenRawSocket(socket.AF_UNIX) as client:
        client.connect(path)
    unix.close()


def test_translate_error() -> None:
    assert isinstance(translate_error(SSL.WantWriteError()), ssl.SSLWantWriteError)
    assert isinstance(translate_error(SSL.ZeroReturnError()), ssl.SSLZeroReturnError)
    assert isinstance(translate_error(SSL.SysCallError(-1, "Unexpected EOF")), ssl.SSLEOFError)
    reset = translate_error(SSL.SysCallError(errno.ECONNRESET, "ECONNRESET"))
    assert isinstance(reset, ConnectionResetError)
    assert "no shared cipher" in str(translate_error(SSL.Error([("SSL routines", "", "no shared cipher")])))
    assert str(translate_error(SSL.Error())) == "Error()"


def test_cert_without_alt_names() -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bare")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(0xABC)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    info = cert_to_dict(cert)
    assert info["subject"] == ((("commonName", "bare"),),)
    assert info["serialNumber"] == "ABC"
    assert "subjectAltName" not in info
    assert info["version"] == 3


def test_pyopenssl_unusual_settings(certs: Certs, tls_server: Any) -> None:
    server = tls_server(server_context(certs, "pyopenssl"))
    lax = SSL.Context(SSL.TLS_CLIENT_METHOD)  # a plain pyOpenSSL context: no verification
    with connect(server.port, lax, hostname=None) as conn:
        assert conn.getpeercert() == {}
        assert conn.getpeercert(binary_form=True)
    with connect(server.port, lax, hostname="localhost") as conn:  # SNI, but no host check
        conn.sendall(b"x")
        assert conn.recv(1) == b"x"
    sock = green_socket.create_connection(("127.0.0.1", server.port))
    sock.settimeout(0.0)
    with pytest.raises(ValueError, match="non-blocking"):
        eventlet.ssl.wrap_socket(sock, lax)
    listener = eventlet.ssl.wrap_socket(
        eventlet.listen(("127.0.0.1", 0)), server_context(certs, "pyopenssl"), True
    )
    with listener, pytest.raises(ValueError, match="server-side"):
        listener.connect(("127.0.0.1", server.port))


@pytest.mark.parametrize("backend", BACKENDS)
def test_after_unwrap_and_deferred_paths(certs: Certs, tls_server: Any, backend: str) -> None:
    def starttls(conn: Any) -> None:
        conn.recv(1)
        plain = conn.unwrap()
        data = b""
        while len(data) < 5:
            data += plain.recv(5)
        plain.sendall(data)

    server = tls_server(server_context(certs, backend), starttls)
    conn = connect(server.port, client_context(certs, backend))
    conn.sendall(b"u")
    plain = conn.unwrap()
    with plain:
        assert plain.selected_alpn_protocol() is None
        assert plain.version() is None
        assert plain.cipher() is None
        assert plain.pending() == 0
        with pytest.raises(ValueError, match="closed or unwrapped"):
            plain.read(1)
        with pytest.raises(ValueError, match="closed or unwrapped"):
            plain.write(b"x")
        assert plain.send(b"ab") == 2
        plain.sendall(b"cde")
        buf = bytearray(5)
        got = 0
        while got < 5:
            got += plain.recv_into(memoryview(buf)[got:])
        assert buf == b"abcde"


@pytest.mark.parametrize("backend", BACKENDS)
def test_deferred_handshake_on_every_entry_point(certs: Certs, green_hub: Any, backend: str) -> None:
    listener = eventlet.ssl.wrap_socket(
        eventlet.listen(("127.0.0.1", 0)), server_context(certs, backend), True
    )
    listener.settimeout(5.0)
    port = listener.getsockname()[1]
    ctx = client_context(certs, backend)
    calls: list[Callable[[GreenSSLSocket | PyOpenSSLSocket], object]] = [
        lambda s: s.write(b"w"),
        lambda s: s.sendall(b"s"),
        lambda s: s.getpeercert(),
        lambda s: s.selected_alpn_protocol(),
        lambda s: s.cipher(),
        lambda s: s.recv_into(bytearray(1), None) if False else s.version(),
    ]
    for call in calls:
        client = eventlet.spawn(connect, port, ctx)
        server_conn, _ = listener.accept()
        with server_conn:
            assert server_conn.gettimeout() is None  # accepted sockets block (no default timeout)
            call(server_conn)
            assert server_conn.version() is not None
        client.wait().close()
    listener.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_handshake_timeout_variants(certs: Certs, tls_server: Any, backend: str) -> None:
    server = tls_server(server_context(certs, backend))
    ctx = client_context(certs, backend)
    raw = green_socket.create_connection(("127.0.0.1", server.port))
    conn = eventlet.ssl.wrap_socket(
        raw, ctx, server_hostname="localhost", do_handshake_on_connect=False, handshake_timeout=5
    )
    with conn:
        conn.do_handshake()
        assert conn.version()
    later = eventlet.ssl.wrap_socket(
        green_socket.socket(), ctx, server_hostname="localhost", handshake_timeout=5
    )
    with later:
        later.connect(("127.0.0.1", server.port))
        assert later.version()
    nowait = eventlet.ssl.wrap_socket(
        green_socket.socket(), ctx, server_hostname="localhost", do_handshake_on_connect=False
    )
    with nowait:
        nowait.connect(("127.0.0.1", server.port))
        assert nowait.version() is None  # not yet
        nowait.setblocking(False)
        while True:
            try:
                nowait.do_handshake()
                break
            except ssl.SSLWantReadError:
                trampoline(nowait, read=True)
            except ssl.SSLWantWriteError:  # (a handshake's few bytes fit the buffer: not seen here)
                trampoline(nowait, write=True)
        assert nowait.version()


@pytest.mark.parametrize("backend", BACKENDS)
def test_nonblocking_write_backpressure(certs: Certs, tls_server: Any, backend: str) -> None:
    done: eventlet.Event[None] = eventlet.Event()

    def stall_after_a_byte(conn: GreenSSLSocket | PyOpenSSLSocket) -> None:
        if conn.recv(1):
            done.wait()  # the server reads no more until the end of the test

    server = tls_server(server_context(certs, backend), stall_after_a_byte)
    conn = connect(server.port, client_context(certs, backend))
    with conn:
        conn.setblocking(False)

        def flood() -> None:  # the server reads no more until the end of the test
            for _ in range(1000):
                conn.sendall(b"x" * 65536)

        with pytest.raises(ssl.SSLWantWriteError):
            flood()
    done.send()


@pytest.mark.parametrize("backend", BACKENDS)
def test_unwrap_when_peer_closed_first_or_reset(certs: Certs, tls_server: Any, backend: str) -> None:
    def closer(conn: Any) -> None:
        conn.recv(1)
        conn.unwrap()

    server = tls_server(server_context(certs, backend), closer)
    conn = connect(server.port, client_context(certs, backend))
    conn.sendall(b"c")
    assert conn.recv(10) == b""  # the close alert arrived
    conn.unwrap().close()

    def resetter(conn: Any) -> None:
        conn.recv(1)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")

    server = tls_server(server_context(certs, backend), resetter)
    conn = connect(server.port, client_context(certs, backend))
    conn.sendall(b"r")

    def read_then_unwrap() -> None:  # the reset surfaces in one or the other
        conn.recv(10)
        conn.unwrap()

    with conn, pytest.raises(ConnectionError):
        read_then_unwrap()


def test_pyopenssl_context_options(certs: Certs, tls_server: Any) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    pem = certs.ca.read_text()
    der = x509.load_pem_x509_certificate(pem.encode()).public_bytes(Encoding.DER)
    server = tls_server(
        server_context(
            certs, "pyopenssl", alpn_protocols=["h2"], certfile=certs.encrypted, password="sesame"
        ),
    )
    for cadata in (pem, der):
        ctx = eventlet.ssl.create_default_context(
            cadata=cadata, backend="pyopenssl", alpn_protocols=["http/1.1"]
        )
        with connect(server.port, ctx) as conn:
            assert conn.selected_alpn_protocol() is None  # no protocol in common
            conn.sendall(b"x")
            assert conn.recv(1) == b"x"
