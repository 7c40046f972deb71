"""``eventlet.wsgi.server`` on a listening socket wrapped by ``eventlet.wrap_ssl`` (needs eventlet-ssl)."""

from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("eventlet.ssl", reason="eventlet-ssl is not installed")

import eventlet
from tests.httpd._compat import serving
from tests.httpd._live import read_all


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    if shutil.which("openssl") is None:  # pragma: no cover
        pytest.skip("the openssl command is needed to make a test certificate")
    folder: Path = tmp_path_factory.mktemp("tls")
    certfile, keyfile = str(folder / "cert.pem"), str(folder / "key.pem")
    subprocess.run(
        [
            *(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
            ),
            *("-days", "2", "-subj", "/CN=localhost", "-keyout", keyfile, "-out", certfile),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return certfile, keyfile


def scheme_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = environ["wsgi.input"].read()
    start_response(
        "200 OK", [("X-Scheme", environ["wsgi.url_scheme"]), ("X-Https", environ.get("HTTPS", "-"))]
    )
    return [body or b"secure"]


def client(port: int) -> ssl.SSLSocket:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5))


def test_tls_requests_and_handshake_errors(cert: tuple[str, str]) -> None:
    certfile, keyfile = cert

    def listener() -> Any:
        return eventlet.wrap_ssl(
            eventlet.listen(("127.0.0.1", 0)), certfile=certfile, keyfile=keyfile, server_side=True
        )

    with serving(scheme_app, sock=listener) as server:
        with socket.create_connection(("127.0.0.1", server.port)) as plain:
            plain.sendall(b"GET /not-tls HTTP/1.0\r\n\r\n")  # not a TLS handshake
            assert read_all(plain) == b""
        socket.create_connection(("127.0.0.1", server.port)).close()  # gone before the handshake
        with client(server.port) as tls:
            tls.sendall(b"POST / HTTP/1.1\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc")
            data = read_all(tls)
        with client(server.port) as tls:
            tls.sendall(b"GET / HTTP/1.1\r\n\r\n")
            first = tls.recv(65536)
            with contextlib.suppress(ssl.SSLError):  # the server closes without its close_notify
                tls.unwrap()  # a clean TLS close from the client: the server reads its end
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")
    assert data.endswith(b"abc")
    assert b"X-Scheme: https\r\n" in data
    assert b"X-Https: on\r\n" in data
    assert first.endswith(b"secure")
    log = server.log_text
    assert f"wsgi starting up on https://127.0.0.1:{server.port}" in log
    assert "TLS error from" in log
    assert "Traceback" not in log
