"""RequestParser and Request API behaviour beyond the conformance table."""

from __future__ import annotations

from typing import Any

import pytest

from eventlet.httpd.protocol import (
    EOF,
    NEED_DATA,
    HTTPProtocolError,
    ParserState,
    Request,
    RequestParser,
    continue_response,
)

from .test_protocol_conformance import run_parser, split_bytes

H = b"Host: example.com\r\n"


def state(parser: RequestParser) -> ParserState:
    """The parser's state, read afresh (a type checker narrows ``parser.state`` for good)."""
    return parser.state


def parse(raw: bytes, **options: Any) -> tuple[RequestParser, Request]:
    parser = RequestParser(**options)
    parser.feed(raw)
    req = parser.next_request()
    assert req is not None
    return parser, req


def test_request_fields_and_helpers() -> None:
    raw = (
        b"GET /a/b?x=1&y=%20 HTTP/1.1\r\nHost: example.com:8080\r\n"
        b"Accept: a\r\nAccept: b\r\nConnection: Upgrade, keep-alive\r\n\r\n"
    )
    parser, req = parse(raw)
    assert (req.method, req.target, req.path, req.query) == ("GET", "/a/b?x=1&y=%20", "/a/b", "x=1&y=%20")
    assert req.version == "HTTP/1.1"
    assert req.keep_alive
    assert req.get("accept") == "a"
    assert req.get_all("accept") == ["a", "b"]
    assert req.get("missing") is None
    assert req.get("missing", "d") == "d"
    assert req.host == "example.com:8080"
    assert req.authority is None
    assert req.connection == frozenset({"upgrade", "keep-alive"})
    assert not req.has_body
    assert req.content_length == 0
    assert not req.chunked
    assert repr(req) == "<Request GET '/a/b?x=1&y=%20' HTTP/1.1>"
    assert parser.body_complete
    assert parser.request is req
    assert parser.read_body() is EOF


def test_absolute_form_authority_overrides_host() -> None:
    _, req = parse(b"GET http://other.example:81/p?q HTTP/1.1\r\n" + H + b"\r\n")
    assert (req.path, req.query, req.authority, req.host) == (
        "/p",
        "q",
        "other.example:81",
        "other.example:81",
    )


def test_connect_and_asterisk_targets() -> None:
    _, req = parse(b"CONNECT [::1]:443 HTTP/1.1\r\n" + H + b"\r\n")
    assert (req.path, req.query, req.authority) == ("[::1]:443", "", "[::1]:443")
    _, req = parse(b"OPTIONS * HTTP/1.1\r\n" + H + b"\r\n")
    assert (req.path, req.query, req.authority) == ("*", "", None)


def test_cgi_headers_drop_underscores_and_join_duplicates() -> None:
    raw = (
        b"POST / HTTP/1.1\r\n" + H + b"Content-Type: text/plain\r\nContent-Length: 0\r\n"
        b"X-Forwarded-For: 1.1.1.1\r\nX_Forwarded_For: 6.6.6.6\r\nX-A: 1\r\nx-a: 2\r\n"
        b"Cookie: a=1\r\nCookie: b=2\r\n\r\n"
    )
    _, req = parse(raw)
    assert req.get("x_forwarded_for") == "6.6.6.6"  # kept, visible to the driver
    assert req.cgi_headers() == {
        "HTTP_HOST": "example.com",
        "CONTENT_TYPE": "text/plain",
        "CONTENT_LENGTH": "0",
        "HTTP_X_FORWARDED_FOR": "1.1.1.1",
        "HTTP_X_A": "1, 2",
        "HTTP_COOKIE": "a=1; b=2",
    }


def test_content_length_body_incremental_reads() -> None:
    parser = RequestParser()
    parser.feed(b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 10\r\n\r\nabc")
    req = parser.next_request()
    assert req is not None
    assert req.content_length == 10
    assert req.has_body
    assert parser.in_progress
    assert not parser.body_complete
    assert parser.read_body(0) == b""
    assert parser.read_body(2) == b"ab"
    assert parser.read_body() == b"c"
    assert parser.read_body() is NEED_DATA
    parser.feed(b"defghijGET")
    assert parser.read_body(-1) == b"defghij"
    assert parser.body_complete
    assert parser.read_body() is EOF
    assert parser.buffered == 3  # the start of the next request stays buffered
    assert parser.next_request() is None
    assert parser.in_progress


def test_chunked_small_reads_and_trailers() -> None:
    parser, req = parse(b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n")
    assert req.chunked
    assert req.content_length is None
    assert req.has_body
    assert state(parser) is ParserState.CHUNKED_BODY
    assert parser.read_body() is NEED_DATA
    parser.feed(b"a;x=y\r\n0123456789\r\n0\r\nDigest: z\r\n\r\nNEXT")
    assert parser.read_body(0) == b""
    assert parser.read_body(4) == b"0123"
    assert parser.read_body() == b"456789"
    assert parser.read_body() is EOF
    assert req.trailers == [("digest", "z")]
    assert parser.body_complete
    assert parser.buffered == 4


def test_drain_body() -> None:
    parser, _ = parse(b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 4\r\n\r\nab")
    assert parser.drain_body() is False
    parser.feed(b"cd" + b"GET / HTTP/1.1\r\n" + H + b"\r\n")
    assert parser.drain_body() is True
    req = parser.next_request()  # implies start_next()
    assert req is not None
    assert req.method == "GET"


def test_expect_continue() -> None:
    _, req = parse(b"PUT / HTTP/1.1\r\n" + H + b"Expect: 100-Continue\r\nContent-Length: 1\r\n\r\n")
    assert req.expect_continue
    _, req = parse(b"PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n")
    assert not req.expect_continue  # RFC 9110 10.1.1: ignored for HTTP/1.0
    assert continue_response() == b"HTTP/1.1 100 Continue\r\n\r\n"


def test_take_buffer_for_tunnels() -> None:
    parser, req = parse(
        b"GET /ws HTTP/1.1\r\n" + H + b"Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05"
    )
    assert "upgrade" in req.connection
    assert parser.body_complete
    assert state(parser) is ParserState.DONE
    assert parser.take_buffer() == b"\x81\x05"
    assert parser.buffered == 0
    assert state(parser) is ParserState.DETACHED
    with pytest.raises(RuntimeError, match="parser state DETACHED"):
        parser.next_request()
    with pytest.raises(RuntimeError):
        parser.read_body()


def test_misuse_raises_runtime_error() -> None:
    parser = RequestParser()
    assert state(parser) is ParserState.HEAD
    with pytest.raises(RuntimeError, match=r"read_body\(\) is not valid in parser state HEAD"):
        parser.read_body()
    with pytest.raises(RuntimeError):
        parser.take_buffer()
    parser.start_next()  # harmless while waiting for a head
    parser.feed(b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 5\r\n\r\n")
    assert parser.next_request() is not None
    assert state(parser) is ParserState.BODY
    with pytest.raises(RuntimeError, match="parser state BODY"):
        parser.next_request()  # body not consumed yet
    parser.feed(b"hello" + b"GET / HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n")
    assert parser.read_body() == b"hello"
    assert state(parser) is ParserState.DONE
    req = parser.next_request()
    assert req is not None
    assert not req.keep_alive
    with pytest.raises(RuntimeError):
        parser.start_next()  # the client asked to close


def test_failed_parser_keeps_failing() -> None:
    parser = RequestParser()
    parser.feed(b"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n")
    with pytest.raises(HTTPProtocolError) as first:
        parser.next_request()
    assert state(parser) is ParserState.FAILED
    with pytest.raises(HTTPProtocolError) as again:
        parser.next_request()
    assert again.value is first.value
    with pytest.raises(HTTPProtocolError):
        parser.read_body()
    assert not parser.in_progress


def test_failed_chunked_body_keeps_failing() -> None:
    parser, _ = parse(b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n")
    with pytest.raises(HTTPProtocolError) as first:
        parser.read_body()
    assert first.value.status == 400
    with pytest.raises(HTTPProtocolError):
        parser.read_body()


def test_markers_repr() -> None:
    assert (repr(NEED_DATA), repr(EOF)) == ("NEED_DATA", "EOF")


def test_protocol_error_text() -> None:
    err = HTTPProtocolError(431, "too many")
    assert (err.status, err.reason, err.phrase) == (431, "too many", "Request Header Fields Too Large")
    assert str(err) == "431 Request Header Fields Too Large: too many"
    assert HTTPProtocolError(599, "odd").phrase == "Error"


def test_require_host_can_be_disabled() -> None:
    _, req = parse(b"GET / HTTP/1.1\r\n\r\n", require_host=False)
    assert req.host is None
    _, req = parse(b"GET / HTTP/1.1\r\nAccept: x\r\n\r\n", require_host=False)
    assert req.get("accept") == "x"


def test_host_validation_cache_does_not_hide_errors() -> None:
    parser = RequestParser()
    parser.feed(b"GET / HTTP/1.1\r\nHost: good\r\n\r\nGET / HTTP/1.1\r\nHost: good\r\n\r\n")
    assert parser.next_request() is not None
    assert parser.next_request() is not None
    parser.feed(b"GET / HTTP/1.1\r\nHost: b@d\r\n\r\n")
    with pytest.raises(HTTPProtocolError):
        parser.next_request()


@pytest.mark.parametrize(
    ("options", "raw", "status"),
    [
        ({"max_line": 20}, b"GET /123456789012345 HTTP/1.1\r\n" + H + b"\r\n", 414),
        ({"max_line": 30}, b"GET /123456789012345 HTTP/1.1\r\n" + H + b"\r\n", None),
        ({"max_header_bytes": 19}, b"GET / HTTP/1.1\r\n" + H + b"\r\n", None),
        ({"max_header_bytes": 18}, b"GET / HTTP/1.1\r\n" + H + b"\r\n", 431),
        ({"max_headers": 1}, b"GET / HTTP/1.1\r\n" + H + b"X: y\r\n\r\n", 431),
        (
            {"max_chunk_line": 5},
            b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n1;a=b\r\nx\r\n0\r\n\r\n",
            None,
        ),
        (
            {"max_chunk_line": 4},
            b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n1;a=b\r\nx\r\n0\r\n\r\n",
            400,
        ),
        (
            {"max_header_bytes": 19},
            b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n0\r\nA: 1\r\n\r\n",
            431,
        ),
    ],
)
def test_limits_are_exact_and_incremental_agrees(
    options: dict[str, int], raw: bytes, status: int | None
) -> None:
    whole = run_parser([raw], **options)
    assert whole.status == status, whole.reason
    assert run_parser(split_bytes(raw), **options) == whole


def test_lone_cr_at_head_end_is_not_counted_early() -> None:
    # 19 header bytes exactly; the final CR arrives alone and must not trip 431.
    parser = RequestParser(max_header_bytes=19)
    parser.feed(b"GET / HTTP/1.1\r\n" + H + b"\r")
    assert parser.next_request() is None
    parser.feed(b"\n")
    assert parser.next_request() is not None


def test_byte_by_byte_head_is_linear() -> None:
    # A long header fed one byte at a time: each feed rescans only new bytes.
    parser = RequestParser()
    head = b"GET / HTTP/1.1\r\n" + H + b"X-Long: " + b"v" * 60000 + b"\r\n\r\n"
    for i in range(len(head) - 1):
        parser.feed(head[i : i + 1])
        assert parser.next_request() is None
    parser.feed(head[-1:])
    req = parser.next_request()
    assert req is not None
    assert len(req.get("x-long") or "") == 60000


def _next(parser: RequestParser, raw: bytes) -> Request:
    parser.feed(raw)
    req = parser.next_request()
    assert req is not None
    return req


def test_repeated_heads_are_parsed_like_fresh_ones() -> None:
    # A keep-alive client repeats its request line and fields: the parser reuses
    # its previous parse, but every request still gets its own header list.
    raw = b"GET /x?q=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t/1\r\nAccept: */*\r\n\r\n"
    parser = RequestParser()
    first = _next(parser, raw)
    second = _next(parser, raw)
    assert second is not first
    assert second.headers == first.headers
    assert second.headers is not first.headers
    first.headers.append(("x-mutated", "1"))
    third = _next(parser, raw)
    assert ("x-mutated", "1") not in third.headers
    assert (third.method, third.path, third.query) == ("GET", "/x", "q=1")
    # Same fields, new request line; same request line, new fields.
    other = _next(parser, b"POST /y HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t/1\r\nAccept: */*\r\n\r\n")
    assert (other.method, other.path) == ("POST", "/y")
    again = _next(parser, b"POST /y HTTP/1.1\r\nHost: example.com\r\nContent-Length: 2\r\n\r\nok")
    assert again.content_length == 2
    assert parser.read_body() == b"ok"
    absolute = b"GET http://example.com/a HTTP/1.1\r\n" + H + b"\r\n"
    for _ in range(2):
        req = _next(parser, absolute)
        assert req.authority == "example.com"
        assert req.path == "/a"


def test_repeated_heads_still_meet_changed_limits() -> None:
    raw = b"GET / HTTP/1.1\r\n" + H + b"Accept: a\r\nAccept: b\r\n\r\n"
    parser = RequestParser()
    _next(parser, raw)
    parser.max_headers = 2
    parser.feed(raw)
    with pytest.raises(HTTPProtocolError) as info:
        parser.next_request()
    assert info.value.status == 431
    for limit, status in (("max_line", 414), ("max_header_bytes", 431)):
        parser = RequestParser()
        _next(parser, raw)
        setattr(parser, limit, 10)
        parser.feed(raw)
        with pytest.raises(HTTPProtocolError) as info:
            parser.next_request()
        assert info.value.status == status


def test_repeated_fields_with_a_bad_request_line_are_rejected() -> None:
    parser = RequestParser()
    _next(parser, b"GET / HTTP/1.1\r\n" + H + b"\r\n")
    for bad, status in ((b"GET / HTTP/2.0", 505), (b"GET /\x01 HTTP/1.1", 400), (b"GET  / HTTP/1.1", 400)):
        fresh = RequestParser()
        _next(fresh, b"GET / HTTP/1.1\r\n" + H + b"\r\n")
        fresh.feed(bad + b"\r\n" + H + b"\r\n")
        with pytest.raises(HTTPProtocolError) as info:
            fresh.next_request()
        assert info.value.status == status


def test_repeated_line_with_bad_fields_is_rejected() -> None:
    parser = RequestParser()
    _next(parser, b"GET / HTTP/1.1\r\n" + H + b"\r\n")
    parser.feed(b"GET / HTTP/1.1\r\n" + H + b"Bad Name: 1\r\n\r\n")
    with pytest.raises(HTTPProtocolError) as info:
        parser.next_request()
    assert info.value.status == 400


def test_unusual_but_valid_names_and_spellings() -> None:
    raw = b"GET / HTTP/1.1\r\nHOST: example.com\r\nX_Under.Dot: 1\r\nuser-agent:\tt \r\n\r\n"
    for _ in range(2):
        _, req = parse(raw)
        assert req.headers == [("host", "example.com"), ("x_under.dot", "1"), ("user-agent", "t")]


def test_pending_method_names_a_rejected_head() -> None:
    parser = RequestParser()
    assert parser.pending_method is None
    parser.feed(b"HEAD / HTTP/1.1\r\nHost: a b\r\n\r\n")
    with pytest.raises(HTTPProtocolError):
        parser.next_request()
    assert parser.pending_method == "HEAD"


def test_start_next_then_next_request() -> None:
    parser = RequestParser()
    first = _next(parser, b"GET /a HTTP/1.1\r\n" + H + b"\r\nGET /b HTTP/1.1\r\n" + H + b"\r\n")
    assert parser.request is first
    assert parser.body_complete
    parser.start_next()
    assert parser.request is None
    assert _next(parser, b"").path == "/b"
