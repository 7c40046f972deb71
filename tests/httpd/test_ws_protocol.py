"""Framing rules of the sans-IO websocket core (RFC 6455 section 5 and 7)."""

from __future__ import annotations

import pytest

from eventlet.httpd.websocket._frames import (
    build_close_payload,
    build_frame,
    is_valid_close_code,
    mask_payload,
    parse_close_payload,
)
from eventlet.httpd.websocket._protocol import (
    Close,
    DeflateParams,
    Message,
    Opcode,
    Ping,
    Pong,
    WebSocketClosedError,
    WebSocketConnection,
    WebSocketProtocolError,
)

KEY = b"\x37\xfa\x21\x3d"


def client_frame(opcode: int, payload: bytes, fin: bool = True, rsv: int = 0, mask: bool = True) -> bytes:
    """A frame as a client would send it, with arbitrary RSV bits (0..7)."""
    raw = bytearray(build_frame(opcode, payload, fin, mask=KEY if mask else None))
    raw[0] |= rsv << 4
    return bytes(raw)


def server_frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    return build_frame(opcode, payload, fin)


def fail(conn: WebSocketConnection, data: bytes, code: int) -> WebSocketProtocolError:
    """Feed ``data``, expect a WebSocketProtocolError with ``code`` and a close frame carrying it."""
    with pytest.raises(WebSocketProtocolError) as info:
        conn.receive_data(data)
    assert info.value.code == code
    assert conn.failed
    assert conn.closed
    out = conn.data_to_send()
    peer = WebSocketConnection(not conn.is_server)
    assert peer.receive_data(out)[0].code == code  # type: ignore[union-attr]
    assert conn.receive_data(data) == []  # a failed connection ignores anything more
    return info.value


def test_mask_matches_bytewise_xor_and_is_an_involution() -> None:
    for n in [*range(10), 125, 126, 1000, 65537]:
        data = bytes((i * 7 + 3) & 0xFF for i in range(n))
        expected = bytes(b ^ KEY[i % 4] for i, b in enumerate(data))
        assert mask_payload(data, KEY) == expected
        assert mask_payload(expected, KEY) == data


@pytest.mark.parametrize(
    ("n", "header"),
    [
        (0, b"\x81\x00"),
        (125, b"\x81\x7d"),
        (126, b"\x81\x7e\x00\x7e"),
        (65535, b"\x81\x7e\xff\xff"),
        (65536, b"\x81\x7f\x00\x00\x00\x00\x00\x01\x00\x00"),
    ],
)
def test_length_encodings(n: int, header: bytes) -> None:
    frame = build_frame(Opcode.TEXT, b"a" * n)
    assert frame == header + b"a" * n
    client = WebSocketConnection(is_server=False)
    assert client.receive_data(frame) == [Message("a" * n)]
    masked = build_frame(Opcode.BINARY, b"b" * n, mask=KEY)
    assert masked[1] & 0x80
    assert masked[len(header) : len(header) + 4] == KEY
    server = WebSocketConnection()
    assert server.receive_data(masked) == [Message(b"b" * n)]


def test_rfc_example_frames() -> None:
    # RFC 6455 section 5.7: a single-frame unmasked and masked text message.
    client = WebSocketConnection(is_server=False)
    assert client.receive_data(b"\x81\x05\x48\x65\x6c\x6c\x6f") == [Message("Hello")]
    server = WebSocketConnection()
    masked = b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"
    assert server.receive_data(masked) == [Message("Hello")]
    # A fragmented unmasked text message, then an unmasked ping.
    events = client.receive_data(b"\x01\x03\x48\x65\x6c\x80\x02\x6c\x6f\x89\x05Hello")
    assert events == [Message("Hello"), Ping(b"Hello")]


def stream() -> tuple[bytes, list[object]]:
    frames = [
        client_frame(Opcode.TEXT, "héllo".encode()),
        client_frame(Opcode.BINARY, bytes(range(200))),
        client_frame(Opcode.BINARY, b"x" * 70000),
        client_frame(Opcode.TEXT, "€".encode()[:2], fin=False),
        client_frame(Opcode.PING, b"mid"),
        client_frame(Opcode.CONTINUATION, "€".encode()[2:]),
        client_frame(Opcode.PONG, b""),
        client_frame(Opcode.TEXT, b""),
    ]
    events = [
        Message("héllo"),
        Message(bytes(range(200))),
        Message(b"x" * 70000),
        Ping(b"mid"),
        Message("€"),
        Pong(b""),
        Message(""),
    ]
    return b"".join(frames), events


def test_byte_by_byte_feed() -> None:
    data, expected = stream()
    server = WebSocketConnection()
    events = []
    for i in range(len(data)):
        events.extend(server.receive_data(data[i : i + 1]))
    assert events == expected
    assert server.data_to_send() == server_frame(Opcode.PONG, b"mid")


@pytest.mark.parametrize("chunk", [3, 1000, 65536, 1 << 20])
def test_chunked_feed(chunk: int) -> None:
    data, expected = stream()
    server = WebSocketConnection()
    events = []
    for i in range(0, len(data), chunk):
        events.extend(server.receive_data(data[i : i + chunk]))
    assert events == expected


def test_feeding_bytearray_and_memoryview() -> None:
    server = WebSocketConnection()
    frame = client_frame(Opcode.BINARY, b"payload")
    assert server.receive_data(bytearray(frame)) == [Message(b"payload")]
    assert server.receive_data(memoryview(frame)[:3]) == []
    assert server.receive_data(memoryview(frame)[3:]) == [Message(b"payload")]
    assert type(server.receive_data(memoryview(frame))[0].data) is bytes  # type: ignore[union-attr]


def test_unmasked_client_frame_is_rejected() -> None:
    fail(WebSocketConnection(), client_frame(Opcode.TEXT, b"hi", mask=False), 1002)


def test_masked_server_frame_is_rejected() -> None:
    fail(WebSocketConnection(is_server=False), client_frame(Opcode.TEXT, b"hi"), 1002)


@pytest.mark.parametrize("rsv", [1, 2, 4, 3, 7])
def test_reserved_bits_without_extension(rsv: int) -> None:
    fail(WebSocketConnection(), client_frame(Opcode.TEXT, b"hi", rsv=rsv), 1002)


@pytest.mark.parametrize(("opcode", "rsv"), [(Opcode.PING, 4), (Opcode.BINARY, 2), (Opcode.TEXT, 6)])
def test_reserved_bits_with_deflate(opcode: int, rsv: int) -> None:
    # With deflate only RSV1 on the first frame of a data message is allowed.
    conn = WebSocketConnection(deflate=DeflateParams())
    fail(conn, client_frame(opcode, b"", rsv=rsv), 1002)


def test_rsv1_on_continuation_is_rejected() -> None:
    conn = WebSocketConnection(deflate=DeflateParams())
    first = client_frame(Opcode.BINARY, b"ab", fin=False)
    assert conn.receive_data(first) == []
    fail(conn, client_frame(Opcode.CONTINUATION, b"cd", rsv=4), 1002)


@pytest.mark.parametrize("opcode", [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF])
def test_reserved_opcodes(opcode: int) -> None:
    fail(WebSocketConnection(), client_frame(opcode, b""), 1002)


@pytest.mark.parametrize("opcode", [Opcode.PING, Opcode.PONG, Opcode.CLOSE])
def test_fragmented_control_frame(opcode: int) -> None:
    fail(WebSocketConnection(), client_frame(opcode, b"", fin=False), 1002)


@pytest.mark.parametrize("opcode", [Opcode.PING, Opcode.PONG, Opcode.CLOSE])
def test_control_frame_too_long(opcode: int) -> None:
    conn = WebSocketConnection()
    assert conn.receive_data(client_frame(opcode, b"\x03\xe8" + b"x" * 123)) != []
    fail(WebSocketConnection(), client_frame(opcode, b"\x03\xe8" + b"x" * 124), 1002)


def test_errors_are_raised_from_the_header_alone() -> None:
    header = client_frame(Opcode.PING, b"x" * 200)[:4]
    fail(WebSocketConnection(), header, 1002)


@pytest.mark.parametrize(
    ("start", "code"),
    [
        (b"\x07\xff", 1002),  # reserved opcode, 64-bit length to come
        (b"\x89\xfe", 1002),  # a ping announcing a 16-bit length
        (b"\x82\x7e", 1002),  # unmasked client frame
        (b"\xa2\xff", 1002),  # RSV2
        (b"\x8b\xfe", 1002),  # reserved control opcode
    ],
)
def test_errors_are_raised_from_the_first_two_bytes(start: bytes, code: int) -> None:
    """A peer that sends two bad bytes and waits is failed at once, not left waiting."""
    fail(WebSocketConnection(), start, code)


def test_two_good_bytes_wait_for_the_extended_length() -> None:
    conn = WebSocketConnection()
    frame = client_frame(Opcode.BINARY, b"y" * 300, fin=False)
    frame += client_frame(Opcode.CONTINUATION, b"z" * 300)
    assert conn.receive_data(frame[:2]) == []
    assert conn.receive_data(frame[2:3]) == []
    assert conn.receive_data(frame[3:310]) == []
    assert conn.receive_data(frame[310:]) == [Message(b"y" * 300 + b"z" * 300)]


def test_64_bit_length_with_high_bit() -> None:
    frame = b"\x82\xff" + b"\x80" + b"\x00" * 7 + KEY
    fail(WebSocketConnection(max_message_size=None), frame, 1002)


def test_fragmented_message_with_interleaved_controls() -> None:
    conn = WebSocketConnection()
    data = b"".join(
        [
            client_frame(Opcode.TEXT, b"ab", fin=False),
            client_frame(Opcode.PING, b"1"),
            client_frame(Opcode.CONTINUATION, b"", fin=False),
            client_frame(Opcode.PONG, b"2"),
            client_frame(Opcode.CONTINUATION, b"cd"),
            client_frame(Opcode.BINARY, b"e", fin=False),
            client_frame(Opcode.CONTINUATION, b"f"),
        ]
    )
    assert conn.receive_data(data) == [Ping(b"1"), Pong(b"2"), Message("abcd"), Message(b"ef")]
    assert conn.data_to_send() == server_frame(Opcode.PONG, b"1")
    assert conn.data_to_send() == b""


def test_continuation_without_start() -> None:
    fail(WebSocketConnection(), client_frame(Opcode.CONTINUATION, b"x"), 1002)


@pytest.mark.parametrize("opcode", [Opcode.TEXT, Opcode.BINARY])
def test_new_message_inside_fragmented_one(opcode: int) -> None:
    conn = WebSocketConnection()
    conn.receive_data(client_frame(Opcode.TEXT, b"a", fin=False))
    fail(conn, client_frame(opcode, b"b"), 1002)


def test_invalid_utf8_single_frame() -> None:
    fail(WebSocketConnection(), client_frame(Opcode.TEXT, b"\xff"), 1007)


def test_utf8_split_across_fragments_is_valid() -> None:
    conn = WebSocketConnection()
    snowman = "☃".encode()
    data = b"".join(
        client_frame(op, bytes([b]), fin=i == 2)
        for i, (op, b) in enumerate(zip([1, 0, 0], snowman, strict=True))
    )
    assert conn.receive_data(data) == [Message("☃")]


def test_invalid_utf8_fails_fast_in_first_fragment() -> None:
    conn = WebSocketConnection()
    fail(conn, client_frame(Opcode.TEXT, b"ok\xc0\xaf", fin=False), 1007)


def test_truncated_utf8_at_end_of_message() -> None:
    conn = WebSocketConnection()
    assert conn.receive_data(client_frame(Opcode.TEXT, b"\xe2\x98", fin=False)) == []
    fail(conn, client_frame(Opcode.CONTINUATION, b""), 1007)


def test_max_message_size_single_frame() -> None:
    conn = WebSocketConnection(max_message_size=100)
    assert conn.receive_data(client_frame(Opcode.BINARY, b"x" * 100)) == [Message(b"x" * 100)]
    # Refused as soon as the header is in: the payload is never buffered.
    error = fail(conn, client_frame(Opcode.BINARY, b"x" * 101)[:8], 1009)
    assert error.reason == "Incoming frame of 101 bytes is above length limit of 100 bytes."


def test_max_message_size_across_fragments() -> None:
    conn = WebSocketConnection(max_message_size=100)
    for _ in range(2):  # the count restarts with each message
        data = client_frame(Opcode.TEXT, b"x" * 60, fin=False)
        data += client_frame(Opcode.CONTINUATION, b"y" * 40)
        assert conn.receive_data(data) == [Message("x" * 60 + "y" * 40)]
    conn.receive_data(client_frame(Opcode.TEXT, b"x" * 60, fin=False))
    assert fail(conn, client_frame(Opcode.CONTINUATION, b"y" * 41), 1009).reason == "message too big"


def test_no_message_size_limit() -> None:
    conn = WebSocketConnection(max_message_size=None)
    big = b"z" * (1 << 20)
    assert conn.receive_data(client_frame(Opcode.BINARY, big)) == [Message(big)]


def test_close_without_code() -> None:
    conn = WebSocketConnection()
    assert conn.receive_data(client_frame(Opcode.CLOSE, b"")) == [Close(1005, "")]
    assert conn.data_to_send() == server_frame(Opcode.CLOSE, b"")
    assert conn.closed
    assert conn.close_code == 1005
    assert conn.close_reason == ""


def test_close_reply_echoes_code_and_ignores_later_bytes() -> None:
    conn = WebSocketConnection()
    data = client_frame(Opcode.CLOSE, build_close_payload(4321, "déjà vu"))
    data += client_frame(Opcode.TEXT, b"after")
    assert conn.receive_data(data) == [Close(4321, "déjà vu")]
    assert conn.data_to_send() == server_frame(Opcode.CLOSE, b"\x10\xe1")
    assert conn.receive_data(client_frame(Opcode.TEXT, b"more")) == []
    assert conn.close_sent
    assert conn.close_received
    assert not conn.failed
    assert conn.send_close() == b""
    with pytest.raises(WebSocketClosedError):
        conn.send_text("late")


def test_close_payload_of_one_byte() -> None:
    fail(WebSocketConnection(), client_frame(Opcode.CLOSE, b"\x03"), 1002)


@pytest.mark.parametrize("code", [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535])
def test_invalid_close_codes(code: int) -> None:
    assert not is_valid_close_code(code)
    fail(WebSocketConnection(), client_frame(Opcode.CLOSE, code.to_bytes(2, "big")), 1002)
    with pytest.raises(ValueError, match="invalid close code"):
        build_close_payload(code)


@pytest.mark.parametrize("code", [1000, 1001, 1002, 1003, *range(1007, 1015), 3000, 4999])
def test_valid_close_codes(code: int) -> None:
    assert parse_close_payload(build_close_payload(code, "r")) == (code, "r")
    conn = WebSocketConnection()
    assert conn.receive_data(client_frame(Opcode.CLOSE, code.to_bytes(2, "big"))) == [Close(code, "")]


def test_close_reason_must_be_utf8() -> None:
    fail(WebSocketConnection(), client_frame(Opcode.CLOSE, b"\x03\xe8\xff"), 1007)


def test_send_close_validation() -> None:
    conn = WebSocketConnection()
    with pytest.raises(ValueError, match="longer than 123 bytes"):
        conn.send_close(1000, "x" * 124)
    with pytest.raises(ValueError, match="requires a close code"):
        conn.send_close(None, "reason without code")
    assert not conn.close_sent
    assert conn.send_close(1000, "x" * 123) == server_frame(Opcode.CLOSE, b"\x03\xe8" + b"x" * 123)
    empty = WebSocketConnection()
    assert empty.send_close(None) == server_frame(Opcode.CLOSE, b"")


def test_after_sending_close_only_the_close_is_reported() -> None:
    conn = WebSocketConnection()
    out = conn.send_close(1001, "bye")
    assert WebSocketConnection(is_server=False).receive_data(out) == [Close(1001, "bye")]
    assert conn.close_sent
    assert not conn.closed
    with pytest.raises(WebSocketClosedError):
        conn.send_text("x")
    with pytest.raises(WebSocketClosedError):
        conn.send_ping(b"")
    assert conn.send_close() == b""
    data = b"".join(
        [
            client_frame(Opcode.TEXT, b"ignored"),
            client_frame(Opcode.BINARY, b"ignored"),
            client_frame(Opcode.BINARY, b"frag", fin=False),
            client_frame(Opcode.PING, b"p"),
            client_frame(Opcode.PONG, b"q"),
            client_frame(Opcode.CONTINUATION, b"ment"),
        ]
    )
    assert conn.receive_data(data) == []
    assert conn.data_to_send() == b""  # no pong after our close
    assert conn.receive_data(client_frame(Opcode.CLOSE, b"\x03\xe9")) == [Close(1001, "")]
    assert conn.data_to_send() == b""
    assert conn.closed
    assert not conn.failed


def test_protocol_error_after_close_sent_sends_nothing_more() -> None:
    conn = WebSocketConnection()
    conn.send_close()
    with pytest.raises(WebSocketProtocolError) as info:
        conn.receive_data(client_frame(Opcode.TEXT, b"\xff"))
    assert info.value.code == 1007
    assert conn.data_to_send() == b""


def test_protocol_error_keeps_earlier_events() -> None:
    conn = WebSocketConnection()
    data = client_frame(Opcode.TEXT, b"good") + client_frame(Opcode.TEXT, b"bad", mask=False)
    err = fail(conn, data, 1002)
    assert err.events == [Message("good")]
    assert "close code 1002" in str(err)


def test_auto_pong_off() -> None:
    conn = WebSocketConnection(auto_pong=False)
    assert conn.receive_data(client_frame(Opcode.PING, b"x")) == [Ping(b"x")]
    assert conn.data_to_send() == b""


def test_send_variants() -> None:
    server = WebSocketConnection()
    client = WebSocketConnection(is_server=False)
    out = b"".join(
        [
            server.send("text"),
            server.send(b"bytes"),
            server.send(bytearray(b"ba")),
            server.send(memoryview(b"mv")),
            server.send_text("t"),
            server.send_binary(bytearray(b"b")),
            server.send_ping(b"p"),
            server.send_pong(bytearray(b"q")),
            server.send_ping(),
        ]
    )
    assert client.receive_data(out) == [
        Message("text"),
        Message(b"bytes"),
        Message(b"ba"),
        Message(b"mv"),
        Message("t"),
        Message(b"b"),
        Ping(b"p"),
        Pong(b"q"),
        Ping(b""),
    ]
    with pytest.raises(ValueError, match="longer than 125 bytes"):
        server.send_ping(b"x" * 126)
    with pytest.raises(ValueError, match="longer than 125 bytes"):
        server.send_pong(b"x" * 126)


def test_client_frames_are_masked_with_fresh_keys() -> None:
    client = WebSocketConnection(is_server=False)
    a, b = client.send_binary(b"\x00" * 8), client.send_binary(b"\x00" * 8)
    assert a[1] & 0x80
    assert b[1] & 0x80
    assert a[2:6] == a[6:10]
    assert a[2:6] != b[2:6]  # payload of zeros shows the key


def test_sending_fragmented() -> None:
    with pytest.raises(ValueError, match="fragment_size must be positive"):
        WebSocketConnection(fragment_size=0)
    server = WebSocketConnection(fragment_size=4)
    out = server.send_text("abcdefghij")
    assert out == b"".join(
        [
            server_frame(Opcode.TEXT, b"abcd", fin=False),
            server_frame(Opcode.CONTINUATION, b"efgh", fin=False),
            server_frame(Opcode.CONTINUATION, b"ij"),
        ]
    )
    assert server.send_binary(b"1234") == server_frame(Opcode.BINARY, b"1234")
    client = WebSocketConnection(is_server=False, fragment_size=3)
    data = client.send_binary(b"123456") + client.send_text("é" * 5)
    assert WebSocketConnection().receive_data(data) == [Message(b"123456"), Message("é" * 5)]
