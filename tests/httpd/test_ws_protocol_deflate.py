"""permessage-deflate on the wire (RFC 7692 section 7)."""

from __future__ import annotations

import random
import zlib

import pytest

from eventlet.httpd.websocket._frames import build_frame
from eventlet.httpd.websocket._protocol import (
    DeflateParams,
    Message,
    Opcode,
    WebSocketConnection,
    WebSocketProtocolError,
)

KEY = b"\x01\x02\x03\x04"
TEXT = "websocket compression " * 40


def pair(params: DeflateParams, **kwargs: object) -> tuple[WebSocketConnection, WebSocketConnection]:
    server = WebSocketConnection(deflate=params, **kwargs)  # type: ignore[arg-type]
    client = WebSocketConnection(is_server=False, deflate=params, **kwargs)  # type: ignore[arg-type]
    return server, client


def raw_deflate(data: bytes, bits: int = 15, flush: int = zlib.Z_SYNC_FLUSH) -> bytes:
    comp = zlib.compressobj(6, zlib.DEFLATED, -bits)
    return comp.compress(data) + comp.flush(flush)


def compressed_frame(payload: bytes, opcode: int = Opcode.TEXT, fin: bool = True) -> bytes:
    frame = bytearray(build_frame(opcode, payload, fin, mask=KEY))
    frame[0] |= 0x40
    return bytes(frame)


def test_rfc_7692_example() -> None:
    # Section 7.2.3.1: "Hello" compressed, unmasked, from server to client.
    client = WebSocketConnection(is_server=False, deflate=DeflateParams())
    assert client.receive_data(b"\xc1\x07\xf2\x48\xcd\xc9\xc9\x07\x00") == [Message("Hello")]
    # Section 7.2.3.2: the same message again, sharing the LZ77 window.
    assert client.receive_data(b"\xc1\x05\xf2\x00\x11\x00\x00") == [Message("Hello")]


@pytest.mark.parametrize(
    "params",
    [
        DeflateParams(),
        DeflateParams(True, True),
        DeflateParams(server_max_window_bits=9, client_max_window_bits=9),
        DeflateParams(False, True, 10, 12),
        DeflateParams(compress_level=1),
    ],
)
@pytest.mark.parametrize("fragment_size", [None, 7, 1000])
def test_round_trip_both_ways(params: DeflateParams, fragment_size: int | None) -> None:
    # 7-byte fragments make messages of thousands of frames: past the default limit
    server, client = pair(params, fragment_size=fragment_size, max_fragments=None)
    messages: list[str | bytes] = [TEXT, TEXT.encode(), "", b"", "é" * 3000, bytes(range(256)) * 40, TEXT]
    for message in messages:
        out = client.send(message)
        assert out[0] & 0x40  # RSV1: compressed
        assert server.receive_data(out) == [Message(message)]
        assert client.receive_data(server.send(message)) == [Message(message)]


def test_context_takeover_shrinks_repeated_messages() -> None:
    server, client = pair(DeflateParams())
    first, second = server.send_text(TEXT), server.send_text(TEXT)
    assert len(second) < len(first)
    assert client.receive_data(first + second) == [Message(TEXT), Message(TEXT)]

    server, client = pair(DeflateParams(server_no_context_takeover=True))
    first, second = server.send_text(TEXT), server.send_text(TEXT)
    assert len(second) == len(first)
    assert client.receive_data(first + second) == [Message(TEXT), Message(TEXT)]


def test_no_context_takeover_messages_decode_independently() -> None:
    server = WebSocketConnection(deflate=DeflateParams(server_no_context_takeover=True))
    frames = [server.send_text(TEXT) for _ in range(3)]
    # A fresh client can decode the last message alone: it refers to nothing earlier.
    fresh = WebSocketConnection(is_server=False, deflate=DeflateParams())
    assert fresh.receive_data(frames[-1]) == [Message(TEXT)]


def test_window_bits_honoured() -> None:
    # A 9-bit window compresses data repeating at distance 1000 much worse than 15 bits.
    data = random.Random(1).randbytes(1000) * 10
    narrow = WebSocketConnection(deflate=DeflateParams(server_max_window_bits=9))
    wide = WebSocketConnection(deflate=DeflateParams())
    assert len(narrow.send_binary(data)) > 5 * len(wide.send_binary(data))
    # The 9-bit output is accepted by a peer holding the receiver to 9 bits.
    client = WebSocketConnection(is_server=False, deflate=DeflateParams(server_max_window_bits=9))
    out = WebSocketConnection(deflate=DeflateParams(server_max_window_bits=9)).send_binary(data)
    assert client.receive_data(out) == [Message(data)]


def test_min_compress_size_sends_small_messages_plain() -> None:
    server, client = pair(DeflateParams(min_compress_size=10))
    small, large = server.send_text("tiny"), server.send_text(TEXT)
    assert not small[0] & 0x40
    assert large[0] & 0x40
    assert client.receive_data(small + large) == [Message("tiny"), Message(TEXT)]


def test_fragmented_compressed_message_byte_by_byte() -> None:
    server, client = pair(DeflateParams(), fragment_size=5)
    data = client.send_text(TEXT) + client.send_text(TEXT)
    events = []
    for i in range(len(data)):
        events.extend(server.receive_data(data[i : i + 1]))
    assert events == [Message(TEXT), Message(TEXT)]


def test_compressed_frames_rejected_without_deflate() -> None:
    server = WebSocketConnection()
    with pytest.raises(WebSocketProtocolError) as info:
        server.receive_data(compressed_frame(raw_deflate(b"x")[:-4]))
    assert info.value.code == 1002


def test_zip_bomb_single_frame() -> None:
    bomb = raw_deflate(b"\x00" * (20 << 20))[:-4]
    assert len(bomb) < 30000
    server = WebSocketConnection(deflate=DeflateParams(), max_message_size=1 << 20)
    with pytest.raises(WebSocketProtocolError) as info:
        server.receive_data(compressed_frame(bomb, Opcode.BINARY))
    assert info.value.code == 1009


def test_zip_bomb_across_fragments() -> None:
    chunk = b"a" * 1000
    payload = raw_deflate(chunk * 3)[:-4]
    half = len(payload) // 2
    data = compressed_frame(payload[:half], fin=False)
    data += build_frame(Opcode.CONTINUATION, payload[half:], mask=KEY)
    exact = WebSocketConnection(deflate=DeflateParams(), max_message_size=3000)
    assert exact.receive_data(data) == [Message("a" * 3000)]
    small = WebSocketConnection(deflate=DeflateParams(), max_message_size=2999)
    with pytest.raises(WebSocketProtocolError) as info:
        small.receive_data(data)
    assert info.value.code == 1009


def test_compressed_frame_too_large_on_the_wire() -> None:
    server = WebSocketConnection(deflate=DeflateParams(), max_message_size=100)
    header = compressed_frame(b"x" * 2000)[:8]
    with pytest.raises(WebSocketProtocolError) as info:
        server.receive_data(header)
    assert info.value.code == 1009


def test_unlimited_compressed_message() -> None:
    server, client = pair(DeflateParams(), max_message_size=None)
    data = b"q" * (3 << 20)
    assert server.receive_data(client.send_binary(data)) == [Message(data)]


def test_corrupt_deflate_data() -> None:
    server = WebSocketConnection(deflate=DeflateParams())
    with pytest.raises(WebSocketProtocolError) as info:
        server.receive_data(compressed_frame(b"\xff\xff\xff\xff"))
    assert info.value.code == 1002


def test_compressed_invalid_utf8() -> None:
    server = WebSocketConnection(deflate=DeflateParams())
    with pytest.raises(WebSocketProtocolError) as info:
        server.receive_data(compressed_frame(raw_deflate(b"ok\xff")[:-4]))
    assert info.value.code == 1007


def test_final_deflate_block_resets_the_decompressor() -> None:
    # A peer may end each message with a BFINAL block (a finished stream).
    server = WebSocketConnection(deflate=DeflateParams())
    for word in (b"first", b"second"):
        finished = raw_deflate(word, flush=zlib.Z_FINISH)
        assert server.receive_data(compressed_frame(finished)) == [Message(word.decode())]


def test_final_block_then_empty_fragments() -> None:
    server = WebSocketConnection(deflate=DeflateParams())
    data = compressed_frame(raw_deflate(b"done", flush=zlib.Z_FINISH), fin=False)
    data += build_frame(Opcode.CONTINUATION, b"", fin=False, mask=KEY)
    data += build_frame(Opcode.CONTINUATION, b"", mask=KEY)
    assert server.receive_data(data) == [Message("done")]
    assert server.receive_data(compressed_frame(raw_deflate(b"next")[:-4])) == [Message("next")]


@pytest.mark.parametrize("where", ["same frame", "next fragment", "unfinished fragment"])
def test_data_after_final_block(where: str) -> None:
    server = WebSocketConnection(deflate=DeflateParams())
    finished = raw_deflate(b"done", flush=zlib.Z_FINISH)
    if where == "same frame":
        data = compressed_frame(finished + b"junk")
    elif where == "next fragment":
        data = compressed_frame(finished, fin=False)
        data += build_frame(Opcode.CONTINUATION, b"junk", mask=KEY)
    else:
        data = compressed_frame(finished + b"junk", fin=False)
    with pytest.raises(WebSocketProtocolError) as info:
        server.receive_data(data)
    assert info.value.code == 1002


def test_uncompressed_message_between_compressed_ones() -> None:
    server, client = pair(DeflateParams())
    plain = build_frame(Opcode.TEXT, b"plain", mask=KEY)
    data = client.send_text(TEXT) + plain + client.send_text(TEXT)
    assert server.receive_data(data) == [Message(TEXT), Message("plain"), Message(TEXT)]
