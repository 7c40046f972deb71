"""TLS on eventlet.httpd (needs eventlet-ssl and the openssl command to make a certificate)."""

from __future__ import annotations

import http.client
import shutil
import ssl
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("eventlet.ssl", reason="eventlet-ssl is not installed")

from tests.httpd._live import live, read_all

StartResponse = Callable[..., Any]


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    if shutil.which("openssl") is None:  # pragma: no cover
        pytest.skip("the openssl command is needed to make a test certificate")
    folder: Path = tmp_path_factory.mktemp("tls")
    certfile, keyfile = str(folder / "cert.pem"), str(folder / "key.pem")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-keyout",
            keyfile,
            "-out",
            certfile,
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return certfile, keyfile


def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    body = environ["wsgi.input"].read()
    start_response(
        "200 OK", [("X-Scheme", environ["wsgi.url_scheme"]), ("X-Https", environ.get("HTTPS", ""))]
    )
    return [body or b"secure"]


def _client_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def test_certfile_and_keyfile(cert: tuple[str, str]) -> None:
    certfile, keyfile = cert
    with live(app, certfile=certfile, keyfile=keyfile) as server:
        conn = http.client.HTTPSConnection("127.0.0.1", server.port, context=_client_context(), timeout=5)
        for _ in range(2):
            conn.request("GET", "/")
            response = conn.getresponse()
            assert response.read() == b"secure"
            assert response.getheader("X-Scheme") == "https" and response.getheader("X-Https") == "on"
        conn.request("POST", "/", body=b"x" * 50_000)
        assert conn.getresponse().read() == b"x" * 50_000
        conn.close()


def test_ssl_context_and_a_plain_text_client(cert: tuple[str, str]) -> None:
    certfile, keyfile = cert
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certfile, keyfile)
    with live(app, ssl_context=context) as server:
        with server.connect() as plain:  # not TLS: the handshake fails, the server carries on
            plain.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert b"HTTP/1.1 200" not in read_all(plain)
        conn = http.client.HTTPSConnection("127.0.0.1", server.port, context=_client_context(), timeout=5)
        conn.request("GET", "/")
        assert conn.getresponse().read() == b"secure"
        conn.close()
