"""Property tests: arbitrary input only ever raises WebSocketProtocolError; messages round-trip."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from eventlet.httpd.websocket._frames import build_frame
from eventlet.httpd.websocket._protocol import (
    Close,
    DeflateParams,
    Message,
    WebSocketConnection,
    WebSocketProtocolError,
)

deflate_params = st.one_of(
    st.none(),
    st.builds(
        DeflateParams,
        st.booleans(),
        st.booleans(),
        st.integers(9, 15),
        st.integers(9, 15),
        st.sampled_from([-1, 0, 1, 9]),
        st.sampled_from([0, 0, 20]),
    ),
)


def feed(conn: WebSocketConnection, data: bytes, cuts: list[int]) -> list[object]:
    """Feed ``data`` split at ``cuts``; stop at the first WebSocketProtocolError."""
    events: list[object] = []
    start = 0
    failure: WebSocketProtocolError | None = None
    for cut in [*sorted(c % (len(data) + 1) for c in cuts), len(data)]:
        try:
            events.extend(conn.receive_data(data[start:cut]))
        except WebSocketProtocolError as exc:
            failure = exc
            break
        start = cut
    if failure is not None:  # allowed, but then a proper close code and a failed connection
        assert 1000 <= failure.code <= 1011
        assert conn.failed
        assert conn.closed
        events.extend(failure.events)
    return events


@settings(max_examples=300, deadline=None)
@given(
    data=st.binary(max_size=300),
    cuts=st.lists(st.integers(0, 300), max_size=6),
    is_server=st.booleans(),
    params=deflate_params,
    max_size=st.sampled_from([None, 0, 10, 1000]),
)
def test_random_bytes_only_raise_protocol_error(
    data: bytes, cuts: list[int], is_server: bool, params: DeflateParams | None, max_size: int | None
) -> None:
    conn = WebSocketConnection(is_server, deflate=params, max_message_size=max_size)
    feed(conn, data, cuts)


frame_spec = st.tuples(
    st.sampled_from([0, 1, 2, 3, 8, 9, 10, 11]),  # opcodes, including reserved ones
    st.booleans(),  # fin
    st.sampled_from([0, 0, 0, 4, 2]),  # rsv bits
    st.one_of(
        st.binary(max_size=40),
        st.text(max_size=20).map(str.encode),
        st.sampled_from([b"\x03\xe8", b"\x03\xe8bye", b"\x03\xed", b"\x7b\x00", b"x\x9c\xff"]),
    ),
    st.booleans(),  # masked
)


@settings(max_examples=300, deadline=None)
@given(
    frames=st.lists(frame_spec, max_size=8),
    cuts=st.lists(st.integers(0, 400), max_size=4),
    is_server=st.booleans(),
    deflate=st.booleans(),
)
def test_random_frames_only_raise_protocol_error(
    frames: list[tuple[int, bool, int, bytes, bool]],
    cuts: list[int],
    is_server: bool,
    deflate: bool,
) -> None:
    parts = []
    for opcode, fin, rsv, payload, masked in frames:
        raw = bytearray(build_frame(opcode, payload, fin, mask=b"\x0f\xf0\x55\xaa" if masked else None))
        raw[0] |= rsv << 4
        parts.append(bytes(raw))
    conn = WebSocketConnection(is_server, deflate=DeflateParams() if deflate else None)
    events = feed(conn, b"".join(parts), cuts)
    assert all(not isinstance(e, Close) for e in events[:-1])


messages = st.lists(st.one_of(st.text(max_size=200), st.binary(max_size=200)), max_size=8)


@settings(max_examples=200, deadline=None)
@given(
    msgs=messages,
    params=deflate_params,
    fragment_size=st.one_of(st.none(), st.integers(1, 64)),
    cuts=st.lists(st.integers(0, 3000), max_size=10),
    from_client=st.booleans(),
)
def test_messages_round_trip(
    msgs: list[str | bytes],
    params: DeflateParams | None,
    fragment_size: int | None,
    cuts: list[int],
    from_client: bool,
) -> None:
    sender = WebSocketConnection(not from_client, deflate=params, fragment_size=fragment_size)
    receiver = WebSocketConnection(from_client, deflate=params)
    data = b"".join(sender.send(m) for m in msgs) + sender.send_close(1000, "done")
    events = feed(receiver, data, cuts)
    assert events == [*map(Message, msgs), Close(1000, "done")]
    assert receiver.closed
    assert not receiver.failed
    assert sender.receive_data(receiver.data_to_send()) == [Close(1000, "")]
    assert sender.closed
