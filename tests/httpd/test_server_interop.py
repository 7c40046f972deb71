"""Real HTTP clients against a live eventlet.httpd server: curl, http.client, requests, urllib3."""

from __future__ import annotations

import http.client
import shutil
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.httpd._live import LiveServer, live

StartResponse = Callable[..., Any]


def app(environ: dict[str, Any], start_response: StartResponse) -> Any:
    path = environ["PATH_INFO"]
    if path == "/echo":
        body = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return [body]
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return (b"line %d\n" % i for i in range(100))
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-Query", environ["QUERY_STRING"])])
    return [b"Hello, World!"]


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with live(app) as running:
        yield running


def test_http_client_keepalive_and_chunked_upload(server: LiveServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    for _ in range(3):
        conn.request("GET", "/?a=1")
        response = conn.getresponse()
        assert response.read() == b"Hello, World!"
        assert response.getheader("X-Query") == "a=1"
    conn.request("POST", "/echo", body=iter([b"abc", b"def"]), encode_chunked=True)
    assert conn.getresponse().read() == b"abcdef"
    conn.request("GET", "/stream")
    assert conn.getresponse().read().count(b"\n") == 100
    conn.close()


def test_requests_session(server: LiveServer) -> None:
    requests = pytest.importorskip("requests")
    url = f"http://127.0.0.1:{server.port}"
    with requests.Session() as session:
        assert session.get(url + "/", params={"q": "x y"}).headers["X-Query"] == "q=x+y"
        payload = bytes(range(256)) * 1000
        assert session.post(url + "/echo", data=payload).content == payload
        gen = session.post(url + "/echo", data=(chunk for chunk in [b"a", b"b"]))
        assert gen.content == b"ab"
        streamed = session.get(url + "/stream", stream=True)
        assert sum(1 for _ in streamed.iter_lines()) == 100


def test_urllib3_pool_reuses_connections(server: LiveServer) -> None:
    urllib3 = pytest.importorskip("urllib3")
    with urllib3.HTTPConnectionPool("127.0.0.1", server.port, maxsize=1) as pool:
        for _ in range(5):
            assert pool.request("GET", "/").data == b"Hello, World!"
        response = pool.request("POST", "/echo", body=b"x" * 100_000, headers={"Expect": "100-continue"})
        assert response.data == b"x" * 100_000
        assert pool.num_connections == 1


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl(server: LiveServer) -> None:
    url = f"http://127.0.0.1:{server.port}"
    out = subprocess.run(
        ["curl", "-sS", "--http1.1", url + "/?c=1", url + "/stream"],
        capture_output=True,
        check=True,
        timeout=20,
    )
    assert out.stdout.startswith(b"Hello, World!line 0\n")
    posted = subprocess.run(
        ["curl", "-sS", "-H", "Expect: 100-continue", "--data-binary", "@-", url + "/echo"],
        input=b"y" * 5000,
        capture_output=True,
        check=True,
        timeout=20,
    )
    assert posted.stdout == b"y" * 5000
    head = subprocess.run(["curl", "-sSI", url + "/"], capture_output=True, check=True, timeout=20)
    assert b"Content-Length: 13" in head.stdout
