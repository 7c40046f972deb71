"""Bad peers and bad certificates: clear errors, and the server keeps serving other clients."""

from __future__ import annotations

import socket
import ssl
import struct
from typing import Any

import pytest

from eventlet.green import socket as green_socket
from tests.ssl.conftest import BACKENDS, Certs, TLSServer, client_context, connect, server_context


def _still_serves(server: TLSServer, certs: Certs) -> None:
    with connect(server.port, client_context(certs)) as conn:
        conn.sendall(b"still here")
        assert conn.recv(100) == b"still here"


def _client_hello() -> bytes:
    """The first flight of a real TLS client (a ClientHello record)."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ssl.create_default_context().wrap_bio(incoming, outgoing, server_hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        obj.do_handshake()
    return outgoing.read()


@pytest.mark.parametrize("backend", BACKENDS)
def test_garbage_instead_of_client_hello(certs: Certs, tls_server: Any, backend: str) -> None:
    server = tls_server(server_context(certs, backend))
    raw = green_socket.create_connection(("127.0.0.1", server.port))
    raw.sendall(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
    try:
        reply = raw.recv(100)  # an alert, or nothing: the server just drops us
    except ConnectionResetError:  # dropped with our request unread
        reply = b""
    assert reply == b"" or reply[:1] == b"\x15"
    raw.close()
    _still_serves(server, certs)
    assert len(server.errors) == 1
    assert isinstance(server.errors[0], ssl.SSLError)


@pytest.mark.parametrize("backend", BACKENDS)
def test_client_stalling_mid_handshake_times_out(certs: Certs, tls_server: Any, backend: str) -> None:
    # The timeout bounds every handshake of this server, the good client's too: it must leave room
    # for a full handshake on a loaded machine (up to ~0.1 s measured under coverage and load).
    server = tls_server(server_context(certs, backend), handshake_timeout=1.0)
    hello = _client_hello()
    stalled = green_socket.create_connection(("127.0.0.1", server.port))
    stalled.sendall(hello[: len(hello) // 2])
    _still_serves(server, certs)  # served while the stalled one waits
    assert stalled.recv(100) == b""  # dropped once its handshake timed out
    stalled.close()
    assert len(server.errors) == 1
    assert isinstance(server.errors[0], TimeoutError)
    assert "handshake" in str(server.errors[0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_client_aborting_mid_handshake(certs: Certs, tls_server: Any, backend: str) -> None:
    server = tls_server(server_context(certs, backend))
    aborter = green_socket.create_connection(("127.0.0.1", server.port))
    aborter.sendall(_client_hello())
    aborter.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    aborter.close()  # RST
    _still_serves(server, certs)
    server.pool[0].wait()  # the aborted connection's green thread, done with its error
    assert len(server.errors) == 1
    assert isinstance(server.errors[0], OSError)


@pytest.mark.parametrize("backend", BACKENDS)
def test_client_disconnecting_mid_stream(certs: Certs, tls_server: Any, backend: str) -> None:
    server = tls_server(server_context(certs, backend))
    conn = connect(server.port, client_context(certs))
    conn.sendall(b"x")
    assert conn.recv(1) == b"x"
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()
    _still_serves(server, certs)


BAD_CERTS = {
    "expired": "certificate has expired",
    "self_signed": "self-signed certificate",
    "wrong_host": "mismatch",
    "unknown_ca": "unable to get local issuer certificate",
}


@pytest.mark.parametrize("client_backend", BACKENDS)
@pytest.mark.parametrize("which", sorted(BAD_CERTS))
def test_bad_server_certificate_is_rejected(
    certs: Certs, tls_server: Any, which: str, client_backend: str
) -> None:
    server = tls_server(server_context(certs, "stdlib", certfile=getattr(certs, which)))
    with pytest.raises(ssl.SSLCertVerificationError) as info:
        connect(server.port, client_context(certs, client_backend))
    assert BAD_CERTS[which] in info.value.verify_message.lower()
    assert "certificate verify failed" in str(info.value)
    good = tls_server(server_context(certs))
    _still_serves(good, certs)


@pytest.mark.parametrize("client_backend", BACKENDS)
def test_ip_address_checked_against_certificate(certs: Certs, tls_server: Any, client_backend: str) -> None:
    server = tls_server(server_context(certs, "stdlib", certfile=certs.wrong_host))
    with pytest.raises(ssl.SSLCertVerificationError):
        connect(server.port, client_context(certs, client_backend), hostname="127.0.0.1")
    good = tls_server(server_context(certs))
    with connect(good.port, client_context(certs, client_backend), hostname="127.0.0.1") as conn:
        assert conn.getpeercert()


@pytest.mark.parametrize("backend", BACKENDS)
def test_default_context_trusts_only_system_cas(certs: Certs, tls_server: Any, backend: str) -> None:
    import eventlet.ssl

    server = tls_server(server_context(certs))
    sock = green_socket.create_connection(("127.0.0.1", server.port))
    with pytest.raises(ssl.SSLCertVerificationError):
        eventlet.ssl.wrap_socket(sock, server_hostname="localhost", backend=backend)
