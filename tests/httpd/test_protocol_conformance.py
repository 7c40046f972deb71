"""Run the conformance table against the sans-IO parser, whole and incrementally."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest

from eventlet.httpd.protocol import EOF, NEED_DATA, HTTPProtocolError, RequestParser

from .conformance import CASES, Case, Parsed


@dataclass
class Outcome:
    """Everything a parser run produced, comparable across feeding patterns."""

    requests: list[Parsed] = field(default_factory=list)
    status: int | None = None
    reason: str | None = None
    pending: bool = False  # input ended inside a request


def run_parser(chunks: Iterable[bytes], **options: Any) -> Outcome:
    """Feed ``chunks`` one by one, parse every request and read every body."""
    parser = RequestParser(**options)
    out = Outcome()
    req = None
    body = bytearray()
    try:
        for chunk in chunks:
            parser.feed(chunk)
            while True:
                if req is None:
                    req = parser.next_request()
                    if req is None:
                        break
                    body = bytearray()
                data = parser.read_body(7)  # small reads exercise partial chunks
                if data is NEED_DATA:
                    break
                if data is EOF:
                    out.requests.append(
                        Parsed(
                            req.method,
                            req.target,
                            bytes(body),
                            req.version,
                            req.keep_alive,
                            tuple(req.headers),
                            tuple(req.trailers),
                        )
                    )
                    if not req.keep_alive:
                        return out
                    req = None
                    continue
                assert isinstance(data, bytes)
                assert 0 < len(data) <= 7
                body += data
    except HTTPProtocolError as exc:
        out.status = exc.status
        out.reason = exc.reason
        return out
    out.pending = req is not None or parser.in_progress
    return out


def split_bytes(raw: bytes) -> list[bytes]:
    """``raw`` as one-byte chunks."""
    return [raw[i : i + 1] for i in range(len(raw))]


def check(case: Case, out: Outcome) -> None:
    """Assert that ``out`` is what ``case`` expects."""
    assert out.status == case.status, (out.status, out.reason)
    assert not out.pending
    assert len(out.requests) == len(case.requests)
    for got, want in zip(out.requests, case.requests, strict=True):
        assert (got.method, got.target, got.body) == (want.method, want.target, want.body)
        assert (got.version, got.keep_alive) == (want.version, want.keep_alive)
        if want.headers is not None:
            assert got.headers == want.headers
        assert got.trailers == want.trailers


def test_table_is_large_and_unique() -> None:
    assert len(CASES) >= 60
    assert len({case.id for case in CASES}) == len(CASES)
    assert {case.status for case in CASES} >= {None, 400, 413, 414, 417, 431, 501, 505}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_whole(case: Case) -> None:
    check(case, run_parser([case.raw], **dict(case.options)))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_byte_by_byte(case: Case) -> None:
    whole = run_parser([case.raw], **dict(case.options))
    single = run_parser(split_bytes(case.raw), **dict(case.options))
    check(case, single)
    assert single == whole


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_every_two_way_split_of_short_cases(case: Case) -> None:
    if len(case.raw) > 300:
        pytest.skip("long case: covered by the byte-by-byte run")
    whole = run_parser([case.raw], **dict(case.options))
    for cut in range(1, len(case.raw)):
        assert run_parser([case.raw[:cut], case.raw[cut:]], **dict(case.options)) == whole
