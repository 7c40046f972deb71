"""Property-based tests of the sans-IO protocol (hypothesis)."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventlet.httpd.protocol import DateCache, RequestParser, ResponseWriter

from .conformance import VALID
from .test_protocol_conformance import Outcome, run_parser

# HTTPD_FUZZ_EXAMPLES=20000 for a long local run.
FUZZ = settings(
    max_examples=int(os.environ.get("HTTPD_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
RESERVED = {"host", "content-length", "transfer-encoding", "connection", "expect"}


def split_at(raw: bytes, cuts: list[int]) -> list[bytes]:
    """``raw`` cut at the (sorted, deduplicated) offsets ``cuts``."""
    points = sorted({c % (len(raw) + 1) for c in cuts})
    bounds = [0, *points, len(raw)]
    return [raw[a:b] for a, b in itertools.pairwise(bounds)]


@FUZZ
@given(st.binary(max_size=300), st.lists(st.integers(min_value=0), max_size=8))
def test_random_bytes_only_raise_protocol_error(raw: bytes, cuts: list[int]) -> None:
    whole = run_parser([raw], max_body=1000)  # anything but HTTPProtocolError propagates
    assert run_parser(split_at(raw, cuts), max_body=1000) == whole


INTERESTING = [b"\r", b"\n", b"\r\n", b" ", b"\t", b":", b";", b",", b"\x00", b"0", b"f", b"-", b"_"]
mutation = st.tuples(
    st.sampled_from(["insert", "delete", "replace"]),
    st.integers(min_value=0),
    st.one_of(st.sampled_from(INTERESTING), st.binary(min_size=1, max_size=3)),
)


@FUZZ
@given(
    st.sampled_from([case for case in VALID if len(case.raw) < 2000]),
    st.lists(mutation, min_size=1, max_size=4),
    st.lists(st.integers(min_value=0), max_size=6),
)
def test_mutated_valid_requests(
    case: object, mutations: list[tuple[str, int, bytes]], cuts: list[int]
) -> None:
    raw = bytearray(case.raw)  # type: ignore[attr-defined]
    for kind, pos, data in mutations:
        pos %= len(raw) + 1
        if kind == "insert":
            raw[pos:pos] = data
        elif kind == "delete":
            del raw[pos : pos + len(data)]
        else:
            raw[pos : pos + len(data)] = data
    whole = run_parser([bytes(raw)])
    assert run_parser(split_at(bytes(raw), cuts)) == whole


@dataclass
class Gen:
    """A generated request and its expected parse."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes
    trailers: list[tuple[str, str]]
    raw: bytes


token = st.text(alphabet=TCHARS, min_size=1, max_size=12)
value = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=30,
).map(lambda s: s.strip(" "))
path = st.text(alphabet="abcXYZ019-._~%/?=&;:@!$'()*+,\xe9", max_size=40).map(lambda s: "/" + s)


@st.composite
def requests(draw: st.DrawFn) -> Gen:
    methods = st.one_of(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]), token)
    method = draw(methods.filter(lambda m: m != "CONNECT"))  # CONNECT needs authority-form
    target = draw(path)
    names = st.one_of(st.sampled_from(["User-Agent", "Accept", "Cookie", "X-Y"]), token)
    extra = draw(st.lists(st.tuples(names, value).filter(lambda h: h[0].lower() not in RESERVED), max_size=6))
    body = draw(st.binary(max_size=100))
    framing = draw(st.sampled_from(["none", "length", "chunked"] if body else ["none", "chunked"]))
    headers = [("Host", "example.com"), *extra]
    trailers: list[tuple[str, str]] = []
    payload = b""
    if framing == "none":
        body = b""
    elif framing == "length":
        headers.append(("Content-Length", str(len(body))))
        payload = body
    elif framing == "chunked":
        headers.append(("Transfer-Encoding", "chunked"))
        cuts = draw(st.lists(st.integers(min_value=1, max_value=max(len(body), 1)), max_size=4))
        for piece in split_at(body, cuts):
            if piece:
                ext = draw(st.sampled_from(["", ";a", ";a=b", ';a="q \\" "', " ; x = y"]))
                payload += b"%x%s\r\n%s\r\n" % (len(piece), ext.encode(), piece)
        trailers = draw(st.lists(st.tuples(token, value), max_size=3))
        payload += b"0\r\n" + "".join(f"{n}: {v}\r\n" for n, v in trailers).encode("latin-1") + b"\r\n"
    ows = draw(st.sampled_from(["", " ", "\t", " \t "]))
    head = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{n}:{ows}{v}{ows}\r\n" for n, v in headers)
    raw = head.encode("latin-1") + b"\r\n" + payload
    return Gen(
        method,
        target,
        [(n.lower(), v) for n, v in headers],
        body,
        [(n.lower(), v) for n, v in trailers],
        raw,
    )


def expected(gens: list[Gen]) -> list[tuple[object, ...]]:
    return [(g.method, g.target, tuple(g.headers), g.body, tuple(g.trailers)) for g in gens]


def got(out: Outcome) -> list[tuple[object, ...]]:
    assert out.status is None, out.reason
    assert not out.pending
    return [(r.method, r.target, r.headers, r.body, r.trailers) for r in out.requests]


@FUZZ
@given(requests())
def test_generated_request_round_trips(gen: Gen) -> None:
    assert got(run_parser([gen.raw])) == expected([gen])


@settings(FUZZ, max_examples=max(FUZZ.max_examples // 3, 1))
@given(st.lists(requests(), min_size=1, max_size=4), st.lists(st.integers(min_value=0), max_size=10))
def test_pipelined_requests_split_correctly(gens: list[Gen], cuts: list[int]) -> None:
    raw = b"".join(g.raw for g in gens)
    assert got(run_parser(split_at(raw, cuts))) == expected(gens)


def _parse_one(raw: bytes) -> object:
    parser = RequestParser()
    parser.feed(raw)
    return parser.next_request()


GET = _parse_one(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")


#: header names the response writer manages itself rather than copying the app's line as it is
SERVER_MANAGED = {"connection", "content-length", "date", "server", "transfer-encoding"}


@FUZZ
@given(
    st.text(alphabet=st.characters(max_codepoint=0x130), max_size=12),
    st.text(alphabet=st.characters(max_codepoint=0x130), max_size=20),
)
def test_writer_never_lets_injection_through(name: str, val: str) -> None:
    writer = ResponseWriter(server=None, date_cache=DateCache(lambda: 0.0))
    try:
        head = writer.head(GET, "200 OK", [(name, val), ("Content-Length", "0")])  # type: ignore[arg-type]
    except ValueError:
        return
    lines = head.data.split(b"\r\n")
    assert b"\n" not in head.data.replace(b"\r\n", b"")
    assert b"\r" not in head.data.replace(b"\r\n", b"")
    assert lines[-2:] == [b"", b""]
    if name.lower() in SERVER_MANAGED:
        return  # the writer folds these into its own (Connection, Content-Length) or keeps the app's one
    assert lines[1] == f"{name}: {val}".encode("latin-1")
    assert len(lines) == 6  # status, app, CL, Date, end
