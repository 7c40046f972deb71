"""Fixtures of the TLS tests: certificates generated at test time (with ``trustme``), contexts
for both backends, and a small green TLS echo server.

Nothing is read from disk that the tests did not write: a throwaway CA signs a server
certificate for ``localhost``/``127.0.0.1`` and a client certificate; the "bad" certificates
(expired, self-signed, for the wrong host, from an unknown CA) are made the same way.
"""

from __future__ import annotations

import datetime
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trustme

import eventlet
import eventlet.ssl
from eventlet.green import socket as green_socket

BACKENDS = ("stdlib", "pyopenssl")


@dataclass(frozen=True)
class Certs:
    """Paths of every PEM file the tests use."""

    ca: Path
    server: Path  # chain + key, for localhost / 127.0.0.1
    server_b: Path  # a second valid pair (for reload tests), CN different
    client: Path  # client certificate + key (mTLS)
    expired: Path
    wrong_host: Path
    self_signed: Path
    unknown_ca: Path  # signed by a CA the clients do not trust
    ca_key: Path
    encrypted: Path  # the server certificate with its key encrypted by the password "sesame"


def _write(path: Path, *blobs: Any) -> Path:
    path.write_bytes(b"".join(blob.bytes() for blob in blobs))
    return path


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    """A CA and certificates for every scenario, written to a temporary directory."""
    root = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    other_ca = trustme.CA()
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=30)
    server = ca.issue_cert("localhost", "127.0.0.1", common_name="server-a")
    server_b = ca.issue_cert("localhost", "127.0.0.1", common_name="server-b")
    client = ca.issue_cert("client@example.test", common_name="client")
    expired = ca.issue_cert(
        "localhost", "127.0.0.1", not_before=past, not_after=past + datetime.timedelta(days=1)
    )
    wrong = ca.issue_cert("wrong.example.org")
    stranger = other_ca.issue_cert("localhost", "127.0.0.1")
    return Certs(
        ca=_write(root / "ca.pem", ca.cert_pem),
        server=_write(root / "server.pem", *server.cert_chain_pems, server.private_key_pem),
        server_b=_write(root / "server_b.pem", *server_b.cert_chain_pems, server_b.private_key_pem),
        client=_write(root / "client.pem", *client.cert_chain_pems, client.private_key_pem),
        expired=_write(root / "expired.pem", *expired.cert_chain_pems, expired.private_key_pem),
        wrong_host=_write(root / "wrong.pem", *wrong.cert_chain_pems, wrong.private_key_pem),
        self_signed=_write(root / "self.pem", other_ca.cert_pem, other_ca.private_key_pem),
        unknown_ca=_write(root / "stranger.pem", *stranger.cert_chain_pems, stranger.private_key_pem),
        ca_key=_write(root / "ca_key.pem", ca.private_key_pem),
        encrypted=_encrypted(root / "encrypted.pem", server),
    )


def _encrypted(path: Path, leaf: trustme.LeafCert) -> Path:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(leaf.private_key_pem.bytes(), None)
    locked = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"sesame"),
    )
    path.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems) + locked)
    return path


def server_context(certs: Certs, backend: str = "stdlib", certfile: Path | None = None, **kw: Any) -> Any:
    """A server context of ``backend`` with the server certificate (or ``certfile``)."""
    return eventlet.ssl.create_default_context(
        ssl.Purpose.CLIENT_AUTH, certfile=str(certfile or certs.server), backend=backend, **kw
    )


def client_context(certs: Certs, backend: str = "stdlib", **kw: Any) -> Any:
    """A client context of ``backend`` trusting the test CA."""
    return eventlet.ssl.create_default_context(cafile=str(certs.ca), backend=backend, **kw)


class TLSServer:
    """A green TLS server on 127.0.0.1: one green thread per connection runs ``handler``.

    Errors of a connection are collected in :attr:`errors` (the server keeps serving).
    """

    def __init__(
        self, context: Any, handler: Callable[[Any], None], handshake_timeout: float | None = None
    ) -> None:
        self.context = context
        self.handler = handler
        self.handshake_timeout = handshake_timeout
        self.listener = eventlet.listen(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.errors: list[BaseException] = []
        self.served = 0
        self.pool: list[Any] = []
        self.acceptor = eventlet.spawn(self._accept_loop)

    def _accept_loop(self) -> None:
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            self.pool.append(eventlet.spawn(self._serve, sock))

    def _serve(self, sock: Any) -> None:
        try:
            conn = eventlet.ssl.wrap_socket(
                sock, self.context, server_side=True, handshake_timeout=self.handshake_timeout
            )
        except (OSError, ValueError) as exc:
            sock.close()
            self.errors.append(exc)
            return
        try:
            self.handler(conn)
            self.served += 1
        except OSError as exc:
            self.errors.append(exc)
        finally:
            conn.close()

    def close(self) -> None:
        """Stop accepting, wait for the connections' green threads, close the listener."""
        self.acceptor.kill()
        for gt in self.pool:
            gt.wait()
        self.listener.close()


def echo_handler(conn: Any) -> None:
    """Echo until the peer closes."""
    while True:
        data = conn.recv(65536)
        if not data:
            return
        conn.sendall(data)


@pytest.fixture
def tls_server(green_hub: Any) -> Iterator[Callable[..., TLSServer]]:
    """Factory of :class:`TLSServer` objects, all closed at the end of the test."""
    servers: list[TLSServer] = []

    def make(context: Any, handler: Callable[[Any], None] = echo_handler, **kw: Any) -> TLSServer:
        server = TLSServer(context, handler, **kw)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


def connect(port: int, context: Any, hostname: str | None = "localhost", **kw: Any) -> Any:
    """A green TLS client connection to 127.0.0.1:``port``."""
    sock = green_socket.create_connection(("127.0.0.1", port))
    return eventlet.ssl.wrap_socket(sock, context, server_hostname=hostname, **kw)
