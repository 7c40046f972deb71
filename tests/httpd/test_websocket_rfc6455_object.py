"""eventlet.websocket.RFC6455WebSocket as an object: both roles over a socket pair.

The client role is what scripts use after their own handshake; the frame-level helpers
(``_pack_message``, ``_recv_frame``, ``Message``) are upstream's and its tests use them.  The
far end is the protocol core (tested on its own) or raw bytes.
"""

from __future__ import annotations

import errno
import zlib
from collections.abc import Iterator
from typing import Any

import pytest

from eventlet.green.socket import socketpair
from eventlet.httpd.websocket._events import Close, Message, Ping, Pong
from eventlet.httpd.websocket._frames import build_frame, mask_payload
from eventlet.httpd.websocket._protocol import DeflateParams, Opcode, WebSocketConnection
from eventlet.testing import hub_turns
from eventlet.websocket import (
    ConnectionClosedError,
    FailedConnectionError,
    ProtocolError,
    RFC6455WebSocket,
)

DEFLATE = {"permessage-deflate": {"client_no_context_takeover": False, "server_no_context_takeover": False}}
MASK = b"\x01\x02\x03\x04"


@pytest.fixture
def pair() -> Iterator[tuple[Any, Any]]:
    ours, theirs = socketpair()
    yield ours, theirs
    ours.close()
    theirs.close()


def client(sock: Any, extensions: dict[str, Any] | None = None, **kw: Any) -> RFC6455WebSocket:
    return RFC6455WebSocket(sock, {"PATH_INFO": "/c"}, client=True, extensions=extensions, **kw)


def peer_events(theirs: Any, server: WebSocketConnection) -> list[Any]:
    return server.receive_data(theirs.recv(65536))


# -- framing ---------------------------------------------------------------------------------------


def test_rfc7692_examples_with_and_without_context_takeover() -> None:
    takeover = client(None, {"permessage-deflate": {"client_no_context_takeover": False}})
    assert takeover._pack_message(b"Hello") == b"\xc2\x07\xf2\x48\xcd\xc9\xc9\x07\x00"
    assert takeover._pack_message(b"Hello") == b"\xc2\x05\xf2\x00\x11\x00\x00"
    fresh = client(None, {"permessage-deflate": {"client_no_context_takeover": True}})
    for _ in range(2):
        assert fresh._pack_message(b"Hello") == b"\xc2\x07\xf2\x48\xcd\xc9\xc9\x07\x00"
    assert fresh._pack_message("Hello")[0] == 0xC1  # text, compressed


def test_pack_message_variants() -> None:
    ws = client(None)
    assert ws._pack_message("hi") == b"\x81\x02hi"
    assert ws._pack_message(b"hi", final=False) == b"\x02\x02hi"
    assert ws._pack_message(b"!", continuation=True) == b"\x80\x01!"
    assert ws._pack_message(b"p", control_code=9) == b"\x89\x01p"
    masked = ws._pack_message(b"secret", masked=True)
    assert masked[:2] == b"\x82\x86"
    assert mask_payload(masked[6:], masked[2:6]) == b"secret"
    assert ws._pack_message(b"", masked=True)[:2] == b"\x82\x80"  # a client masks empty frames too
    # fragments are never compressed (RFC 7692 compresses whole messages)
    compressing = client(None, DEFLATE)
    assert compressing._pack_message(b"abc", final=False) == b"\x02\x03abc"
    assert compressing._pack_message(b"", control_code=8) == b"\x88\x00"
    with pytest.raises(ProtocolError, match="Unknown control opcode"):
        ws._pack_message(b"", control_code=0xB)
    with pytest.raises(ProtocolError, match="fragment"):
        ws._pack_message(b"", control_code=9, final=False)
    with pytest.raises(ProtocolError, match="too large"):
        ws._pack_message(b"x" * 126, control_code=9)


def test_apply_mask_with_an_offset() -> None:
    data = b"abcdefgh"
    whole = RFC6455WebSocket._apply_mask(data, MASK)
    assert whole == mask_payload(data, MASK)
    assert RFC6455WebSocket._apply_mask(data[3:], list(MASK), offset=3) == whole[3:]
    assert RFC6455WebSocket._apply_mask(data, MASK, length=2) == whole[:2]


# -- the client role against the protocol core -------------------------------------------------------


@pytest.mark.parametrize("extensions", [None, DEFLATE])
def test_client_messages_both_ways(pair: tuple[Any, Any], extensions: dict[str, Any] | None) -> None:
    ours, theirs = pair
    ws = client(ours, extensions)
    server = WebSocketConnection(True, deflate=DeflateParams() if extensions else None)
    ws.send("text")
    ws.send(b"\x00binary")
    ws.send(bytearray(b"ba"))
    assert peer_events(theirs, server) == [Message("text"), Message(b"\x00binary"), Message(b"ba")]
    theirs.sendall(server.send("back") + server.send(b"bytes") + server.send_ping(b"hey"))
    assert ws.wait() == "back"
    assert ws.wait() == b"bytes"
    assert peer_events(theirs, server) == [Pong(b"hey")]  # the ping was answered


def test_wait_and_iterator_share_the_stream(pair: tuple[Any, Any]) -> None:
    ours, theirs = pair
    ws = client(ours)
    server = WebSocketConnection(True)
    theirs.sendall(server.send("one") + server.send("two") + server.send("three"))
    assert ws.wait() == "one"
    assert next(ws.iterator) == "two"
    theirs.sendall(server.send_close(1000, ""))
    assert list(ws.iterator) == ["three"]
    assert ws.wait() is None


def test_pings_are_answered_and_close_is_echoed(pair: tuple[Any, Any]) -> None:
    ours, theirs = pair
    ws = client(ours)
    server = WebSocketConnection(True)
    theirs.sendall(server.send_ping(b"hey") + server.send("m") + server.send_close(4001, "done"))
    assert ws.wait() == "m"
    assert ws.wait() is None
    assert ws._remote_close_data == b"\x0f\xa1done"
    assert ws.websocket_closed
    replies = WebSocketConnection(True).receive_data(theirs.recv(65536))
    assert replies == [Pong(b"hey"), Close(4001, "")]
    assert theirs.recv(100) == b""  # and the socket was closed
    assert ws.wait() is None
    with pytest.raises(OSError, match="the websocket is closed") as info:
        ws.send("too late")
    assert info.value.errno == errno.EPIPE


def test_protocol_error_sends_its_close_and_keeps_earlier_messages(pair: tuple[Any, Any]) -> None:
    ours, theirs = pair
    ws = client(ours)
    server = WebSocketConnection(True)
    theirs.sendall(server.send("kept") + b"\x83\x00")  # then a reserved opcode
    assert ws.wait() == "kept"
    assert ws.wait() is None
    assert ws.wait() is None
    events = WebSocketConnection(True).receive_data(theirs.recv(65536))
    assert isinstance(events[0], Close)
    assert events[0].code == 1002


def test_peer_gone_and_reply_failing(pair: tuple[Any, Any]) -> None:
    ours, theirs = pair
    ws = client(ours)
    theirs.sendall(build_frame(Opcode.PING, b"x"))
    theirs.close()  # the peer is gone: the pong cannot be delivered
    assert ws.wait() is None
    assert ws.wait() is None


def test_recv_error_closes_1011_and_raises(pair: tuple[Any, Any]) -> None:
    ours, theirs = pair
    ours.settimeout(0.01)
    ws = client(ours)
    with pytest.raises(TimeoutError):
        ws.wait()
    frame = theirs.recv(100)
    assert WebSocketConnection(True).receive_data(frame) == [Close(1011, "Internal Server Error")]
    assert ws.wait() is None


def test_extensions_can_be_reassigned(pair: tuple[Any, Any]) -> None:
    ours, theirs = pair
    ws = client(ours)
    assert ws.extensions == {}
    server = WebSocketConnection(True, deflate=DeflateParams())
    ws.extensions = DEFLATE
    theirs.sendall(server.send(b"compressed" * 10))
    assert ws.wait() == b"compressed" * 10
    ws.extensions = {}
    ws.send(b"plain")
    assert theirs.recv(100)[0] == 0x82


def test_close_sends_code_and_reason_once(pair: tuple[Any, Any]) -> None:
    ours, theirs = pair
    ws = client(ours, version=8)
    ws.close((1000, b"bytes reason"))
    ws.close()
    assert WebSocketConnection(True).receive_data(theirs.recv(100)) == [Close(1000, "bytes reason")]
    assert theirs.recv(100) == b""


def test_send_a_close_frame_by_hand(pair: tuple[Any, Any]) -> None:
    ours, theirs = pair
    ws = client(ours)
    ws.send(b"ping", control_code=9)
    ws.send(b"frag", final=False)
    ws.send(b"ment", continuation=True)
    server = WebSocketConnection(True)
    assert peer_events(theirs, server) == [Ping(b"ping"), Message(b"fragment")]
    ws.send(b"\x03\xe8", control_code=8)
    ws.close()  # the core knows a close frame went out: no second one
    assert WebSocketConnection(True).receive_data(theirs.recv(100)) == [Close(1000, "")]


def test_send_refuses_other_types_and_closing_frame_errors(pair: tuple[Any, Any]) -> None:
    ours, theirs = pair
    ws = client(ours)
    with pytest.raises(TypeError):
        ws.send(10)
    theirs.close()
    with pytest.raises(ConnectionError):
        ws._send_closing_frame()
    ws._send_closing_frame(True)
    assert ws.websocket_closed


# -- the frame-level reader ------------------------------------------------------------------------


def test_recv_frame_reads_fragments_and_decompresses(pair: tuple[Any, Any]) -> None:
    ours, theirs = pair
    ws = client(ours, DEFLATE)
    theirs.sendall(build_frame(Opcode.TEXT, b"frag", fin=False) + build_frame(0, b"ment"))
    first = ws._recv_frame()
    assert (first.opcode, first.finished, first.getvalue()) == (1, False, "frag")
    second = ws._recv_frame(first)
    assert second is first
    assert second.finished
    assert second.getvalue() == "fragment"
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = (comp.compress(b"hello") + comp.flush(zlib.Z_SYNC_FLUSH))[:-4]
    theirs.sendall(build_frame(Opcode.BINARY, body, rsv1=True) * 2)
    assert ws._recv_frame().getvalue() == b"hello"
    raw = ws._recv_frame()
    raw.decompressor = None
    assert raw.getvalue() == body
    theirs.sendall(build_frame(Opcode.PING, b"p"))
    assert ws._recv_frame(first).getvalue() == b"p"  # a control frame between fragments
    theirs.sendall(build_frame(Opcode.BINARY, b"m" * 200))
    assert ws._recv_frame().getvalue() == b"m" * 200


def test_recv_frame_no_context_takeover_and_limit(pair: tuple[Any, Any]) -> None:
    ours, theirs = pair
    options = {"permessage-deflate": {"server_no_context_takeover": True}}
    ws = client(ours, options, max_frame_length=10)
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = (comp.compress(b"y" * 11) + comp.flush(zlib.Z_SYNC_FLUSH))[:-4]
    theirs.sendall(build_frame(Opcode.BINARY, body, rsv1=True))
    message = ws._recv_frame()
    assert message.decompressor is not ws._get_permessage_deflate_dec(1)
    with pytest.raises(FailedConnectionError) as info:
        message.getvalue()
    assert info.value.status == 1009


def test_server_side_recv_frame_unmasks(pair: tuple[Any, Any]) -> None:
    ours, theirs = pair
    ws = RFC6455WebSocket(ours, {}, extensions={"permessage-deflate": {}})
    theirs.sendall(build_frame(Opcode.BINARY, b"masked", mask=MASK))
    assert ws._recv_frame().getvalue() == b"masked"
    assert ws._get_permessage_deflate_dec(1) is ws._get_permessage_deflate_dec(1)
    assert ws._get_permessage_deflate_dec(0) is None


@pytest.mark.parametrize(
    ("data", "continuing", "status"),
    [
        (b"\xa2\x00", False, 1002),  # RSV2
        (b"\xc2\x00", False, 1002),  # RSV1 without permessage-deflate
        (b"\x83\x00", False, 1002),  # reserved opcode
        (b"\x82\x80" + MASK, False, 1002),  # a masked frame to a client
        (b"\x09\x00", False, 1002),  # fragmented ping
        (b"\x89\x7e\x00\x7e", False, 1002),  # a 126-byte ping
        (b"\x81\x00", True, 1002),  # a new message inside a fragmented one
        (b"\x80\x00", False, 1002),  # a continuation without a message
        (b"\x82\x7f" + (70000).to_bytes(8, "big"), False, 1009),
    ],
)
def test_recv_frame_refusals(pair: tuple[Any, Any], data: bytes, continuing: bool, status: int) -> None:
    ours, theirs = pair
    ws = client(ours, max_frame_length=65536)
    theirs.sendall(data)
    message = RFC6455WebSocket.Message(1, 10) if continuing else None
    with pytest.raises(FailedConnectionError) as info:
        ws._recv_frame(message)
    assert info.value.status == status
    if status == 1009:
        assert info.value.message == "Incoming frame of 70000 bytes is above length limit of 65536 bytes."


def test_recv_frame_on_a_closed_connection(pair: tuple[Any, Any]) -> None:
    ours, theirs = pair
    ws = client(ours)
    ws._buf = b"\x82"  # what the handshake left over comes first
    theirs.sendall(b"\x05ab")
    theirs.close()
    with pytest.raises(ConnectionClosedError):
        ws._recv_frame()


def test_utf8_decoder_and_message_helpers() -> None:
    decoder = RFC6455WebSocket.UTF8Decoder()
    assert decoder.decode(b"\xe2\x98") == ""
    decoder.reset()
    assert decoder.decode(b"ok", True) == "ok"
    with pytest.raises(UnicodeDecodeError):
        decoder.decode(b"\xff", True)
    message = RFC6455WebSocket.Message(2, 100)
    message.push(b"a")
    message.push(b"b", final=True)
    assert (message.getvalue(), message.finished) == (b"ab", True)


def test_linger_ends_on_a_reset() -> None:
    """The peer resets while the server waits for its close reply: the socket is closed."""
    from eventlet.green.socket import socket as green_socket

    listener = green_socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    peer = green_socket()
    peer.connect(listener.getsockname())
    ours, _ = listener.accept()
    listener.close()
    ws = RFC6455WebSocket(ours, {})
    ws._send_closing_frame()
    peer.close()  # with our close frame unread: a reset
    ws._linger(5)
    assert ours.fileno() == -1


def test_close_from_another_green_thread_ends_wait(pair: tuple[Any, Any]) -> None:
    """python-engineio closes from its writer while its reader waits: the reader gets None."""
    import eventlet

    ours, theirs = pair
    ws = RFC6455WebSocket(ours, {})
    reader = eventlet.spawn(ws.wait)
    hub_turns()  # the reader is now blocked in recv
    ws.close()
    assert reader.wait() is None
    assert theirs.recv(100) == b"\x88\x00"
