"""Interoperability with other TLS stacks: ``openssl s_server``, ``openssl s_client`` and curl.

The external programs run as child processes; the green side waits for them in a worker thread of
:mod:`eventlet.tpool`, so the hub keeps serving meanwhile.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

import pytest

from eventlet import tpool
from tests.ssl.conftest import BACKENDS, Certs, client_context, connect, server_context

OPENSSL = shutil.which("openssl")
CURL = shutil.which("curl")


def _wait(proc: subprocess.Popen[bytes], limit: float = 10.0) -> None:
    """Wait for ``proc`` to exit (``limit``: seconds) without blocking the hub."""
    try:
        tpool.execute(proc.wait, limit)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError(f"{proc.args!r} did not finish") from None


@pytest.mark.skipif(OPENSSL is None, reason="needs the openssl binary")
@pytest.mark.parametrize("backend", BACKENDS)
def test_client_against_openssl_s_server(certs: Certs, green_hub: Any, backend: str) -> None:
    assert OPENSSL is not None  # the skipif above
    server = subprocess.Popen(
        [
            OPENSSL,
            "s_server",
            "-accept",
            "127.0.0.1:0",
            "-cert",
            str(certs.server),
            "-naccept",
            "1",
            "-rev",
            "-alpn",
            "http/1.1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        assert server.stdout is not None
        match = None
        while match is None:  # "ACCEPT 127.0.0.1:PORT", printed once it listens
            line = server.stdout.readline().decode()
            assert line, "s_server exited"
            match = re.match(r"ACCEPT .*:(\d+)\s*$", line)
        conn = connect(int(match.group(1)), client_context(certs, backend, alpn_protocols=["http/1.1"]))
        with conn:
            assert conn.selected_alpn_protocol() == "http/1.1"
            conn.sendall(b"hello, openssl\n")
            reply = b""
            while not reply.endswith(b"\n"):
                chunk = conn.recv(100)
                assert chunk
                reply += chunk
            assert reply == b"lssnepo ,olleh\n"  # -rev reverses each line
    finally:
        server.kill()
        server.wait()
        assert server.stdout is not None
        server.stdout.close()


@pytest.mark.skipif(OPENSSL is None, reason="needs the openssl binary")
@pytest.mark.parametrize("backend", BACKENDS)
def test_openssl_s_client_against_server(certs: Certs, tls_server: Any, backend: str) -> None:
    def one_line(conn: Any) -> None:
        line = b""
        while not line.endswith(b"\n"):
            chunk = conn.recv(100)
            if not chunk:
                return
            line += chunk
        conn.sendall(line.upper())
        conn.unwrap()  # a close alert, so s_client sees a clean end

    server = tls_server(server_context(certs, backend), one_line)
    assert OPENSSL is not None  # the skipif above
    client = subprocess.Popen(
        [
            OPENSSL,
            "s_client",
            "-connect",
            f"127.0.0.1:{server.port}",
            "-servername",
            "localhost",
            "-CAfile",
            str(certs.ca),
            "-verify_return_error",
            "-verify_hostname",
            "localhost",
            "-cert",
            str(certs.client),
            "-quiet",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert client.stdin is not None
    assert client.stdout is not None
    assert client.stderr is not None
    client.stdin.write(b"ping from s_client\n")
    client.stdin.flush()  # with -quiet, s_client ends when the server closes, not at end of input
    _wait(client)
    client.stdin.close()
    out, err = client.stdout.read(), client.stderr.read()
    client.stdout.close()
    client.stderr.close()
    assert client.returncode == 0, err
    assert out == b"PING FROM S_CLIENT\n"


def _http_responder(conn: Any) -> None:
    request = b""
    while b"\r\n\r\n" not in request:
        chunk = conn.recv(4096)
        if not chunk:
            return
        request += chunk
    body = b"hello curl, you asked for " + request.split(b" ")[1]
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )


@pytest.mark.skipif(CURL is None, reason="needs curl")
@pytest.mark.parametrize("backend", BACKENDS)
def test_curl_against_https_responder(certs: Certs, tls_server: Any, backend: str) -> None:
    server = tls_server(server_context(certs, backend, alpn_protocols=["http/1.1"]), _http_responder)
    assert CURL is not None  # the skipif above
    client = subprocess.Popen(
        [
            CURL,
            "--silent",
            "--show-error",
            "--cacert",
            str(certs.ca),
            "--http1.1",
            "--resolve",
            f"localhost:{server.port}:127.0.0.1",
            f"https://localhost:{server.port}/tls",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _wait(client)
    assert client.stdout is not None
    assert client.stderr is not None
    out, err = client.stdout.read(), client.stderr.read()
    client.stdout.close()
    client.stderr.close()
    assert client.returncode == 0, err
    assert out == b"hello curl, you asked for /tls"
