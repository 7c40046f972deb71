"""ResponseWriter, chunk helpers and error responses."""

from __future__ import annotations

import pytest

from eventlet.httpd.protocol import (
    EOF,
    DateCache,
    HTTPProtocolError,
    Request,
    RequestParser,
    ResponseWriter,
    continue_response,
    encode_chunk,
    end_chunks,
    field_lines,
    http_date,
)

H = b"Host: example.com\r\n"
FIXED = 784111777.0  # Sun, 06 Nov 1994 08:49:37 GMT


def request(raw: bytes) -> Request:
    parser = RequestParser()
    parser.feed(raw)
    req = parser.next_request()
    assert req is not None
    return req


GET11 = request(b"GET / HTTP/1.1\r\n" + H + b"\r\n")
GET11_CLOSE = request(b"GET / HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n")
GET10 = request(b"GET / HTTP/1.0\r\n\r\n")
GET10_KA = request(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
HEAD11 = request(b"HEAD / HTTP/1.1\r\n" + H + b"\r\n")
CONNECT = request(b"CONNECT example.com:443 HTTP/1.1\r\n" + H + b"\r\n")


def writer() -> ResponseWriter:
    return ResponseWriter(server="test", date_cache=DateCache(lambda: FIXED))


def lines(data: bytes) -> list[bytes]:
    assert data.endswith(b"\r\n\r\n")
    return data[:-4].split(b"\r\n")


def test_date_cache_formats_imf_fixdate_once_per_second() -> None:
    now = [FIXED]
    cache = DateCache(lambda: now[0])
    assert cache.get() == "Sun, 06 Nov 1994 08:49:37 GMT"
    first = cache.get()
    now[0] += 0.5
    assert cache.get() is first  # same second: cached string
    now[0] += 1
    assert cache.get() == "Sun, 06 Nov 1994 08:49:38 GMT"
    assert DateCache().get().endswith(" GMT")


def test_content_length_response() -> None:
    head = writer().head(GET11, "200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    assert lines(head.data) == [
        b"HTTP/1.1 200 OK",
        b"Content-Type: text/plain",
        b"Content-Length: 5",
        b"Date: Sun, 06 Nov 1994 08:49:37 GMT",
        b"Server: test",
    ]
    assert (head.has_body, head.chunked, head.content_length, head.keep_alive) == (True, False, 5, True)


def test_body_length_hint_adds_content_length() -> None:
    head = writer().head(GET11, "200 OK", [], body_length=3)
    assert b"Content-Length: 3" in lines(head.data)
    assert head.content_length == 3
    assert not head.chunked


def test_unknown_length_http11_is_chunked() -> None:
    head = writer().head(GET11, "200 OK", [("X-A", "b")])
    assert b"Transfer-Encoding: chunked" in lines(head.data)
    assert head.chunked
    assert head.has_body
    assert head.keep_alive
    assert head.content_length is None


def test_unknown_length_http10_is_close_delimited() -> None:
    head = writer().head(GET10_KA, "200 OK", [])
    assert b"Connection: close" in lines(head.data)
    assert not head.chunked
    assert not head.keep_alive
    assert head.has_body


def test_http10_keep_alive_with_length() -> None:
    head = writer().head(GET10_KA, "200 OK", [("Content-Length", "0")])
    assert b"Connection: keep-alive" in lines(head.data)
    assert head.keep_alive


def test_http10_without_keep_alive_closes() -> None:
    head = writer().head(GET10, "200 OK", [("Content-Length", "0")])
    assert b"Connection: close" in lines(head.data)
    assert not head.keep_alive


def test_client_close_is_echoed() -> None:
    head = writer().head(GET11_CLOSE, "200 OK", [("Content-Length", "0")])
    assert b"Connection: close" in lines(head.data)
    assert not head.keep_alive


def test_app_connection_close_is_honoured_and_not_duplicated() -> None:
    head = writer().head(GET11, "200 OK", [("Connection", "Close"), ("Content-Length", "0")])
    assert lines(head.data).count(b"Connection: close") == 1
    assert b"Connection: Close" not in lines(head.data)
    assert not head.keep_alive
    head = writer().head(GET11, "200 OK", [("Connection", "keep-alive"), ("Content-Length", "0")])
    assert not any(line.startswith(b"Connection") for line in lines(head.data))
    assert head.keep_alive


def test_app_date_and_server_are_kept() -> None:
    head = writer().head(GET11, "200 OK", [("Date", "x"), ("Server", "app"), ("Content-Length", "0")])
    assert lines(head.data)[1:3] == [b"Date: x", b"Server: app"]
    assert len(lines(head.data)) == 4
    no_server = ResponseWriter(server=None, date_cache=DateCache(lambda: FIXED))
    assert not any(line.startswith(b"Server") for line in lines(no_server.head(GET11, "200 OK", []).data))


@pytest.mark.parametrize("status", ["204 No Content", "304 Not Modified", "100 Continue"])
def test_bodyless_statuses(status: str) -> None:
    head = writer().head(GET11, status, [("Content-Length", "7")])
    assert not head.has_body
    assert not head.chunked
    assert head.content_length is None
    has_cl = b"Content-Length: 7" in lines(head.data)
    assert has_cl == status.startswith("304")  # RFC 9110 8.6: never for 1xx/204


def test_head_response_keeps_length_but_no_body() -> None:
    head = writer().head(HEAD11, "200 OK", [("Content-Length", "42")])
    assert b"Content-Length: 42" in lines(head.data)
    assert not head.has_body
    assert head.keep_alive
    assert head.content_length is None
    hinted = writer().head(HEAD11, "200 OK", [], body_length=9)
    assert b"Content-Length: 9" in lines(hinted.data)
    assert not hinted.chunked
    unknown = writer().head(HEAD11, "200 OK", [])
    assert not any(b"Content-Length" in line or b"chunked" in line for line in lines(unknown.data))


def test_connect_success_has_no_body_or_length() -> None:
    head = writer().head(CONNECT, "200 Connection Established", [("Content-Length", "0")])
    assert not head.has_body
    assert b"Content-Length: 0" not in lines(head.data)
    failed = writer().head(CONNECT, "403 Forbidden", [("Content-Length", "0")])
    assert failed.has_body
    assert b"Content-Length: 0" in lines(failed.data)


def test_switching_protocols_keeps_upgrade_headers() -> None:
    head = writer().head(
        GET11, "101 Switching Protocols", [("Upgrade", "websocket"), ("Connection", "Upgrade")]
    )
    assert lines(head.data)[1:3] == [b"Upgrade: websocket", b"Connection: Upgrade"]
    assert not head.has_body
    assert not head.keep_alive


def test_obs_text_and_tab_values_are_allowed() -> None:
    head = writer().head(GET11, "200 OK", [("X-A", "caf\xe9\tb"), ("Content-Length", "0")])
    assert b"X-A: caf\xe9\tb" in lines(head.data)


@pytest.mark.parametrize(
    ("status", "headers"),
    [
        ("200 OK", [("X-A", "b\r\nSet-Cookie: evil=1")]),
        ("200 OK", [("X-A", "b\nc")]),
        ("200 OK", [("X-A", "b\rc")]),
        ("200 OK", [("X-A", "b\x00c")]),
        ("200 OK", [("X-A", "b\x7fc")]),
        ("200 OK", [("X-A", "\u20ac")]),
        ("200 OK", [("X-A", "\u0100")]),
        ("200 OK", [("X-A\r\nEvil", "b")]),
        ("200 OK", [("X-A: b", "c")]),
        ("200 OK", [("", "c")]),
        ("200 OK", [(b"X-A", "c")]),
        ("200 OK", [("Content-Length", "+5")]),
        ("200 OK", [("Content-Length", "\u0665")]),
        ("200 OK", [("Transfer-Encoding", "chunked")]),
        ("200", []),
        ("20 OK", []),
        ("600 Nope", []),
        ("200 OK\r\nX: y", []),
    ],
)
def test_invalid_app_input_raises_value_error(status: str, headers: list[tuple[str, str]]) -> None:
    with pytest.raises(ValueError, match=r"^invalid |latin-1|set by the server"):
        writer().head(GET11, status, headers)


def test_non_str_value_raises_type_error() -> None:
    with pytest.raises(TypeError):
        writer().head(GET11, "200 OK", [("X-A", b"bytes")])  # type: ignore[list-item]


def test_invalid_server_name_rejected() -> None:
    with pytest.raises(ValueError, match="invalid character"):
        ResponseWriter(server="x\r\ny")


def test_writer_reuse_hits_caches() -> None:
    w = writer()
    first = w.head(GET11, "200 OK", [("Content-Type", "text/plain"), ("Content-Length", "1")])
    again = w.head(GET11, "200 OK", [("Content-Type", "text/plain"), ("Content-Length", "1")])
    assert first == again
    with pytest.raises(ValueError, match="invalid character"):
        w.head(GET11, "200 OK", [("Content-Type", "a\r\nb")])  # cached name, bad value


def test_caches_stay_bounded() -> None:
    w = writer()
    for i in range(600):
        w.head(GET11, f"200 OK{i}", [(f"X-{i}", "v")])
    assert len(w._names) <= 512
    assert len(w._statuses) <= 512
    assert b"X-599: v" in lines(w.head(GET11, "200 OK599", [("X-599", "v")]).data)


def test_chunk_helpers() -> None:
    assert encode_chunk(b"hello") == b"5\r\nhello\r\n"
    assert encode_chunk(b"x" * 26) == b"1a\r\n" + b"x" * 26 + b"\r\n"
    assert encode_chunk(b"") == b""
    assert end_chunks() == end_chunks([]) == end_chunks(iter(())) == b"0\r\n\r\n"
    assert end_chunks(iter([("X-Sum", "1")])) == b"0\r\nX-Sum: 1\r\n\r\n"
    with pytest.raises(ValueError, match="invalid character"):
        end_chunks([("X-Sum", "1\r\n")])
    with pytest.raises(ValueError, match="invalid header name"):
        end_chunks([("X Sum", "1")])


def test_continue_response_checks_its_headers() -> None:
    assert continue_response() == continue_response([]) == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert continue_response([("X-Hint", "a b")]) == b"HTTP/1.1 100 Continue\r\nX-Hint: a b\r\n\r\n"
    for name, value in [("X", "1\r\nY: 2"), ("X", "\n"), ("X\r\nY", "1"), ("", "1"), ("X", "\u20ac")]:
        with pytest.raises(ValueError, match=r"invalid (character|header name)"):
            continue_response([(name, value)])
    with pytest.raises(ValueError, match="not a str"):
        field_lines([("X-Number", 5)])  # type: ignore[list-item]
    assert field_lines([("A", ""), ("B", "\x80\t")]) == b"A: \r\nB: \x80\t\r\n"


def test_http_date_is_the_imf_fixdate() -> None:
    assert http_date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT"  # RFC 9110 5.6.7's example
    assert DateCache(lambda: 784111777.9).get() == http_date(784111777)


def test_chunked_response_round_trips_through_parser() -> None:
    body = encode_chunk(b"hello ") + encode_chunk(b"world") + end_chunks([("X-T", "v")])
    parser = RequestParser()
    parser.feed(b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n" + body)
    req = parser.next_request()
    assert req is not None
    got = b""
    while isinstance(data := parser.read_body(), bytes):
        got += data
    assert data is EOF
    assert got == b"hello world"
    assert req.trailers == [("x-t", "v")]


@pytest.mark.parametrize("status", [400, 413, 414, 431, 501, 505])
def test_error_response(status: int) -> None:
    data = writer().error_response(HTTPProtocolError(status, "why"))
    head, _, body = data.partition(b"\r\n\r\n")
    head_lines = head.split(b"\r\n")
    assert head_lines[0].startswith(b"HTTP/1.1 %d " % status)
    assert b"Connection: close" in head_lines
    assert b"Content-Length: %d" % len(body) in head_lines
    assert b"Server: test" in head_lines
    assert body.endswith(b": why\n")


def test_error_response_sanitises_reason() -> None:
    w = ResponseWriter(server=None)
    data = w.error_response(HTTPProtocolError(400, "a\r\nX-Evil: 1\x00\u20ac"))
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"X-Evil" not in head
    assert b"Server" not in head
    assert body == b"400 Bad Request: a??X-Evil: 1??\n"


def test_connect_success_ends_http_on_the_connection() -> None:
    # Regression: a 2xx answer to CONNECT left keep_alive true, so the driver
    # would have parsed the tunnel's bytes as HTTP requests.
    head = writer().head(CONNECT, "200 Connection Established", [])
    assert not head.keep_alive
    assert not head.has_body
    assert not any(line.startswith(b"Connection") for line in lines(head.data))
    failed = writer().head(CONNECT, "407 Proxy Authentication Required", [("Content-Length", "0")])
    assert failed.keep_alive  # no tunnel: the client may try again on this connection


@pytest.mark.parametrize("status", [400, 413, 431, 505])
def test_error_response_to_head_has_no_body(status: int) -> None:
    # Regression: error_response sent a body even when answering HEAD.
    full = writer().error_response(HTTPProtocolError(status, "why"), "GET")
    bare = writer().error_response(HTTPProtocolError(status, "why"), "HEAD")
    head, _, body = full.partition(b"\r\n\r\n")
    assert bare == head + b"\r\n\r\n"  # the same head, Content-Length included
    assert b"Content-Length: %d" % len(body) in lines(bare)
    assert body


# The pre-rendered head: whatever path encodes it, a head must be byte-identical.

SHAPES: list[tuple[str, list[tuple[str, str]], int | None]] = [
    ("200 OK", [("Content-Type", "text/plain")], 13),
    ("200 OK", [("Content-Type", "text/plain")], 0),
    ("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")], None),
    ("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")], 9),
    ("200 OK", [("Content-Type", "text/plain")], None),
    ("404 Not Found", [], 3),
    ("200 OK", [("Connection", "keep-alive"), ("X-A", "b")], 2),
    ("200 OK", [("Connection", "close")], 2),
    ("200 OK", [("Date", "Sun, 06 Nov 1994 08:49:37 GMT")], 2),
    ("200 OK", [("Server", "app")], 2),
    ("204 No Content", [], 0),
    ("304 Not Modified", [("ETag", '"x"')], 0),
    ("101 Switching Protocols", [("Upgrade", "websocket"), ("Connection", "Upgrade")], None),
]
REQUESTS = [GET11, GET11_CLOSE, GET10, GET10_KA, HEAD11, CONNECT]


@pytest.mark.parametrize("server", ["test", None])
def test_repeated_heads_are_identical_to_fresh_ones(server: str | None) -> None:
    now = [FIXED]
    shared = ResponseWriter(server=server, date_cache=DateCache(lambda: now[0]))
    for _ in range(3):
        for req in REQUESTS:
            for status, headers, body_length in SHAPES:
                fresh = ResponseWriter(server=server, date_cache=DateCache(lambda: now[0]))
                want = fresh.head(req, status, list(headers), body_length)
                assert shared.head(req, status, list(headers), body_length) == want
                assert shared.head(req, status, iter(headers), body_length) == want
        now[0] += 1  # the Date line changes between rounds
    shared.server = "renamed"  # the pre-rendered Date/Server lines follow the attribute
    head = shared.head(GET11, "200 OK", [("Content-Type", "text/plain")], 13)
    assert b"Server: renamed" in lines(head.data)
    assert b"Content-Length: 13" in lines(head.data)


def test_pre_rendered_heads_still_reject_bad_headers() -> None:
    w = writer()
    good = [("Content-Type", "text/plain")]
    w.head(GET11, "200 OK", good, 5)
    w.head(GET11, "200 OK", good, 5)
    with pytest.raises(ValueError, match="invalid header name"):
        w.head(GET11, "200 OK", [["Content-Type", "text/plain"], ["X y", "1"]], 5)  # type: ignore[list-item]
    with pytest.raises(ValueError, match="invalid character"):
        w.head(GET11, "200 OK", [("Content-Type", "text/plain\r\nX-Evil: 1")], 5)


def test_pre_rendered_head_cache_is_bounded() -> None:
    w = writer()
    for i in range(1200):
        head = w.head(GET11, "200 OK", [("X-N", str(i))], 1)
        assert b"X-N: %d" % i in lines(head.data)
    assert len(w._rendered) <= 512
