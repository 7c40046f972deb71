"""Waiting for the hub to go round: :func:`hub_turns`, for tests that synchronise on the hub.

A test often needs "everything that can happen now has happened": the green thread just spawned
has run up to where it blocks, the bytes just sent to a local server have been read by it.
``sleep(0)`` is not that: it lets the green threads already queued run, but a busy hub polls for
I/O only every so often (see :mod:`eventlet.hubs.hub`), so a green thread waiting for those bytes
may not have been woken yet.  And a timed sleep is a guess that load makes wrong.

:func:`hub_turns` waits for turns that certainly poll: the calling green thread waits until a
socket it owns, which is always writable, is reported writable by the hub's poller, then yields
once more, so the green threads woken by that same poll run before it resumes.  What it cannot
see is work in another OS thread or another process: wait for those with an event, a log line
or a pipe.
"""

from __future__ import annotations

import socket

from eventlet.greenthread import sleep
from eventlet.hubs import trampoline

__all__ = ["hub_turns"]


def hub_turns(count: int = 1) -> None:
    """Return after the current hub has completed ``count`` turns that polled for I/O.

    After each turn, every green thread that was ready has run, the poller has reported the
    file descriptors ready at that moment, and the green threads it woke have run until they
    blocked again.  Call it from a green thread (or the main greenlet) of the hub's OS thread.
    """
    if count < 1:
        raise ValueError(f"count must be at least 1, not {count!r}")
    always_writable, other = socket.socketpair()
    try:
        for _ in range(count):
            trampoline(always_writable.fileno(), write=True)
            sleep(0)
    finally:
        always_writable.close()
        other.close()
