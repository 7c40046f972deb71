"""examples/tls_echo_server.py: a verifying Python TLS client, ``openssl s_client``, and a non-TLS client."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from pathlib import Path

import pytest

from tests.examples._run import connect, ctrl_c, read_line, start

pytest.importorskip("eventlet.ssl")
OPENSSL = shutil.which("openssl")
PORT = r"TLS echo server on 127\.0\.0\.1:(\d+)"


def not_tls_answer(sock: socket.socket) -> bytes:
    """What the server sends a client that does not speak TLS before it hangs up (b"\\x15" if none)."""
    data = b""
    try:
        while chunk := sock.recv(4096):
            data += chunk
    except ConnectionResetError:  # closed with our request unread: reset instead of end of file
        pass
    return data or b"\x15"


def test_with_given_certificate_verified_by_the_client(tmp_path: Path) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    cert.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "server.pem"))
    with start("tls_echo_server", "--port", "0", "--certfile", str(tmp_path / "server.pem")) as proc:
        port = int(proc.wait_for(PORT).group(1))
        context = ssl.create_default_context()
        ca.configure_trust(context)
        plain = connect(port)
        with context.wrap_socket(connect(port), server_hostname="localhost") as tls:
            tls.sendall(b"hello over tls\n")
            assert read_line(tls) == b"hello over tls\n"
            # A client that does not speak TLS is turned away; the others carry on.
            plain.sendall(b"GET / HTTP/1.0\r\n\r\n")
            assert not_tls_answer(plain).startswith(b"\x15")  # a TLS alert record, if anything
            plain.close()
            proc.wait_for("handshake failed")
            tls.sendall(b"still here\n")
            assert read_line(tls) == b"still here\n"
        proc.wait_for("disconnected")
        ctrl_c(proc)


@pytest.mark.skipif(OPENSSL is None, reason="the openssl command is not installed (see .ci/services)")
def test_self_signed_certificate_with_openssl_s_client() -> None:
    assert OPENSSL is not None
    with start("tls_echo_server", "--port", "0") as proc:
        proc.wait_for("made a self-signed certificate")
        port = int(proc.wait_for(PORT).group(1))
        client = subprocess.Popen(
            [OPENSSL, "s_client", "-quiet", "-connect", f"127.0.0.1:{port}", "-servername", "localhost"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert client.stdin is not None
        assert client.stdout is not None
        assert client.stderr is not None
        try:
            client.stdin.write(b"echo me\n")
            client.stdin.flush()
            assert client.stdout.readline() == b"echo me\n"
        finally:
            client.terminate()
            client.wait(10)
        assert b"self-signed certificate" in client.stderr.read()  # s_client saw our throw-away one
        client.stdin.close()
        client.stdout.close()
        client.stderr.close()
        proc.wait_for("disconnected")
        ctrl_c(proc)
