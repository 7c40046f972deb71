"""HTTP/1.1 request conformance table: raw bytes and the expected outcome.

Plain data, importable by any test (the sans-IO parser tests and the live
server tests alike).  Each :class:`Case` is a byte string a client sends on
one connection and either

* ``status is None``: every request in ``requests`` is parsed, in order, and
  nothing is left over; or
* ``status`` set: the requests in ``requests`` (often none) are parsed, then
  the server must answer ``status`` and close.

``options`` are :class:`eventlet.httpd.protocol.RequestParser` keyword
arguments the case needs (a live-server test that cannot configure them
should skip the case).  Default limits: request line 8190 bytes, header
section 65536 bytes, 100 headers, no body limit.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Parsed:
    """What one successfully parsed request must look like.

    ``headers``, when not ``None``, must equal the request's header list
    exactly (names lower-cased, values stripped).
    """

    method: str
    target: str
    body: bytes = b""
    version: str = "HTTP/1.1"
    keep_alive: bool = True
    headers: tuple[tuple[str, str], ...] | None = None
    trailers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Case:
    """One conformance case; see the module docstring."""

    id: str
    raw: bytes
    requests: tuple[Parsed, ...] = ()
    status: int | None = None
    options: tuple[tuple[str, int], ...] = ()
    rule: str = ""


H = b"Host: example.com\r\n"
GET = Parsed("GET", "/")


def _get(head: bytes) -> bytes:
    return b"GET / HTTP/1.1\r\n" + head + b"\r\n"


def _post(head: bytes, body: bytes) -> bytes:
    return b"POST /p HTTP/1.1\r\n" + H + head + b"\r\n" + body


def _chunked(body: bytes) -> bytes:
    return _post(b"Transfer-Encoding: chunked\r\n", body)


CURL = (
    b"GET /hello?name=world HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n"
)

VALID: list[Case] = [
    Case(
        "curl-get",
        CURL,
        (
            Parsed(
                "GET",
                "/hello?name=world",
                headers=(
                    ("host", "127.0.0.1:8080"),
                    ("user-agent", "curl/8.5.0"),
                    ("accept", "*/*"),
                ),
            ),
        ),
    ),
    Case(
        "http10-no-host",
        b"GET /x HTTP/1.0\r\n\r\n",
        (Parsed("GET", "/x", version="HTTP/1.0", keep_alive=False),),
        rule="RFC 9112 9.3",
    ),
    Case(
        "http10-keep-alive",
        b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        (Parsed("GET", "/", version="HTTP/1.0"),),
    ),
    Case("http11-close", _get(H + b"Connection: close\r\n"), (Parsed("GET", "/", keep_alive=False),)),
    Case(
        "close-wins", _get(H + b"Connection: Keep-Alive, CLOSE\r\n"), (Parsed("GET", "/", keep_alive=False),)
    ),
    Case(
        "http10-close-and-keep-alive",
        b"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
        (Parsed("GET", "/", version="HTTP/1.0", keep_alive=False),),
    ),
    Case("leading-crlf", b"\r\n\r\n" + _get(H), (GET,), rule="RFC 9112 2.2"),
    Case("post-content-length", _post(b"Content-Length: 5\r\n", b"hello"), (Parsed("POST", "/p", b"hello"),)),
    Case("post-content-length-zero", _post(b"Content-Length: 0\r\n", b""), (Parsed("POST", "/p"),)),
    Case("cl-leading-zeros", _post(b"Content-Length: 005\r\n", b"hello"), (Parsed("POST", "/p", b"hello"),)),
    Case(
        "cl-duplicate-same-list",
        _post(b"Content-Length: 5, 5\r\n", b"hello"),
        (Parsed("POST", "/p", b"hello"),),
        rule="RFC 9110 8.6",
    ),
    Case(
        "cl-duplicate-same-lines",
        _post(b"Content-Length: 5\r\nContent-Length: 5\r\n", b"hello"),
        (Parsed("POST", "/p", b"hello"),),
    ),
    Case(
        "chunked",
        _chunked(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
        (Parsed("POST", "/p", b"hello world"),),
    ),
    Case("chunked-empty", _chunked(b"0\r\n\r\n"), (Parsed("POST", "/p"),)),
    Case(
        "chunked-hex-upper-lower",
        _chunked(b"A\r\n0123456789\r\nb\r\n0123456789a\r\n0\r\n\r\n"),
        (Parsed("POST", "/p", b"01234567890123456789a"),),
    ),
    Case(
        "chunked-leading-zeros", _chunked(b"0005\r\nhello\r\n000\r\n\r\n"), (Parsed("POST", "/p", b"hello"),)
    ),
    Case(
        "chunked-extensions",
        _chunked(b'5;a=b;c="d \\" e" ; f\r\nhello\r\n0;last\r\n\r\n'),
        (Parsed("POST", "/p", b"hello"),),
        rule="RFC 9112 7.1.1",
    ),
    Case(
        "chunked-trailers",
        _chunked(b"5\r\nhello\r\n0\r\nX-Sum: abc \r\nX-B:\r\n\r\n"),
        (Parsed("POST", "/p", b"hello", trailers=(("x-sum", "abc"), ("x-b", ""))),),
        rule="RFC 9112 7.1.2",
    ),
    Case(
        "te-case-insensitive", _post(b"Transfer-Encoding: Chunked\r\n", b"0\r\n\r\n"), (Parsed("POST", "/p"),)
    ),
    Case(
        "te-empty-list-elements",
        _post(b"Transfer-Encoding: , chunked,\r\n", b"0\r\n\r\n"),
        (Parsed("POST", "/p"),),
    ),
    Case("pipelined-gets", _get(H) + b"GET /2 HTTP/1.1\r\n" + H + b"\r\n", (GET, Parsed("GET", "/2"))),
    Case(
        "pipelined-post-get",
        _post(b"Content-Length: 3\r\n", b"abc") + _get(H),
        (Parsed("POST", "/p", b"abc"), GET),
    ),
    Case(
        "pipelined-chunked-get",
        _chunked(b"3\r\nabc\r\n0\r\n\r\n") + _get(H),
        (Parsed("POST", "/p", b"abc"), GET),
    ),
    Case(
        "close-stops-pipeline",
        _get(H + b"Connection: close\r\n") + _get(H),
        (Parsed("GET", "/", keep_alive=False),),
        rule="RFC 9112 9.6",
    ),
    Case(
        "options-asterisk",
        b"OPTIONS * HTTP/1.1\r\n" + H + b"\r\n",
        (Parsed("OPTIONS", "*"),),
        rule="RFC 9112 3.2.4",
    ),
    Case(
        "connect-authority",
        b"CONNECT example.com:443 HTTP/1.1\r\n" + H + b"\r\n",
        (Parsed("CONNECT", "example.com:443"),),
        rule="RFC 9112 3.2.3",
    ),
    Case(
        "absolute-form",
        b"GET http://example.com/a?b=c HTTP/1.1\r\n" + H + b"\r\n",
        (Parsed("GET", "http://example.com/a?b=c"),),
        rule="RFC 9112 3.2.2",
    ),
    Case(
        "absolute-form-no-path",
        b"GET https://example.com HTTP/1.1\r\n" + H + b"\r\n",
        (Parsed("GET", "https://example.com"),),
    ),
    Case(
        "obs-text-value",
        _get(H + b"X-Name: caf\xe9\r\n"),
        (Parsed("GET", "/", headers=(("host", "example.com"), ("x-name", "caf\xe9"))),),
    ),
    Case(
        "htab-in-value",
        _get(H + b"X-T: a\tb\r\n"),
        (Parsed("GET", "/", headers=(("host", "example.com"), ("x-t", "a\tb"))),),
    ),
    Case(
        "empty-value",
        _get(H + b"X-Empty:\r\n"),
        (Parsed("GET", "/", headers=(("host", "example.com"), ("x-empty", ""))),),
    ),
    Case(
        "ows-stripped",
        _get(b"Host:\t example.com \t\r\n"),
        (Parsed("GET", "/", headers=(("host", "example.com"),)),),
    ),
    Case("unusual-method", b"PROPFIND /dav HTTP/1.1\r\n" + H + b"\r\n", (Parsed("PROPFIND", "/dav"),)),
    Case(
        "tchar-method-and-name",
        b"M-1.x /t HTTP/1.1\r\n" + H + b"X.Odd~Name!: v\r\n\r\n",
        (Parsed("M-1.x", "/t", headers=(("host", "example.com"), ("x.odd~name!", "v"))),),
    ),
    Case(
        "underscore-header-kept",
        _get(H + b"X_Forwarded_For: 1.2.3.4\r\n"),
        (Parsed("GET", "/", headers=(("host", "example.com"), ("x_forwarded_for", "1.2.3.4"))),),
    ),
    Case(
        "expect-continue",
        _post(b"Expect: 100-continue\r\nContent-Length: 2\r\n", b"ok"),
        (Parsed("POST", "/p", b"ok"),),
        rule="RFC 9110 10.1.1",
    ),
    Case("host-ipv6", b"GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", (GET,)),
    Case("host-empty", b"GET / HTTP/1.1\r\nHost:\r\n\r\n", (GET,), rule="RFC 9112 3.2"),
    Case(
        "target-non-ascii",
        b"GET /caf\xc3\xa9?q=%20 HTTP/1.1\r\n" + H + b"\r\n",
        (Parsed("GET", "/caf\xc3\xa9?q=%20"),),
    ),
    Case(
        "request-line-at-limit",
        b"GET /" + b"a" * (8190 - 14) + b" HTTP/1.1\r\n" + H + b"\r\n",
        (Parsed("GET", "/" + "a" * (8190 - 14)),),
    ),
    Case("100-headers", _get(H + b"".join(b"X-%d: v\r\n" % i for i in range(99))), (GET,)),
    Case(
        "max-body-exact",
        _post(b"Content-Length: 5\r\n", b"hello"),
        (Parsed("POST", "/p", b"hello"),),
        options=(("max_body", 5),),
    ),
]

INVALID: list[Case] = [
    # Request line.
    Case("extra-token", b"GET / HTTP/1.1 x\r\n" + H + b"\r\n", status=400),
    Case("double-space", b"GET  / HTTP/1.1\r\n" + H + b"\r\n", status=400),
    Case("empty-target", b"GET  HTTP/1.1\r\n" + H + b"\r\n", status=400),
    Case("tab-separator", b"GET\t/ HTTP/1.1\r\n" + H + b"\r\n", status=400),
    Case("http09", b"GET /\r\n\r\n", status=400),
    Case("lowercase-version", b"GET / http/1.1\r\n" + H + b"\r\n", status=400),
    Case("version-two-digit-minor", b"GET / HTTP/1.10\r\n" + H + b"\r\n", status=400),
    Case("version-no-minor", b"GET / HTTP/1\r\n" + H + b"\r\n", status=400),
    Case("http2-version", b"GET / HTTP/2.0\r\n" + H + b"\r\n", status=505),
    Case("http12-version", b"GET / HTTP/1.2\r\n" + H + b"\r\n", status=505),
    Case("http09-version", b"GET / HTTP/0.9\r\n" + H + b"\r\n", status=505),
    Case("bad-method-char", b"G(T / HTTP/1.1\r\n" + H + b"\r\n", status=400),
    Case("empty-method", b" / HTTP/1.1\r\n" + H + b"\r\n", status=400),
    Case("nul-in-target", b"GET /\x00 HTTP/1.1\r\n" + H + b"\r\n", status=400),
    Case("del-in-target", b"GET /\x7f HTTP/1.1\r\n" + H + b"\r\n", status=400),
    Case("target-not-slash", b"GET index.html HTTP/1.1\r\n" + H + b"\r\n", status=400),
    Case("asterisk-not-options", b"GET * HTTP/1.1\r\n" + H + b"\r\n", status=400),
    Case("connect-origin-form", b"CONNECT / HTTP/1.1\r\n" + H + b"\r\n", status=400),
    Case("connect-no-port", b"CONNECT example.com HTTP/1.1\r\n" + H + b"\r\n", status=400),
    Case("fragment", b"GET /a#frag HTTP/1.1\r\n" + H + b"\r\n", status=400),
    Case("absolute-bad-authority", b"GET http://a b/ HTTP/1.1\r\n" + H + b"\r\n", status=400),
    Case("absolute-bad-authority-char", b"GET http://a\\b/ HTTP/1.1\r\n" + H + b"\r\n", status=400),
    Case("request-line-too-long", b"GET /" + b"a" * (8191 - 14) + b" HTTP/1.1\r\n" + H + b"\r\n", status=414),
    Case(
        "request-line-too-long-head-incomplete",
        b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n" + H,
        status=414,
    ),
    Case("request-line-endless", b"GET /" + b"a" * 9000, status=414),
    Case("bare-cr-request-line", b"GET / HTTP/1.1\r" + H + b"\r\n", status=400),
    Case("lf-only-request", b"GET / HTTP/1.1\nHost: x\n\n", status=400, rule="strict: CRLF only"),
    Case("lf-only-headers", b"GET / HTTP/1.1\r\nHost: x\n\n", status=400),
    Case("leading-bare-lf", b"\nGET / HTTP/1.1\r\n" + H + b"\r\n", status=400),
    Case("empty-request-line-cr", b"\r\n\r\r\n\r\n", status=400),
    # Header fields.
    Case("space-before-colon", _get(H + b"X-A : b\r\n"), status=400, rule="RFC 9112 5.1"),
    Case("tab-before-colon", _get(H + b"X-A\t: b\r\n"), status=400),
    Case("obs-fold", _get(H + b"X-A: b\r\n c\r\n"), status=400, rule="RFC 9112 5.2"),
    Case("obs-fold-first", b"GET / HTTP/1.1\r\n " + H + b"\r\n", status=400),
    Case("no-colon", _get(H + b"X-A b\r\n"), status=400),
    Case("empty-name", _get(H + b": b\r\n"), status=400),
    Case("bad-name-char", _get(H + b"X@A: b\r\n"), status=400),
    Case("non-ascii-name", _get(H + b"X-\xe9: b\r\n"), status=400),
    Case("nul-in-value", _get(H + b"X-A: a\x00b\r\n"), status=400),
    Case("ctl-in-value", _get(H + b"X-A: a\x01b\r\n"), status=400),
    Case("del-in-value", _get(H + b"X-A: a\x7fb\r\n"), status=400),
    Case("bare-cr-in-value", _get(H + b"X-A: a\rb\r\n"), status=400),
    Case("bare-lf-in-header", _get(H + b"X-A: a\nX-B: b\r\n"), status=400),
    Case("header-section-too-large", _get(H + b"X-Big: " + b"a" * 65536 + b"\r\n"), status=431),
    Case("header-section-endless", _get(H + b"X-Big: " + b"a" * 70000), status=431),
    Case("too-many-headers", _get(H + b"".join(b"X-%d: v\r\n" % i for i in range(100))), status=431),
    # Host.
    Case("missing-host", b"GET / HTTP/1.1\r\n\r\n", status=400, rule="RFC 9112 3.2"),
    Case("missing-host-with-others", b"GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", status=400),
    Case("duplicate-host", _get(H + H), status=400),
    Case("bad-host", b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", status=400),
    Case("bad-host-slash", b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", status=400),
    Case("bad-host-with-framing", _post(b"Host: a@b\r\nContent-Length: 1\r\n", b"x"), status=400),
    # Content-Length.
    Case("cl-not-digits", _post(b"Content-Length: abc\r\n", b""), status=400),
    Case("cl-plus", _post(b"Content-Length: +5\r\n", b"hello"), status=400),
    Case("cl-negative", _post(b"Content-Length: -1\r\n", b""), status=400),
    Case("cl-hex", _post(b"Content-Length: 0x5\r\n", b"hello"), status=400),
    Case("cl-inner-space", _post(b"Content-Length: 5 5\r\n", b"hello"), status=400),
    Case("cl-underscore", _post(b"Content-Length: 1_0\r\n", b"helloworld"), status=400),
    Case("cl-superscript-digit", _post(b"Content-Length: \xb2\r\n", b"ab"), status=400),
    Case("cl-empty", _post(b"Content-Length:\r\n", b""), status=400),
    Case("cl-duplicate-differ-list", _post(b"Content-Length: 5, 6\r\n", b"hello"), status=400),
    Case(
        "cl-duplicate-differ-lines",
        _post(b"Content-Length: 5\r\nContent-Length: 6\r\n", b"hello"),
        status=400,
        rule="smuggling",
    ),
    Case("cl-too-large", _post(b"Content-Length: 9999999999999999999999\r\n", b""), status=400),
    Case(
        "cl-over-max-body", _post(b"Content-Length: 6\r\n", b"hello!"), status=413, options=(("max_body", 5),)
    ),
    # Transfer-Encoding.
    Case(
        "cl-and-te",
        _post(b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n"),
        status=400,
        rule="smuggling, RFC 9112 6.1",
    ),
    Case(
        "te-and-cl",
        _post(b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", b"0\r\n\r\n"),
        status=400,
        rule="smuggling",
    ),
    Case(
        "te-chunked-identity",
        _post(b"Transfer-Encoding: chunked, identity\r\n", b"0\r\n\r\n"),
        status=400,
        rule="smuggling, RFC 9112 6.3",
    ),
    Case(
        "te-xchunked", _post(b"Transfer-Encoding: xchunked\r\n", b"0\r\n\r\n"), status=400, rule="smuggling"
    ),
    Case("te-identity", _post(b"Transfer-Encoding: identity\r\n", b""), status=400),
    Case(
        "te-chunked-twice",
        _post(b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n"),
        status=400,
    ),
    Case("te-chunked-param", _post(b"Transfer-Encoding: chunked;q=1\r\n", b"0\r\n\r\n"), status=400),
    Case("te-empty", _post(b"Transfer-Encoding:\r\n", b""), status=400),
    Case("te-vtab", _post(b"Transfer-Encoding: \x0bchunked\r\n", b"0\r\n\r\n"), status=400),
    Case(
        "te-space-before-colon",
        _post(b"Transfer-Encoding : chunked\r\n", b"0\r\n\r\n"),
        status=400,
        rule="smuggling",
    ),
    Case(
        "te-gzip-chunked",
        _post(b"Transfer-Encoding: gzip, chunked\r\n", b"0\r\n\r\n"),
        status=501,
        rule="RFC 9112 6.1",
    ),
    Case(
        "te-http10",
        b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        status=400,
        rule="RFC 9112 6.1",
    ),
    # Chunked body.
    Case("chunk-size-trailing-space", _chunked(b"5 \r\nhello\r\n0\r\n\r\n"), status=400, rule="smuggling"),
    Case("chunk-size-leading-space", _chunked(b" 5\r\nhello\r\n0\r\n\r\n"), status=400),
    Case("chunk-size-0x", _chunked(b"0x5\r\nhello\r\n0\r\n\r\n"), status=400),
    Case("chunk-size-negative", _chunked(b"-1\r\n\r\n"), status=400),
    Case("chunk-size-not-hex", _chunked(b"g\r\nhello\r\n0\r\n\r\n"), status=400),
    Case("chunk-size-empty", _chunked(b"\r\nhello\r\n0\r\n\r\n"), status=400),
    Case("chunk-size-overflow", _chunked(b"1" + b"0" * 16 + b"\r\n"), status=400, rule="smuggling"),
    Case("chunk-size-huge", _chunked(b"f" * 40 + b"\r\n"), status=400),
    Case("chunk-lf-only", _chunked(b"5\nhello\n0\n\n"), status=400, rule="smuggling"),
    Case("chunk-data-lf-only", _chunked(b"5\r\nhello\n0\r\n\r\n"), status=400, rule="smuggling"),
    Case("chunk-data-too-long", _chunked(b"3\r\nhello\r\n0\r\n\r\n"), status=400),
    Case("chunk-bare-cr", _chunked(b"5\rhello\r\n0\r\n\r\n"), status=400),
    Case("chunk-ext-no-name", _chunked(b"5;\r\nhello\r\n0\r\n\r\n"), status=400),
    Case("chunk-ext-no-value", _chunked(b"5;a=\r\nhello\r\n0\r\n\r\n"), status=400),
    Case("chunk-ext-open-quote", _chunked(b'5;a="b\r\nhello\r\n0\r\n\r\n'), status=400),
    Case("chunk-ext-ctl", _chunked(b"5;a=\x01\r\nhello\r\n0\r\n\r\n"), status=400),
    Case("chunk-ext-too-long", _chunked(b"5;a=" + b"b" * 5000 + b"\r\nhello\r\n0\r\n\r\n"), status=400),
    Case(
        "chunk-over-max-body",
        _chunked(b"5\r\nhello\r\n1\r\n!\r\n0\r\n\r\n"),
        status=413,
        options=(("max_body", 5),),
    ),
    Case("trailer-bare-lf", _chunked(b"0\r\nX-A: b\n\r\n"), status=400),
    Case("trailer-obs-fold", _chunked(b"0\r\nX-A: b\r\n c\r\n\r\n"), status=400),
    Case("trailer-nul", _chunked(b"0\r\nX-A: \x00\r\n\r\n"), status=400),
    Case("trailer-too-large", _chunked(b"0\r\nX-A: " + b"a" * 66000 + b"\r\n\r\n"), status=431),
    Case(
        "trailer-too-many",
        _chunked(b"0\r\n" + b"".join(b"T-%d: v\r\n" % i for i in range(101)) + b"\r\n"),
        status=431,
    ),
    # Expect.
    Case(
        "expect-unknown",
        _post(b"Expect: 200-ok\r\nContent-Length: 0\r\n", b""),
        status=417,
        rule="RFC 9110 10.1.1",
    ),
    # Smuggling through a pipeline: the first request is fine, the second is not.
    Case(
        "pipelined-smuggle-cl-te",
        _get(H) + _post(b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n"),
        (GET,),
        status=400,
    ),
    Case(
        "pipelined-bad-second",
        _post(b"Content-Length: 3\r\n", b"abc") + b"GET / HTTP/1.1\nHost: x\n\n",
        (Parsed("POST", "/p", b"abc"),),
        status=400,
    ),
]

CASES: list[Case] = VALID + INVALID
"""Every case, valid ones first."""
