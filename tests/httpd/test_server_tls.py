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
            assert response.getheader("X-Scheme") == "https"
            assert response.getheader("X-Https") == "on"
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


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_over_https(tmp_path: Path) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    issued = ca.issue_cert("localhost", "127.0.0.1")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    issued.configure_cert(context)
    cafile = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    with live(app, ssl_context=context) as server:
        url = f"https://localhost:{server.port}/"
        resolve = f"localhost:{server.port}:127.0.0.1"
        common = ["curl", "-sS", "--http1.1", "--cacert", str(cafile), "--resolve", resolve]
        # Two requests on one verified keep-alive connection, then a POST body.
        got = subprocess.run([*common, "-i", url, url], capture_output=True, check=True, timeout=20).stdout
        assert got.count(b"HTTP/1.1 200 OK") == 2
        assert got.count(b"secure") == 2
        assert b"X-Scheme: https" in got
        posted = subprocess.run(
            [*common, "--data-binary", "@-", url],
            input=b"p" * 100_000,
            capture_output=True,
            check=True,
            timeout=20,
        ).stdout
        assert posted == b"p" * 100_000
        # An untrusted certificate is refused by curl (exit 60), the server carries on.
        refused = subprocess.run(["curl", "-sS", "--resolve", resolve, url], capture_output=True, timeout=20)
        assert refused.returncode == 60
        again = subprocess.run([*common, url], capture_output=True, check=True, timeout=20).stdout
        assert again == b"secure"
