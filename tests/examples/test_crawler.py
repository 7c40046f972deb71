"""examples/crawler.py crawling a small local site (stdlib http.server in a thread)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.examples._run import start

PAGES = {
    "/": b'<a href="/a">a</a> <a href="/b#top">b</a> <a href="/missing">gone</a> <a href="http://127.0.0.2:9/">away</a>',
    "/a": b"<a href=\"/b\">b</a> <a href='c'>c</a>",
    "/b": b'<a href="/">home</a>',
    "/c": b"a leaf",
}


@pytest.fixture
def site() -> Iterator[str]:
    """The site; /a and /b answer only when both are being fetched at once (a concurrent crawler)."""
    both = threading.Barrier(2, timeout=10)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = PAGES.get(self.path)
            if self.path in ("/a", "/b"):
                both.wait()
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_crawls_the_site_concurrently(site: str) -> None:
    with start("crawler", site, "--max-pages", "10", "--concurrency", "4") as proc:
        assert proc.proc.wait(30) == 0, proc.output()
        proc.wait_for("fetched 5 pages, 4 ok")
        output = proc.output()
    for path, body in PAGES.items():
        assert f"200 {len(body):8} {site.rstrip('/')}{path}" in output
    assert f"404        0 {site}missing" in output
    assert "127.0.0.2" not in output  # other hosts are not followed
