"""eventlet.testing.hub_turns: waiting for the hub to go round instead of sleeping."""

from __future__ import annotations

import pytest

import eventlet
from eventlet.green import socket
from eventlet.hubs.hub import BaseHub
from eventlet.testing import hub_turns


def test_a_spawned_green_thread_has_run_to_where_it_blocks(any_hub: BaseHub) -> None:
    steps: list[str] = []
    event: eventlet.Event[None] = eventlet.Event()

    def worker() -> None:
        steps.append("started")
        event.wait()
        steps.append("woken")

    thread = eventlet.spawn(worker)
    hub_turns()
    assert steps == ["started"]
    event.send()
    thread.wait()
    assert steps == ["started", "woken"]


def test_bytes_sent_have_been_received_even_while_the_hub_is_busy(any_hub: BaseHub) -> None:
    """A busy hub polls only now and then: hub_turns waits for a poll, sleep(0) does not."""
    a, b = socket.socketpair()
    received: list[bytes] = []
    spinning = True

    def spinner() -> None:
        while spinning:
            eventlet.sleep(0)  # keeps the ready queue busy: turns that do not poll

    busy = eventlet.spawn(spinner)
    for size in (1, 2, 3):
        reader = eventlet.spawn(lambda: received.append(a.recv(10)))
        hub_turns()  # the reader waits in recv now
        b.sendall(b"x" * size)
        hub_turns()
        assert received == [b"x" * size]
        reader.wait()
        received.clear()
    spinning = False
    busy.wait()
    a.close()
    b.close()


def test_count_must_be_positive() -> None:
    with pytest.raises(ValueError, match="count must be at least 1"):
        hub_turns(0)
    hub_turns(3)
