"""The hub timer a socket's timed waits share (``eventlet.hubs._deadline``).

Real socket pairs on this host.  The timeouts are short, but no test bounds how long anything
takes: where time matters, a test asserts only that a timeout did not come before its deadline.
"""

from __future__ import annotations

import logging
import threading
import time

import pytest

import eventlet
from eventlet.event import Event
from eventlet.green import socket
from eventlet.greenio.socket import GreenSocket
from eventlet.hubs import get_hub, wait_fd
from eventlet.hubs._deadline import SharedDeadline
from eventlet.hubs.hub import EV_READ


def _pair(timeout: float | None) -> tuple[GreenSocket, GreenSocket]:
    a, b = socket.socketpair()
    a.settimeout(timeout)
    b.settimeout(timeout)
    return a, b


def _pending_timers() -> int:
    return int(get_hub().statistics()["timers"])


def _arm_read_timer(a: GreenSocket, b: GreenSocket) -> SharedDeadline:
    """Have ``a`` wait once to read (after a send, as an echo client does), for data ``b`` sent
    already: that wait arms ``a``'s shared read timer.  Returns it."""
    b.sendall(b"x")
    a.sendall(b"?")
    assert a.recv(1) == b"x"
    shared = a._read_deadline
    assert shared is not None
    assert shared.entry is not None
    return shared


def test_every_wait_of_a_busy_socket_reuses_one_timer() -> None:
    a, b = _pair(30.0)
    try:

        def echo(count: int) -> None:
            for _ in range(count):
                b.sendall(b.recv(16))

        server = eventlet.spawn(echo, 50)
        a.sendall(b"0")
        assert a.recv(16) == b"0"
        shared = a._read_deadline
        assert shared is not None
        first = shared.entry
        assert first is not None
        for i in range(1, 50):
            a.sendall(b"%d" % i)
            assert a.recv(16) == b"%d" % i
            assert shared.entry is first  # the later deadline reused the armed timer
            assert shared.waiter is None  # between waits, no green thread is held
        server.wait()
        assert _pending_timers() == 2  # one per socket that waited: a's and b's reads
    finally:
        a.close()
        b.close()
    assert _pending_timers() == 0


def test_a_lowered_timeout_arms_an_earlier_timer_and_times_out() -> None:
    a, b = _pair(30.0)
    try:
        shared = _arm_read_timer(a, b)
        old = shared.entry
        assert old is not None
        a.settimeout(0.02)
        start = time.monotonic()
        with pytest.raises(TimeoutError, match="timed out"):
            a.recv(1)
        assert time.monotonic() - start >= 0.02  # not before its deadline
        assert old[2] is None  # the 30 s timer was cancelled, not left armed
        assert shared.entry is None  # the 20 ms one fired
        assert _pending_timers() == 0
    finally:
        a.close()
        b.close()


def test_a_wait_that_outlives_the_shared_timer_gets_it_armed_again() -> None:
    a, b = _pair(0.05)
    try:
        shared = _arm_read_timer(a, b)
        first = shared.entry
        eventlet.sleep(0.03)  # the next wait's deadline is later than the armed timer's
        start = time.monotonic()
        with pytest.raises(TimeoutError, match="timed out"):
            a.recv(1)
        # The first timer fired during the wait and was armed again for the wait's own deadline.
        assert time.monotonic() - start >= 0.05
        assert first is not None
        assert first[2] is None
        assert shared.waiter is None
    finally:
        a.close()
        b.close()


def test_data_that_comes_after_the_shared_timer_fires_still_wins() -> None:
    a, b = _pair(0.05)
    try:
        shared = _arm_read_timer(a, b)
        first = shared.entry
        eventlet.sleep(0.03)
        fired_first: Event[bool] = Event()

        def answer_after_the_first_timer() -> None:
            while first is not None and first[2] is not None:
                eventlet.sleep(0.005)
            fired_first.send(shared.entry is not None)  # re-armed for the waiting reader
            b.sendall(b"y")

        helper = eventlet.spawn(answer_after_the_first_timer)
        assert a.recv(1) == b"y"  # deadline 80 ms from the wait's start: the answer beats it
        assert fired_first.wait() is True
        helper.wait()
    finally:
        a.close()
        b.close()


def test_an_idle_socket_timer_fires_as_a_no_op(caplog: pytest.LogCaptureFixture) -> None:
    a, b = _pair(0.01)
    try:
        with caplog.at_level(logging.DEBUG):
            shared = _arm_read_timer(a, b)
            eventlet.sleep(0.03)  # past the timer's deadline, nobody waiting
            assert shared.entry is None
            assert _pending_timers() == 0
            b.sendall(b"y")
            assert a.recv(1) == b"y"  # the socket is as good as before
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    finally:
        a.close()
        b.close()


def test_reads_and_writes_wait_on_timers_of_their_own() -> None:
    a, b = _pair(30.0)
    try:
        reader = eventlet.spawn(a.recv, 1)
        eventlet.sleep(0)
        big = b"z" * (1 << 22)
        writer = eventlet.spawn(a.sendall, big)
        eventlet.sleep(0)
        read_shared, write_shared = a._read_deadline, a._write_deadline
        assert read_shared is not None
        assert write_shared is not None
        assert read_shared is not write_shared
        assert read_shared.waiter is reader
        assert write_shared.waiter is writer
        got = 0
        while got < len(big):
            got += len(b.recv(1 << 16))
        writer.wait()
        b.sendall(b"r")
        assert reader.wait() == b"r"
        assert "armed" in repr(read_shared)
    finally:
        a.close()
        b.close()
    assert "idle" in repr(read_shared)


def test_killing_a_timed_waiter_leaves_the_socket_usable() -> None:
    a, b = _pair(30.0)
    try:
        reader = eventlet.spawn(a.recv, 1)
        eventlet.sleep(0)
        shared = a._read_deadline
        assert shared is not None
        assert shared.waiter is reader
        reader.kill()
        assert shared.waiter is None
        b.sendall(b"k")
        assert a.recv(1) == b"k"
    finally:
        a.close()
        b.close()


def test_release_from_another_os_thread_leaves_the_timer_to_fire_as_a_no_op() -> None:
    a, b = _pair(0.01)
    try:
        shared = _arm_read_timer(a, b)
        old = shared.entry
        assert old is not None
        thread = threading.Thread(target=shared.release)  # a thread with no hub
        thread.start()
        thread.join()
        assert shared.entry is None
        assert old[2] is not None  # that thread did not touch this hub's timers
        a.settimeout(30.0)

        def answer_later() -> None:
            eventlet.sleep(0.03)  # the given-up timer fires meanwhile, and must do nothing
            b.sendall(b"y")

        helper = eventlet.spawn(answer_later)
        assert a.recv(1) == b"y"  # a new 30 s timer; the old one fired without a word
        assert old[2] is None
        helper.wait()
    finally:
        a.close()
        b.close()
    assert _pending_timers() == 0


def test_detach_releases_the_timer() -> None:
    a, b = _pair(30.0)
    _arm_read_timer(a, b)
    assert _pending_timers() == 1
    fd = a.detach()
    assert _pending_timers() == 0
    socket.socket(fileno=fd).close()
    b.close()


def test_wait_fd_with_a_shared_deadline_times_out_with_its_exception() -> None:
    a, b = socket.socketpair()
    try:
        shared = SharedDeadline(lambda: OSError("custom"))
        with pytest.raises(OSError, match="custom"):
            wait_fd(a.fileno(), EV_READ, shared=shared, deadline=time.monotonic() + 0.01)
        assert shared.entry is None
        assert shared.waiter is None
    finally:
        a.close()
        b.close()


def test_wait_fd_with_a_shared_deadline_refuses_the_hub_greenlet() -> None:
    hub = get_hub()
    shared = SharedDeadline(TimeoutError)
    errors: list[BaseException] = []

    def in_hub() -> None:
        try:
            wait_fd(0, EV_READ, shared=shared, deadline=time.monotonic() + 1)
        except RuntimeError as exc:
            errors.append(exc)

    hub.schedule_call_global(0, in_hub)
    eventlet.sleep(0.001)
    assert errors
    assert "hub itself" in str(errors[0])


@pytest.mark.virtual_clock
def test_a_hub_with_its_own_clock_times_socket_waits_out() -> None:
    a, b = _pair(0.02)
    try:
        start = time.monotonic()
        with pytest.raises(TimeoutError, match="timed out"):
            a.recv(1)
        assert time.monotonic() - start >= 0.02
    finally:
        a.close()
        b.close()


def test_a_socket_moved_to_another_os_thread_is_not_timed_out_by_the_old_hub() -> None:
    a, b = _pair(0.05)
    try:
        _arm_read_timer(a, b)  # this thread's hub holds a's read timer, due in 50 ms
        a.settimeout(30.0)
        result: list[object] = []

        def read_in_another_thread() -> None:
            try:
                result.append(a.recv(1))  # a timer on that thread's hub; ours is given up
            except BaseException as exc:  # pragma: no cover - the failure this test looks for
                result.append(exc)

        thread = threading.Thread(target=read_in_another_thread)
        thread.start()
        while a._read_deadline is not None and a._read_deadline.waiter is None:
            eventlet.sleep(0.001)  # until the other thread waits
        eventlet.sleep(0.1)  # our hub's given-up timer fires meanwhile, and must leave it alone
        b.sendall(b"y")
        thread.join(10)
        assert result == [b"y"]
    finally:
        a.close()
        b.close()


def test_a_greenlet_with_a_switch_out_hook_has_it_called_by_a_timed_wait() -> None:
    import greenlet

    a, b = _pair(30.0)
    switched_out: list[int] = []

    class Hooked(greenlet.greenlet):
        def switch_out(self) -> None:
            switched_out.append(1)

    try:
        reader = Hooked(a.recv, parent=get_hub().greenlet)
        get_hub().schedule_call_global(0, reader.switch, 1)
        eventlet.sleep(0.001)  # the reader waits, through hub.switch() and its hook
        assert switched_out
        b.sendall(b"h")
        eventlet.sleep(0.001)
        assert reader.dead
    finally:
        a.close()
        b.close()


@pytest.mark.usefixtures("allow_multiple_readers")
def test_two_readers_of_one_socket_each_time_out() -> None:
    """With hub_prevent_multiple_readers(False), a second reader cannot share the first one's
    deadline: it gets a timer of its own, and both time out."""
    a, b = _pair(0.05)
    try:
        outcomes: list[str] = []

        def read() -> None:
            try:
                a.recv(1)
                outcomes.append("data")
            except TimeoutError:
                outcomes.append("timed out")

        first = eventlet.spawn(read)
        second = eventlet.spawn(read)
        with eventlet.Timeout(5):
            first.wait()
            second.wait()
        assert outcomes == ["timed out", "timed out"]
    finally:
        a.close()
        b.close()
