"""A green socket with a timeout waiting for the answer to what it sent: the timer it arms.

After a send, ``recv`` waits for readability first (``GreenSocket._recv_after_send``); with a
timeout, that wait uses the hub timer the socket's reads share (``eventlet.hubs._deadline``),
which the data usually beats.  Real socket pairs on this host; no test depends on how long
anything takes.
"""

from __future__ import annotations

import _socket
import errno
from typing import cast

import pytest

import eventlet
from eventlet import hubs
from eventlet.event import Event
from eventlet.green import socket
from eventlet.greenio.socket import GreenSocket
from eventlet.hubs import get_hub
from eventlet.hubs.hub import EV_READ


def _pair(timeout: float) -> tuple[socket.socket, socket.socket]:
    a, b = socket.socketpair()
    a.settimeout(timeout)
    b.settimeout(timeout)
    return a, b


def test_the_answer_beats_the_timeout_and_its_timer_goes_with_the_socket() -> None:
    a, b = _pair(30.0)
    try:

        def echo() -> None:
            b.sendall(b.recv(16))

        server = eventlet.spawn(echo)
        a.sendall(b"ping")
        assert a.recv(16) == b"ping"
        server.wait()
        # a waited (b found the data there): a's reads share one armed timer, which outlives
        # the wait without firing...
        assert get_hub().statistics()["timers"] == 1
        shared = cast(GreenSocket, a)._read_deadline
        assert shared is not None
        assert shared.waiter is None
    finally:
        a.close()
        b.close()
    assert get_hub().statistics()["timers"] == 0  # ...until the socket closes


def test_no_answer_times_out() -> None:
    a, b = _pair(0.01)
    try:
        a.sendall(b"anyone?")
        with pytest.raises(TimeoutError, match="timed out"):
            a.recv(16)
        assert get_hub().statistics()["timers"] == 0  # the timer fired
    finally:
        a.close()
        b.close()


@pytest.mark.usefixtures("allow_multiple_readers")
def test_a_reader_woken_for_data_another_took_waits_again() -> None:
    a, b = _pair(30.0)
    hub = get_hub()
    stolen: list[bytes] = []
    taken: Event[None] = Event()
    try:
        a.sendall(b"?")
        reader = eventlet.spawn(a.recv, 1)  # after a send: waits for readability first
        eventlet.sleep(0)

        def steal(_fd: int) -> None:
            # A callback the hub runs before it wakes the waiting reader (see _wake_readers)
            stolen.append(_socket.socket.recv(a, 1))
            hub.remove(thief)
            taken.send()

        thief = hub.add(hubs.READ, a.fileno(), steal, lambda _exc: None)
        b.sendall(b"1")
        taken.wait()  # the hub polled: the thief took the byte, then the reader found nothing
        assert stolen == [b"1"]
        assert not reader.dead
        b.sendall(b"2")
        assert reader.wait() == b"2"  # it waited again, within the same deadline
        assert hub.statistics()["timers"] == 1  # the one timer a's reads share
    finally:
        a.close()
        b.close()
    assert hub.statistics()["timers"] == 0


def test_a_closed_socket_with_a_timeout_raises_ebadf_after_a_send() -> None:
    a, b = _pair(30.0)
    try:
        a.sendall(b"x")
        a.close()
        with pytest.raises(OSError, match="Bad file descriptor") as raised:
            a.recv(1)
        assert raised.value.errno == errno.EBADF
    finally:
        b.close()


def test_wait_fd_makes_the_timeout_exception_only_when_it_fires() -> None:
    a, b = _pair(30.0)
    made: list[TimeoutError] = []

    def make() -> TimeoutError:
        made.append(TimeoutError("made late"))
        return made[-1]

    try:
        b.sendall(b"x")
        hubs.wait_fd(a.fileno(), EV_READ, 30.0, make)  # the data wins: nothing is made
        assert made == []
        assert a.recv(1) == b"x"
        with pytest.raises(TimeoutError, match="made late") as raised:
            hubs.wait_fd(a.fileno(), EV_READ, 0.01, make)
        assert made == [raised.value]
    finally:
        a.close()
        b.close()
