"""The access log of eventlet.httpd: formats, targets, X-Forwarded-For."""

from __future__ import annotations

import io
import logging
import re
from typing import Any

import pytest

from eventlet.httpd import COMMON, AccessLog
from tests.httpd._live import exchange, hello_app, live

GET = b"GET /p?q=1 HTTP/1.1\r\nHost: x\r\nReferer: http://ref/\r\nUser-Agent: tester/1\r\n\r\n"
COMBINED_RE = re.compile(
    r'127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET /p\?q=1 HTTP/1\.1" 200 13 '
    r'"http://ref/" "tester/1"'
)


def test_default_goes_to_logger(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, "eventlet.httpd.access"), live(hello_app, access_log=None) as server:
        exchange(server, GET)
    lines = [r.getMessage() for r in caplog.records if r.name == "eventlet.httpd.access"]
    assert len(lines) == 1
    assert COMBINED_RE.fullmatch(lines[0])


def test_disabled_logger_formats_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with (
        caplog.at_level(logging.WARNING, "eventlet.httpd.access"),
        live(hello_app, access_log=None) as server,
    ):
        exchange(server, GET)
    assert not [r for r in caplog.records if r.name == "eventlet.httpd.access"]


def test_file_path_target_and_common_format(tmp_path: Any) -> None:
    path = tmp_path / "access.log"
    with live(hello_app, access_log=str(path), access_log_format=COMMON) as server:
        exchange(server, GET + b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", ["GET", "HEAD"])
    lines = path.read_text().splitlines()
    assert len(lines) == 2
    assert lines[0].endswith('"GET /p?q=1 HTTP/1.1" 200 13')
    assert lines[1].endswith('"HEAD / HTTP/1.1" 200 -')


def test_forwarded_for_and_custom_fields() -> None:
    out = io.StringIO()
    fmt = "%(client_ip)s %(remote_addr)s %(method)s %(path)s %(query)s %(protocol)s %(wall_seconds).3f"
    raw = b"GET /x HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 10.0.0.1, 10.0.0.2\r\n\r\n"
    with live(hello_app, access_log=out, access_log_format=fmt, log_x_forwarded_for=True) as server:
        exchange(server, raw + b"GET /y HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: ,\r\n\r\n")
    first, second = out.getvalue().splitlines()
    assert first.startswith("10.0.0.1 127.0.0.1 GET /x  HTTP/1.1 ")
    assert second.startswith("127.0.0.1 127.0.0.1 GET /y")


def test_logger_like_target_and_errors_logged() -> None:
    class Collector:
        def __init__(self) -> None:
            self.lines: list[str] = []

        def info(self, fmt: str, *args: Any) -> None:
            self.lines.append(fmt % args)

    collector = Collector()

    def failing(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise RuntimeError("x")

    with live(failing, access_log=collector) as server:
        exchange(server, GET)
    assert len(collector.lines) == 1
    assert '" 500 ' in collector.lines[0]
    assert AccessLog(collector).enabled


def test_access_log_fields_defaults() -> None:
    log = AccessLog(io.StringIO())
    fields = log.fields({}, "200 OK", 0, 0.5)
    assert fields["request_line"] == "- - -"
    assert fields["body_length"] == "-"
    assert fields["referer"] == "-"
    assert fields["user_agent"] == "-"
    assert log.enabled
