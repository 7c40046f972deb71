"""Our TLS client against our TLS server, for every pair of backends (stdlib / pyOpenSSL)."""

from __future__ import annotations

import hashlib
import os
import ssl
from typing import Any

import pytest

import eventlet
import eventlet.ssl
from tests.ssl.conftest import BACKENDS, Certs, client_context, connect, server_context

PAIRS = [(server, client) for server in BACKENDS for client in BACKENDS]
pytestmark = pytest.mark.parametrize(("server_backend", "client_backend"), PAIRS, ids=lambda b: b)


def test_echo_and_connection_facts(
    certs: Certs, tls_server: Any, server_backend: str, client_backend: str
) -> None:
    server = tls_server(server_context(certs, server_backend, alpn_protocols=["h2", "http/1.1"]))
    conn = connect(server.port, client_context(certs, client_backend, alpn_protocols=["http/1.1", "x"]))
    try:
        assert conn.version() in ("TLSv1.2", "TLSv1.3")
        name, protocol, bits = conn.cipher()
        assert protocol == conn.version()
        assert bits >= 128
        assert name
        assert conn.selected_alpn_protocol() == "http/1.1"
        cert = conn.getpeercert()
        assert ("DNS", "localhost") in cert["subjectAltName"]
        assert (("commonName", "server-a"),) in cert["subject"]
        assert conn.getpeercert(binary_form=True)[:1] == b"\x30"  # DER SEQUENCE
        conn.sendall(b"hello")
        assert conn.recv(100) == b"hello"
        assert conn.send(b"again") == 5
        buf = bytearray(10)
        assert conn.recv_into(buf) == 5
        assert buf[:5] == b"again"
        conn.write(b"third")
        assert conn.read(5) == b"third"
    finally:
        conn.close()


def _sink(conn: Any) -> None:
    """Read everything in 1000-byte reads, then answer with the SHA-256 and a 3 MB payload."""
    digest = hashlib.sha256()
    size = int(conn.recv(20).decode())
    got = 0
    while got < size:
        chunk = conn.recv(1000)
        assert chunk
        digest.update(chunk)
        got += len(chunk)
    conn.sendall(digest.digest())
    conn.sendall(bytes(range(256)) * 12288)


def test_large_transfers_both_ways_with_small_reads(
    certs: Certs, tls_server: Any, server_backend: str, client_backend: str
) -> None:
    server = tls_server(server_context(certs, server_backend), _sink)
    payload = os.urandom(3 * 1024 * 1024)
    conn = connect(server.port, client_context(certs, client_backend))
    try:
        conn.sendall(f"{len(payload):<20}".encode())
        sender = eventlet.spawn(conn.sendall, payload)
        digest = b""
        while len(digest) < 32:
            digest += conn.recv(32 - len(digest))
        sender.wait()
        assert digest == hashlib.sha256(payload).digest()
        received = bytearray()
        while len(received) < 3 * 1024 * 1024:
            chunk = conn.recv(777)
            assert chunk
            received += chunk
        assert received == bytes(range(256)) * 12288
        assert conn.recv(10) == b""  # the server closed
    finally:
        conn.close()
    assert server.errors == []


def test_makefile(certs: Certs, tls_server: Any, server_backend: str, client_backend: str) -> None:
    server = tls_server(server_context(certs, server_backend))
    conn = connect(server.port, client_context(certs, client_backend))
    with conn, conn.makefile("rwb") as stream:
        stream.write(b"line one\nline two\n")
        stream.flush()
        assert stream.readline() == b"line one\n"
        assert stream.readline() == b"line two\n"


def test_mutual_tls(certs: Certs, tls_server: Any, server_backend: str, client_backend: str) -> None:
    seen: list[Any] = []

    def who(conn: Any) -> None:
        seen.append(conn.getpeercert())
        conn.sendall(b"ok")

    ctx = server_context(certs, server_backend, cafile=str(certs.ca), require_client_cert=True)
    server = tls_server(ctx, who)
    client_ctx = eventlet.ssl.create_default_context(
        cafile=str(certs.ca), certfile=str(certs.client), backend=client_backend
    )
    with connect(server.port, client_ctx) as conn:
        assert conn.recv(2) == b"ok"
    assert seen
    assert (("commonName", "client"),) in seen[0]["subject"]


def test_client_without_certificate_is_refused_by_mtls_server(
    certs: Certs, tls_server: Any, server_backend: str, client_backend: str
) -> None:
    ctx = server_context(certs, server_backend, cafile=str(certs.ca), require_client_cert=True)
    server = tls_server(ctx, lambda conn: conn.sendall(b"ok"))
    conn = connect(server.port, client_context(certs, client_backend))
    try:
        # TLS 1.3: the client learns of the refusal on its first read.
        def exchange() -> None:
            conn.sendall(b"x")
            conn.recv(2)

        with pytest.raises((ssl.SSLError, ConnectionResetError)):
            exchange()
    finally:
        conn.close()


def test_session_resumption(certs: Certs, tls_server: Any, server_backend: str, client_backend: str) -> None:
    server = tls_server(server_context(certs, server_backend))
    ctx = client_context(certs, client_backend)
    first = connect(server.port, ctx)
    first.sendall(b"ping")
    assert first.recv(4) == b"ping"  # TLS 1.3 tickets arrive after the handshake
    session = first.session
    assert session is not None
    assert first.session_reused is False
    first.close()
    second = connect(server.port, ctx, session=session)
    try:
        second.sendall(b"ping")
        assert second.recv(4) == b"ping"
        assert second.session_reused is True
    finally:
        second.close()


def test_unwrap_back_to_plain(
    certs: Certs, tls_server: Any, server_backend: str, client_backend: str
) -> None:
    def starttls_end(conn: Any) -> None:
        assert conn.recv(5) == b"plain"
        plain = conn.unwrap()
        plain.sendall(b"cleartext")
        assert plain.pending() == 0

    server = tls_server(server_context(certs, server_backend), starttls_end)
    conn = connect(server.port, client_context(certs, client_backend))
    conn.sendall(b"plain")
    plain = conn.unwrap()
    try:
        assert plain.recv(9) == b"cleartext"
        with pytest.raises(ValueError, match=r"No SSL wrapper|unwrapped"):
            plain.unwrap()
    finally:
        plain.close()
