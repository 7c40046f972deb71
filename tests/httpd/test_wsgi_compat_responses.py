"""``eventlet.wsgi``: writing responses as upstream does, and where it deliberately does not."""

from __future__ import annotations

import logging
import socket
import struct
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

import eventlet
from eventlet import wsgi
from tests.httpd._compat import GET, head_lines, hello, serving
from tests.httpd._live import logged

CLOSE = b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n"


def test_list_gets_content_length_generator_gets_chunked() -> None:
    def gen(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-type", "text/plain")])
        yield b"this"
        yield b"is"
        yield b"chunked"

    with serving(hello) as server:
        sized = server.raw(GET)
    with serving(gen) as server:
        chunked = server.raw(GET)
        http10 = server.raw(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" + GET)
    assert head_lines(sized)[0] == b"HTTP/1.1 200 OK"
    assert head_lines(sized)[1:3] == [b"Content-Type: text/plain", b"Content-Length: 11"]
    assert head_lines(sized)[3].startswith(b"Date: ")
    assert len(head_lines(sized)) == 4
    # the generator's bytes gathered up to minimum_chunk_size: one chunk, then the last one
    assert chunked.endswith(b"Transfer-Encoding: chunked\r\n\r\nd\r\nthisischunked\r\n0\r\n\r\n")
    assert b"Transfer-Encoding" not in http10
    assert http10.endswith(b"Connection: close\r\n\r\nthisischunked")
    assert http10.count(b"200 OK") == 1


def test_minimum_chunk_size_server_environ_and_class() -> None:
    def gen(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        if environ["PATH_INFO"] == "/each":
            environ["eventlet.minimum_write_chunk_size"] = 0
        start_response("200 OK", [])
        return iter([b"stuff", b"", b"more stuff"])

    start = wsgi.HttpProtocol.minimum_chunk_size
    with serving(gen, minimum_chunk_size=1) as server:
        server_level = server.raw(CLOSE)
    with serving(gen) as server:
        per_request = server.raw(b"GET /each HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert wsgi.HttpProtocol.minimum_chunk_size == start == wsgi.MINIMUM_CHUNK_SIZE
    assert server_level.endswith(b"\r\n\r\n5\r\nstuff\r\na\r\nmore stuff\r\n0\r\n\r\n")
    assert per_request.endswith(b"\r\n\r\n5\r\nstuff\r\na\r\nmore stuff\r\n0\r\n\r\n")


def test_str_chunks_are_ascii_and_non_ascii_fails() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Iterator[Any]:
        start_response("200 OK", [])
        yield b"oh hai, "
        yield "xxx" if environ["PATH_INFO"] == "/ascii" else "xxx \u0230"

    with serving(app) as server:
        ok = server.raw(b"GET /ascii HTTP/1.1\r\nConnection: close\r\n\r\n")
        bad = server.raw(CLOSE)
    assert ok.endswith(b"oh hai, xxx\r\n0\r\n\r\n")
    assert bad.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    assert b"UnicodeEncodeError" in bad


def test_write_callable() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        path = environ["PATH_INFO"]
        if path == "/sized":
            start_response("200 OK", [("Content-Length", "5")])(b"abcde")
        elif path == "/chunked":
            write = start_response("200 OK", [])
            write(b"abc")
            write(b"")  # not the end of the body
            write(bytearray(b"de"))
        elif path == "/early":
            app.write(b"x")  # type: ignore[attr-defined]  # a write() kept from another request
        else:
            app.write = start_response("204 No Content", [])  # type: ignore[attr-defined]
            app.write(b"")  # type: ignore[attr-defined]
        return []

    with serving(app) as server:
        sized = server.raw(b"GET /sized HTTP/1.1\r\n\r\n")
        chunked = server.raw(b"GET /chunked HTTP/1.1\r\n\r\n" + GET)
        empty = server.raw(GET)
    assert sized.endswith(
        b"Content-Length: 5\r\n"
        + sized.split(b"Content-Length: 5\r\n")[1].split(b"\r\n\r\n")[0]
        + b"\r\n\r\nabcde"
    )
    # a chunked body written with write() alone still ends (upstream's did not)
    assert b"\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n" in chunked
    assert chunked.count(b"HTTP/1.1 ") == 2
    assert empty.startswith(b"HTTP/1.1 204 No Content\r\n")
    assert b"Transfer-Encoding" not in empty
    assert b"Content-Length" not in empty


def test_write_before_start_response_is_an_error() -> None:
    holder: list[Any] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if not holder:
            holder.append(start_response("200 OK", []))
            return [b"first"]
        holder[0].__self__._headers_set = None  # the next request's write() before its start_response
        holder[0](b"x")
        return []  # pragma: no cover

    with serving(app) as server:
        server.raw(GET)
        data = server.raw(GET)
    assert data.startswith(b"HTTP/1.1 500 ")
    assert b"write() before start_response()" in data


def test_exception_before_response_is_a_500_with_traceback_when_debug() -> None:
    def crash(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise RuntimeError("intentional crash")

    with serving(crash) as server:
        loud = server.exchange(GET)[0]
    with serving(crash, debug=False) as server:
        quiet = server.exchange(GET)[0]
    assert loud.status == 500
    assert b"Traceback" in loud.body
    assert b"RuntimeError: intentional crash" in loud.body
    assert loud.getheader("Connection") == "close"
    assert loud.getheader("Content-Type") == "text/plain"
    assert quiet.status == 500
    assert quiet.body == b""
    assert quiet.getheader("Content-Length") == "0"
    assert "RuntimeError: intentional crash" in server.log_text
    assert "Traceback" in server.log_text


def test_timeout_in_app_is_a_500_until_the_response_started() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        if environ["PATH_INFO"] == "/started":
            environ["eventlet.minimum_write_chunk_size"] = 1
            start_response("200 OK", [("Content-Length", "13")])
        else:
            start_response("200 OK", [])
        return body()

    def body() -> Iterator[bytes]:
        yield b"partial "
        raise eventlet.Timeout()

    with serving(app) as server:
        buffered = server.exchange(GET)[0]
        started = server.raw(b"GET /started HTTP/1.1\r\n\r\n")
    assert buffered.status == 500
    assert buffered.getheader("Connection") == "close"
    assert started.startswith(b"HTTP/1.1 200 OK\r\n")
    assert started.endswith(b"\r\n\r\npartial ")
    assert b"Connection" not in started  # cut short: the client sees 8 of 13 bytes, then EOF
    assert server.log_text.count("Timeout") >= 2


def test_start_response_with_exc_info() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        environ["eventlet.minimum_write_chunk_size"] = 1
        start_response("200 OK", [("Content-Type", "text/plain")])
        return body(environ, start_response)

    def body(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        if environ["PATH_INFO"] == "/late":
            yield b"The dwarves of yore"
        try:
            1 / 0  # noqa: B018
        except ZeroDivisionError:
            start_response("500 Error", [("Content-Type", "text/plain")], sys.exc_info())
        yield b"error page"

    with serving(app) as server:
        early = server.exchange(GET)[0]
        late = server.raw(b"GET /late HTTP/1.1\r\n\r\n" + GET)
    assert early.status == 500
    assert early.body == b"error page"
    assert late.startswith(b"HTTP/1.1 200 OK")
    assert late.endswith(b"13\r\nThe dwarves of yore\r\n")
    assert late.count(b"HTTP/1.1") == 1  # closed
    assert "ZeroDivisionError" in server.log_text


def test_no_body_for_head_204_304() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        status = {"/204": "204 No Content", "/304": "304 Not Modified"}.get(environ["PATH_INFO"], "200 OK")
        start_response(status, [])
        return [b"body!"]

    with serving(app) as server:
        head = server.raw(b"HEAD / HTTP/1.1\r\n\r\n" + GET)
        no_content = server.raw(
            b"DELETE /204 HTTP/1.1\r\nConnection: keep-alive\r\n\r\nGET /304 HTTP/1.1\r\n\r\n"
        )
    first, second = head.split(b"\r\n\r\n", 1)
    assert b"Content-Length" not in first
    assert second.startswith(b"HTTP/1.1 200 OK")  # body not sent
    assert second.endswith(b"body!")
    heads = no_content.split(b"\r\n\r\n")
    assert heads[0].startswith(b"HTTP/1.1 204 No Content")
    assert b"Connection: keep-alive" in heads[0]
    assert heads[1].startswith(b"HTTP/1.1 304 Not Modified")
    assert heads[2] == b""
    assert b"Transfer-Encoding" not in no_content
    assert b"Content-Length" not in no_content


def test_header_names_capitalised_per_word_unless_turned_off() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 oK", [("sOMe-WEirD", "cAsE"), ("wiTH-\xdf-LATIN1-\xff", "chars")])
        return [b""]

    with serving(app) as server:
        lines = head_lines(server.raw(GET))
    assert lines[0] == b"HTTP/1.1 200 oK"
    assert b"Some-Weird: cAsE" in lines
    assert b"With-\xdf-Latin1-\xff: chars" in lines
    with serving(app, capitalize_response_headers=False) as server:  # (deprecated: warns)
        lines = head_lines(server.raw(GET))
    assert b"sOMe-WEirD: cAsE" in lines
    assert b"wiTH-\xdf-LATIN1-\xff: chars" in lines


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (("X-Bad", "a\r\nInjected: yes"), b"invalid character"),
        (("X-Bad\r\nInjected", "yes"), b"invalid response header name"),
        (("X-Bad", "snowman \u2603"), b"RFC 8187"),
        (("X-\u2603", "ok"), b"header names"),
        (("Content-Length", "12x"), b"invalid Content-Length"),
    ],
)
def test_bad_headers_fail_the_response(header: tuple[str, str], message: bytes) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [header], None)
        return [b"body"]

    with serving(app, capitalize_response_headers=False) as server:
        data = server.raw(GET)
    assert data.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    assert message in data
    assert b"Injected" not in data.split(b"\r\n\r\n")[0]


def test_bad_status_fails_the_response() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK\r\nX: y", [])
        return [b"body"]

    with serving(app) as server:
        data = server.raw(GET)
    assert data.startswith(b"HTTP/1.1 500 ")
    assert b"invalid status" in data


def test_encode_header_line() -> None:
    assert wsgi._encode_header_line(("wiTH-\xdf", "chars")) == b"wiTH-\xdf: chars\r\n"
    assert wsgi._encode_header_line(("N", 5)) == b"N: 5\r\n"
    with pytest.raises(UnicodeEncodeError, match="RFC 8187"):
        wsgi._encode_header_line(("X-Name", "snowman \u2603"))
    with pytest.raises(UnicodeEncodeError, match="header names"):
        wsgi._encode_header_line(("X-\u2603", "ok"))


def test_dates_and_headers_kept_as_given() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Date", "Thu, 01 Jan 1970 00:00:00 GMT"), ("X-Num", 5)])
        return [b"x"]

    with serving(app) as server:
        lines = head_lines(server.raw(GET + GET))
    assert lines.count(b"Date: Thu, 01 Jan 1970 00:00:00 GMT") == 1
    assert sum(line.startswith(b"Date:") for line in lines) == 1
    assert b"X-Num: 5" in lines
    assert wsgi.format_date_time(0) == "Thu, 01 Jan 1970 00:00:00 GMT"


def test_body_longer_or_shorter_than_content_length_closes() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Length", "5")])
        yield b"toolong" if environ["PATH_INFO"] == "/long" else b"abc"

    with serving(app) as server:
        long = server.raw(b"GET /long HTTP/1.1\r\n\r\n" + GET)
        short = server.raw(GET + GET)
    assert long.endswith(b"\r\n\r\ntoolo")
    assert long.count(b"HTTP/1.1") == 1
    assert short.endswith(b"\r\n\r\nabc")
    assert short.count(b"HTTP/1.1") == 1
    assert "application sent more than its Content-Length" in server.log_text
    assert "application sent less than its Content-Length" in server.log_text


def test_already_handled_by_local_or_sentinel() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        sock = environ["eventlet.input"].get_socket()
        sock.sendall(b"RAW\r\n")
        if environ["PATH_INFO"] == "/sentinel":
            return wsgi.ALREADY_HANDLED
        wsgi.WSGI_LOCAL.already_handled = True
        return []

    with serving(app) as server:
        local = server.raw(GET + GET)
        sentinel = server.raw(b"GET /sentinel HTTP/1.1\r\n\r\n" + GET)
        normal = server.raw(b"GET / HTTP/1.1\r\n\r\n")
    assert local == b"RAW\r\n"
    assert sentinel == b"RAW\r\n"
    assert normal == b"RAW\r\n"
    assert '"GET / HTTP/1.1" 200 0 ' in server.log_text


def test_posthooks_run_with_the_environ_even_when_replaced() -> None:
    calls: list[Any] = []

    def hook(environ: dict[str, Any], value: int, multiplier: int = 1) -> None:
        calls.append((environ["PATH_INFO"], value * multiplier))

    def app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        if environ["PATH_INFO"] == "/replace":
            environ["eventlet.posthooks"] = [(hook, (7,), {})]
        else:
            environ["eventlet.posthooks"].append((hook, (2,), {"multiplier": 3}))
        start_response("200 OK", [])
        yield b""

    with serving(app) as server:
        server.raw(GET + b"GET /replace HTTP/1.1\r\n\r\n")
    assert calls == [("/", 6), ("/replace", 7)]


def test_result_close_is_called() -> None:
    closed: list[bool] = []

    class Body:
        def __iter__(self) -> Iterator[bytes]:
            return iter([b"a", b"b"])

        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: Any) -> Body:
        start_response("200 OK", [])
        return Body()

    with serving(app) as server:
        data = server.raw(GET)
    assert data.endswith(b"\r\n\r\n2\r\nab\r\n0\r\n\r\n")
    assert closed == [True]


def test_client_going_away_mid_response_is_one_debug_line() -> None:
    def big(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Length", str(10 * 1024 * 1024))])
        for _ in range(10):
            yield b"a" * 1024 * 1024

    with serving(big) as server:
        with server.connect() as sock:
            sock.sendall(GET)
            sock.recv(100)
        assert server.exchange(GET.replace(b"/", b"/x", 1))[0].status == 200
    assert "went away" in server.log_text
    assert "Traceback" not in server.log_text


def test_unread_request_body_drained_or_connection_closed() -> None:
    def ignore(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [environ["PATH_INFO"].encode()]

    def post(path: bytes, body: bytes) -> bytes:
        return b"POST " + path + b" HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % len(body) + body

    def chunked(path: bytes, size: int) -> bytes:
        chunk = b"a" * 65536
        return (
            b"PUT "
            + path
            + b" HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
            + (b"10000\r\n" + chunk + b"\r\n") * (size // 65536)
            + b"0\r\n\r\n"
        )

    big = b"x" * (wsgi._response.MAX_DRAIN + 1)
    with serving(ignore) as server:
        small = server.raw(post(b"/small", b"abc") + GET)
        large = server.raw(post(b"/large", big) + GET)
        large_chunked = server.raw(chunked(b"/chunked", 2 * 1024 * 1024) + GET)
        bad_chunks = server.raw(b"PUT /bad HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" + GET)
        cut = server.raw(b"PUT /cut HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc")
    assert small.count(b"200 OK") == 2
    assert large.count(b"200 OK") == 1
    assert b"Connection: close" in large
    assert large_chunked.count(b"200 OK") == 1
    assert bad_chunks.count(b"200 OK") == 1
    assert cut.count(b"200 OK") == 1
    assert 'chunked encoding error while discarding request body. client=127.0.0.1 request="PUT /bad' in (
        server.log_text
    )
    assert 'I/O error while discarding request body. client=127.0.0.1 request="PUT /cut' in server.log_text


def test_expect_continue_answered_on_first_read_or_connection_closed() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if int(environ["CONTENT_LENGTH"]) > 1024:
            start_response("417 Expectation Failed", [("Content-Length", "7")])
            return [b"failure"]
        environ["wsgi.input"].set_hundred_continue_response_headers([("x-one", "1")])
        text = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Length", str(len(text)))])
        return [text]

    expect = b"PUT / HTTP/1.1\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n"
    with serving(app) as server:
        refused = server.raw(expect % 2000 + GET)
        accepted = server.raw((expect % 7 + b"testing") * 2)
    assert refused.startswith(b"HTTP/1.1 417 ")
    assert b"Connection: close" in refused
    assert refused.count(b"HTTP/1.1") == 1
    assert accepted.count(b"HTTP/1.1 100 Continue\r\nX-One: 1\r\n\r\nHTTP/1.1 200 OK\r\n") == 2
    assert accepted.endswith(b"testing")


def test_app_without_start_response_and_unhashable_header_values(monkeypatch: pytest.MonkeyPatch) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["PATH_INFO"] == "/list":
            start_response("200 OK", [("X-List", ["a", "b"])])
            return [b"ok"]
        if environ["PATH_INFO"] == "/plain":
            start_response("200 OK", [("X-Plain", "yes")])
            return [b"ok"]
        return []

    monkeypatch.setattr(wsgi._response, "_CACHE_SIZE", 0)  # no caching
    with serving(app) as server:
        missing = server.exchange(GET)[0]
        assert server.exchange(b"GET /plain HTTP/1.1\r\n\r\n" * 2)[1].getheader("X-Plain") == "yes"
        listed = server.raw(b"GET /list HTTP/1.1\r\n\r\n" * 2)
    assert missing.status == 500
    assert b"without calling start_response()" in missing.body
    assert listed.count(b"X-List: ['a', 'b']\r\n") == 2


def test_many_distinct_header_names_and_heads() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [(f"x-name-{i}", "v") for i in range(1100)])
        return [b"ok"]

    with serving(app) as server:
        data = server.raw(GET)
    assert b"X-Name-1099: v\r\n" in data
    assert data.endswith(b"ok")


def test_a_500_to_a_client_already_gone_is_quiet() -> None:
    started = threading.Event()
    gone: eventlet.Event[Any] = eventlet.Event()

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        started.set()
        gone.wait()
        raise RuntimeError("too late to tell")

    with serving(app) as server:
        sock = server.connect()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.sendall(GET)
        assert started.wait(10)
        sock.close()  # RST
        server.hub.call_threadsafe(gone.send)  # wake the app in the server's thread
        server.turns()  # the app failed and its 500 met the reset
        assert server.exchange(b"GET /next HTTP/1.1\r\nConnection: close\r\n\r\n")[0].status == 500
    assert "RuntimeError: too late to tell" in server.log_text


def test_set_idle_marks_the_connection_idle() -> None:
    states: list[str] = []

    class Watch(wsgi.HttpProtocol):
        def handle_one_response(self) -> None:
            states.append(self.conn_state[2])
            super().handle_one_response()
            states.append(self.conn_state[2])

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        environ["eventlet.set_idle"]()
        return hello(environ, start_response)

    with serving(app, protocol=Watch) as server:
        server.raw(GET)
    assert states == [wsgi.STATE_REQUEST, wsgi.STATE_IDLE]


def test_a_client_that_stops_reading_is_cut_after_socket_timeout() -> None:
    def big(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [b"a" * (32 * 1024 * 1024)]

    log = logging.getLogger("tests.wsgi.slow_reader")
    with (
        logged(log.name, "went away: timed out") as cut,
        serving(big, socket_timeout=0.3, log=log) as server,
        server.connect() as sock,
    ):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(GET)
        assert cut.wait(30)
