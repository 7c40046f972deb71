"""The conformance table (tests/httpd/conformance.py) replayed against a live server.

Each case's raw bytes go to a fresh connection in one write, then the client half-closes.
Valid cases must produce one ``200`` per request, in order, each echoing what the
application saw; invalid cases must answer the requests that parse and then the expected
error status with ``Connection: close``, and nothing reaches the application for the
malformed request.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.httpd._live import LiveServer, exchange
from tests.httpd.conformance import INVALID, VALID, Case


def echo_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    body = environ["wsgi.input"].read()
    headers = [
        (key[5:].lower().replace("_", "-"), value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    ]
    report = {
        "method": environ["REQUEST_METHOD"],
        "target": environ["REQUEST_URI"],
        "version": environ["SERVER_PROTOCOL"],
        "headers": headers,
    }
    # The report travels in a header: a 2xx answer to CONNECT has no body.
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-Report", json.dumps(report))])
    return [body]


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[tuple[tuple[str, int], ...], LiveServer]]:
    started: dict[tuple[tuple[str, int], ...], LiveServer] = {}
    try:
        for options in {case.options for case in VALID + INVALID}:
            started[options] = LiveServer(echo_app, None, **dict(options)).start()
        yield started
    finally:
        for server in started.values():
            server.stop()


def _check_parsed(response: Any, parsed: Any) -> None:
    assert response.status == 200
    report = json.loads(response.getheader("X-Report"))
    assert report["method"] == parsed.method
    assert report["target"] == parsed.target
    assert report["version"] == parsed.version
    assert response.body == parsed.body
    assert (response.getheader("Connection") == "close") == (not parsed.keep_alive)


@pytest.mark.parametrize("case", VALID, ids=lambda c: c.id)
def test_valid(case: Case, servers: dict[Any, LiveServer]) -> None:
    methods = [p.method for p in case.requests]
    responses = exchange(servers[case.options], case.raw, methods)
    assert len(responses) == len(case.requests)
    for response, parsed in zip(responses, case.requests, strict=False):
        _check_parsed(response, parsed)


@pytest.mark.parametrize("case", INVALID, ids=lambda c: c.id)
def test_invalid(case: Case, servers: dict[Any, LiveServer]) -> None:
    methods = [p.method for p in case.requests]
    responses = exchange(servers[case.options], case.raw, methods)
    assert len(responses) == len(case.requests) + 1, [r.status for r in responses]
    for response, parsed in zip(responses, case.requests, strict=False):
        if parsed.method != "HEAD":
            _check_parsed(response, parsed)
    error = responses[-1]
    assert error.status == case.status
    assert error.getheader("Connection") == "close"
    assert error.body.startswith(str(case.status).encode())
