"""A concurrent web crawler: a green pool fetching pages through urllib under monkey patching.

Run:   python examples/crawler.py http://127.0.0.1:8080/ --max-pages 50
It follows links on the same host, 20 fetches at a time, and prints each page's status and size.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import re  # noqa: E402
import urllib.error  # noqa: E402
import urllib.parse  # noqa: E402
import urllib.request  # noqa: E402

LINK = re.compile(rb"""href=["']([^"'#]+)""")


def fetch(url: str) -> tuple[str, int, bytes]:
    """Return (url, status, body); a failed fetch gives status 0 and an empty body."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return url, response.status, response.read()
    except (urllib.error.URLError, OSError) as exc:
        status = getattr(exc, "code", 0)
        return url, status, b""


def crawl(start: str, max_pages: int, concurrency: int) -> dict[str, int]:
    """Crawl from ``start`` within its host; return {url: status}."""
    host = urllib.parse.urlsplit(start).netloc
    pool = eventlet.GreenPool(concurrency)
    seen = {start}
    pending = [start]
    results: dict[str, int] = {}
    while pending:
        batch, pending = pending, []
        for url, status, body in pool.imap(fetch, batch):
            results[url] = status
            print(f"{status:3} {len(body):8} {url}")
            for match in LINK.findall(body):
                link = urllib.parse.urljoin(url, match.decode("latin-1"))
                same_host = urllib.parse.urlsplit(link).netloc == host
                if same_host and link not in seen and len(seen) < max_pages:
                    seen.add(link)
                    pending.append(link)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--max-pages", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    results = crawl(args.url, args.max_pages, args.concurrency)
    ok = sum(1 for status in results.values() if 200 <= status < 400)
    print(f"fetched {len(results)} pages, {ok} ok")


if __name__ == "__main__":
    main()
