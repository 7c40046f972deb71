"""Waiting on file descriptors: trampoline, wait_fd with serials, notify_close, listeners (every hub)."""

from __future__ import annotations

import errno
import os
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from greenlet import getcurrent

import eventlet
from eventlet import hubs
from eventlet.hubs import notify_close, notify_opened, trampoline, wait_fd
from eventlet.hubs.hub import EV_READ, EV_WRITE, READ, WRITE, BaseHub, new_serial
from eventlet.testing import hub_turns


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    yield a, b
    for s in (a, b):
        if s.fileno() >= 0:
            notify_close(s.fileno())
        s.close()


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the hub turn until ``condition()`` holds (an assertion error after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the hub never got there"
        eventlet.sleep(0.001)


def _fill(sock: socket.socket) -> None:
    """Fill the send buffer so that the socket is no longer writable."""
    try:
        while True:
            sock.send(b"x" * 65536)
    except BlockingIOError:
        pass


def test_trampoline_read(any_hub: BaseHub, pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair

    def reader() -> bytes:
        assert trampoline(a, read=True) == a.fileno()
        return a.recv(10)

    gt = eventlet.spawn(reader)
    eventlet.sleep(0)
    assert len(any_hub.get_readers()) == 1
    b.send(b"hello")
    assert gt.wait() == b"hello"
    assert any_hub.get_readers() == []
    assert a.fileno() not in any_hub._fds  # a raw fd is unregistered once its waiter leaves


def test_trampoline_write_waits_for_buffer_space(
    any_hub: BaseHub, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, b = pair
    _fill(a)

    def writer() -> int:
        trampoline(a.fileno(), write=True)
        return a.send(b"more")

    gt = eventlet.spawn(writer)
    eventlet.sleep(0)
    assert len(any_hub.get_writers()) == 1
    while True:
        try:
            b.recv(1 << 20)
        except BlockingIOError:
            break
    assert gt.wait() == 4


def test_trampoline_timeout_raises_eventlet_timeout(
    any_hub: BaseHub, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, _b = pair
    with pytest.raises(eventlet.Timeout):
        trampoline(a, read=True, timeout=0.001)
    assert any_hub.get_readers() == []


def test_trampoline_custom_timeout_exc(any_hub: BaseHub, pair: tuple[socket.socket, socket.socket]) -> None:
    a, _b = pair
    with pytest.raises(ConnectionError, match="too slow"):
        trampoline(a, read=True, timeout=0.001, timeout_exc=ConnectionError("too slow"))
    with pytest.raises(TimeoutError):
        wait_fd(a.fileno(), EV_READ, timeout=0.001)


def test_trampoline_wants_exactly_one_direction(any_hub: BaseHub) -> None:
    with pytest.raises(ValueError, match="exactly one of read=True or write=True"):
        trampoline(0, read=True, write=True)
    with pytest.raises(ValueError, match="exactly one of read=True or write=True"):
        trampoline(0)


def test_wait_fd_from_the_hub_is_refused(any_hub: BaseHub, pair: tuple[socket.socket, socket.socket]) -> None:
    errors = []

    def in_hub() -> None:
        try:
            wait_fd(pair[0].fileno(), EV_READ)
        except RuntimeError as exc:
            errors.append(exc)

    any_hub.call_soon(in_hub)
    eventlet.sleep(0)
    assert errors


@pytest.mark.usefixtures("allow_multiple_readers")
def test_notify_close_wakes_every_waiter_with_ebadf(
    any_hub: BaseHub, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, _b = pair
    marked = []
    results = []

    def waiter(mask: int) -> None:
        try:
            if mask == EV_READ:
                trampoline(a, read=True, mark_as_closed=lambda: marked.append(mask))
            else:
                wait_fd(a.fileno(), EV_WRITE, serial=7, mark_as_closed=lambda: marked.append(mask))
        except OSError as exc:
            results.append(exc.errno)

    _fill(a)
    threads = [
        eventlet.spawn(waiter, EV_READ),
        eventlet.spawn(waiter, EV_READ),
        eventlet.spawn(waiter, EV_WRITE),
    ]
    eventlet.sleep(0)
    assert len(any_hub.get_readers()) == 2
    assert len(any_hub.get_writers()) == 1
    notify_close(a.fileno())
    for gt in threads:
        gt.wait()
    assert results == [errno.EBADF] * 3
    assert sorted(marked) == [EV_READ, EV_READ, EV_WRITE]
    assert a.fileno() not in any_hub._fds
    notify_close(a.fileno())  # nothing registered any more: nothing happens


def test_close_notice_is_dropped_for_a_waiter_that_left(
    any_hub: BaseHub, pair: tuple[socket.socket, socket.socket]
) -> None:
    """A waiter woken by its timeout in the same turn as notify_close must not get EBADF later."""
    a, _b = pair
    outcome = []

    def waiter() -> None:
        try:
            trampoline(a, read=True, timeout=0.001)
        except eventlet.Timeout:
            outcome.append("timeout")
        eventlet.sleep(0.01)  # a late EBADF would land here
        outcome.append("slept")

    gt = eventlet.spawn(waiter)
    eventlet.sleep(0)
    # Queue the close notice, then let the timer fire before the hub runs the notice.
    listener = any_hub.get_readers()[0]
    any_hub.notify_close(a.fileno())
    listener.tb = None  # what the waiter's exit does; the timeout path is covered below too
    gt.wait()
    assert outcome == ["timeout", "slept"] or outcome == ["slept"]


def test_close_notice_after_the_waiter_timed_out(pair: tuple[socket.socket, socket.socket]) -> None:
    from eventlet.testing import virtual_clock

    a, _b = pair
    with virtual_clock() as hub:
        outcome = []

        def waiter() -> None:
            try:
                trampoline(a, read=True, timeout=1)
            except eventlet.Timeout:
                outcome.append("timeout")
            eventlet.sleep(5)
            outcome.append("slept")

        def closer() -> None:
            eventlet.sleep(1)  # same deadline as the timeout, scheduled later: runs right after it
            hub.notify_close(a.fileno())

        gt = eventlet.spawn(waiter)
        eventlet.spawn(closer)
        gt.wait()
        assert outcome == ["timeout", "slept"]


@pytest.mark.usefixtures("allow_multiple_readers")
def test_several_readers_on_one_fd_take_turns(
    any_hub: BaseHub, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, b = pair
    woken = []

    def reader(n: int) -> None:
        trampoline(a, read=True)
        woken.append(n)

    threads = [eventlet.spawn(reader, n) for n in range(3)]
    eventlet.sleep(0)
    b.send(b"x")
    for gt in threads:
        gt.wait()
    assert sorted(woken) == [0, 1, 2]


@pytest.mark.usefixtures("allow_multiple_readers")
def test_a_reader_removed_by_an_earlier_one_is_not_woken(
    any_hub: BaseHub, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, b = pair
    log = []

    def second() -> None:
        try:
            trampoline(a, read=True)
            log.append("second woken")
        except ValueError:
            log.append("second interrupted")
            eventlet.sleep(0.02)  # must not be cut short by a stale fd wake-up
            log.append("second slept")

    def first() -> None:
        trampoline(a, read=True)
        log.append("first woken")
        eventlet.kill(victim, ValueError)

    eventlet.spawn(first)
    victim = eventlet.spawn(second)
    eventlet.sleep(0)
    b.send(b"x")
    victim.wait()
    assert log == ["first woken", "second interrupted", "second slept"]


def test_kept_registration_with_serial(any_hub: BaseHub, pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    fd = a.fileno()
    serial = new_serial()
    calls: list[str] = []

    def counting(name: str, original: Any) -> Any:
        def call(*args: Any) -> Any:
            calls.append(name)
            return original(*args)

        return call

    for name in ("_register", "_modify", "_unregister"):
        setattr(any_hub, name, counting(name, getattr(any_hub, name)))

    def reader() -> bytes:
        wait_fd(fd, EV_READ, serial=serial)
        return a.recv(10)

    for i in range(3):
        gt = eventlet.spawn(reader)
        eventlet.sleep(0)
        b.send(b"%d" % i)
        assert gt.wait() == b"%d" % i
    assert calls == ["_register"]  # registered once, kept between waits
    assert any_hub._fds[fd].registered == EV_READ
    assert any_hub.statistics()["fds_registered"] >= 1
    # Ready with nobody waiting: the kept registration is dropped.
    b.send(b"unread")
    wait_for(lambda: fd not in any_hub._fds)
    assert calls == ["_register", "_unregister"]
    assert a.recv(10) == b"unread"


def test_kept_registration_narrows_to_what_is_wanted(
    any_hub: BaseHub, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, b = pair
    fd = a.fileno()
    serial = new_serial()
    b.send(b"r")
    wait_fd(fd, EV_READ, serial=serial)  # ready at once: leaves READ registered
    a.recv(1)
    wait_fd(fd, EV_WRITE, serial=serial)  # READ|WRITE registered now; writable at once
    assert any_hub._fds[fd].registered == EV_READ | EV_WRITE
    _fill(a)

    def writer() -> None:
        wait_fd(fd, EV_WRITE, serial=serial)

    gt = eventlet.spawn(writer)
    eventlet.sleep(0)
    b.send(b"r")  # readable, but only a writer waits: the registration narrows to WRITE
    wait_for(lambda: any_hub._fds[fd].registered == EV_WRITE)
    while True:
        try:
            b.recv(1 << 20)
        except BlockingIOError:
            break
    gt.wait()
    notify_close(fd)


def test_recycled_fd_number_with_a_new_serial(any_hub: BaseHub) -> None:
    a, b = socket.socketpair()
    a.setblocking(False)
    fd = a.fileno()
    b.send(b"1")
    wait_fd(fd, EV_READ, serial=new_serial())  # kept registered
    # A careless owner closes without notify_close; the next socket gets the same fd number.
    a.close()
    c, d = socket.socketpair()
    c.setblocking(False)
    try:
        if c.fileno() != fd:  # pragma: no cover - the kernel hands out the lowest free number
            c, d = d, c
        assert c.fileno() == fd

        def reader() -> bytes:
            wait_fd(fd, EV_READ, serial=new_serial())
            return c.recv(10)

        gt = eventlet.spawn(reader)
        eventlet.sleep(0)
        d.send(b"new file")
        assert gt.wait() == b"new file"
    finally:
        notify_close(fd)
        for s in (b, c, d):
            s.close()


def test_raw_wait_after_a_kept_registration_reregisters(
    any_hub: BaseHub, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, b = pair
    fd = a.fileno()
    b.send(b"12")
    wait_fd(fd, EV_READ, serial=new_serial())
    assert trampoline(a, read=True) == fd  # no serial: re-registered (modify), still readable
    assert a.recv(2) == b"12"


def test_notify_opened_forgets_a_kept_registration(
    any_hub: BaseHub, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, b = pair
    fd = a.fileno()
    b.send(b"1")
    wait_fd(fd, EV_READ, serial=new_serial())
    assert fd in any_hub._fds
    notify_opened(fd)
    assert fd not in any_hub._fds
    notify_opened(fd)  # nothing to forget


def test_fd_closed_under_the_hub(any_hub: BaseHub) -> None:
    """Closed without notify_close while a green thread waits: poll/select wake it (POLLNVAL,
    EBADF); epoll silently forgets the fd, so the waiter only leaves by its timeout."""
    r, w = os.pipe()
    outcome = []

    def waiter() -> None:
        try:
            trampoline(r, read=True, timeout=0.05)
            outcome.append("woken")
        except eventlet.Timeout:
            outcome.append("timeout")

    gt = eventlet.spawn(waiter)
    eventlet.sleep(0)
    os.close(r)
    os.close(w)
    gt.wait()
    if any_hub.name in ("poll", "selects"):
        assert outcome == ["woken"]
    else:
        assert outcome == ["timeout"]
    assert r not in any_hub._fds


def test_fd_closed_under_the_hub_with_a_kept_registration(any_hub: BaseHub) -> None:
    r, w = os.pipe()
    os.write(w, b"x")
    wait_fd(r, EV_READ, serial=new_serial())
    os.close(r)  # kept registration, now dangling
    os.close(w)
    eventlet.sleep(0.001)
    eventlet.sleep(0.001)
    if any_hub.name in ("poll", "selects"):
        assert r not in any_hub._fds  # reported bad, dropped
    notify_close(r)


def test_add_is_persistent_until_removed(any_hub: BaseHub, pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    calls: list[object] = []
    listener = any_hub.add(READ, a.fileno(), calls.append, lambda exc: calls.append(exc))
    other = any_hub.add(READ, a.fileno(), lambda fd: None, lambda exc: None)
    b.send(b"x")
    wait_for(lambda: len(calls) >= 2)  # level-triggered: called each turn
    assert calls[0] == a.fileno()
    any_hub.remove(listener)
    any_hub.remove(listener)
    count = len(calls)
    eventlet.sleep(0.001)
    assert len(calls) == count
    any_hub.remove(other)
    assert a.fileno() not in any_hub._fds
    with pytest.raises(ValueError, match="evtype"):
        any_hub.add("bogus", a.fileno(), print, print)


def test_add_writer_and_close_notice(any_hub: BaseHub, pair: tuple[socket.socket, socket.socket]) -> None:
    a, _b = pair
    calls: list[object] = []
    any_hub.add(WRITE, a.fileno(), calls.append, calls.append)
    wait_for(lambda: bool(calls))
    assert calls[0] == a.fileno()
    notify_close(a.fileno())
    eventlet.sleep(0)
    assert isinstance(calls[-1], OSError)
    assert calls[-1].errno == errno.EBADF


def test_listener_callback_errors_are_logged(
    any_hub: BaseHub, pair: tuple[socket.socket, socket.socket], caplog: pytest.LogCaptureFixture
) -> None:
    a, b = pair

    def bad(fd: int) -> None:
        any_hub.remove(listener)
        raise RuntimeError("listener failed")

    listener = any_hub.add(READ, a.fileno(), bad, print)
    b.send(b"x")

    def reported() -> bool:
        texts = [r.getMessage() + (str(r.exc_info[1]) if r.exc_info else "") for r in caplog.records]
        return any("listener failed" in text for text in texts)

    wait_for(reported)


def test_listener_repr_and_introspection(any_hub: BaseHub, pair: tuple[socket.socket, socket.socket]) -> None:
    a, _b = pair
    gt = eventlet.spawn(trampoline, a, read=True)
    eventlet.sleep(0)
    (listener,) = any_hub.get_readers()
    assert f"fd={a.fileno()}" in repr(listener)
    assert "read" in repr(listener)
    gt.kill()
    assert any_hub.get_readers() == []


def test_dispatch_of_a_forgotten_fd_is_ignored(any_hub: BaseHub) -> None:
    any_hub._dispatch(12345, EV_READ)  # nothing registered: nothing happens
    assert 12345 not in any_hub._fds


def test_waiter_is_the_current_greenlet(any_hub: BaseHub, pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    b.send(b"x")
    assert wait_fd(a.fileno(), EV_READ) == a.fileno()
    assert getcurrent() is not any_hub.greenlet
    assert hubs.get_hub() is any_hub


def test_keyboard_interrupt_in_an_fd_callback_reaches_main(
    any_hub: BaseHub, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, b = pair

    def interrupt(fd: int) -> None:
        any_hub.remove(listener)
        raise KeyboardInterrupt

    listener = any_hub.add(READ, a.fileno(), interrupt, print)
    b.send(b"x")
    with pytest.raises(KeyboardInterrupt):
        hub_turns(100)  # the listener interrupts the first turn that reports the fd


def test_waiting_on_an_unpollable_fd_leaves_no_listener(any_hub: BaseHub, tmp_path: object) -> None:
    if any_hub.name in ("poll", "selects"):
        pytest.skip("poll and select accept regular files")
    with open(__file__) as f:
        with pytest.raises(OSError):  # noqa: PT011 - the errno is the poller's (EPERM from epoll)
            trampoline(f, read=True)
    assert f.fileno() if not f.closed else True
    assert any_hub.get_readers() == []
    assert any_hub._fds == {}


def test_exceptional_condition_wakes_readers_with_select(any_hub: BaseHub) -> None:
    """select reports OOB data (and, on Windows, a failed connect) as "exceptional"."""
    if any_hub.name != "selects":
        pytest.skip("only select has an exceptional-condition set (epoll/poll would need PRI)")
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname())
    server, _ = listener.accept()
    server.setblocking(False)
    try:
        gt = eventlet.spawn(trampoline, server, read=True)
        eventlet.sleep(0)
        client.send(b"!", socket.MSG_OOB)
        assert gt.wait() == server.fileno()
    finally:
        for s in (listener, client, server):
            s.close()


def test_failed_reregistration_keeps_the_other_direction(any_hub: BaseHub) -> None:
    """A raw wait on a kept fd whose file is gone fails, and leaves the other waiter alone."""
    if any_hub.name != "epolls":
        pytest.skip("only epoll refuses to modify a closed fd with an error other than ENOENT")
    r, w = os.pipe()
    os.write(w, b"x")
    wait_fd(r, EV_READ, serial=new_serial())  # kept registered
    state = any_hub._fds[r]
    other = hubs.FdListener(WRITE, r, print, None)
    state.writers.append(other)  # a waiter of the other direction, as if already there
    os.close(r)
    try:
        with pytest.raises(OSError, match="Bad file descriptor") as info:
            trampoline(r, read=True)  # no serial: re-register; epoll_ctl(MOD) says EBADF
        assert info.value.errno == errno.EBADF
        assert any_hub._fds[r].writers == [other]
        assert any_hub._fds[r].readers == []
    finally:
        any_hub.notify_close(r)
        os.close(w)


def test_a_second_reader_or_writer_of_one_fd_is_refused(
    any_hub: BaseHub, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, b = pair
    serial = new_serial()  # the waits of a green I/O object (a socket, a pipe) carry its serial
    # listeners of hub.add (select, poll) are not waiters of their own: they never conflict
    selecting = any_hub.add(READ, a.fileno(), lambda fd: None, lambda exc: None)
    first = eventlet.spawn(wait_fd, a.fileno(), EV_READ, None, TimeoutError, serial)
    raw = eventlet.spawn(trampoline, a, read=True)  # nor do raw fds waited on without a serial
    eventlet.sleep(0)
    with pytest.raises(RuntimeError, match=f"Second simultaneous read on fileno {a.fileno()}"):
        wait_fd(a.fileno(), EV_READ, serial=serial)
    assert len(any_hub.get_readers()) == 3  # the refused waiter left no trace
    any_hub.remove(selecting)
    _fill(a)
    writer = eventlet.spawn(wait_fd, a.fileno(), EV_WRITE, None, TimeoutError, 3)
    eventlet.sleep(0)
    with pytest.raises(RuntimeError, match="Second simultaneous write"):
        wait_fd(a.fileno(), EV_WRITE, serial=3)
    b.send(b"x")
    first.wait()
    raw.wait()
    try:
        while b.recv(65536):
            pass
    except BlockingIOError:  # all read: `a` is writable again
        pass
    writer.wait()


@pytest.mark.usefixtures("allow_multiple_readers")
def test_readers_allowed_to_share_an_fd_take_turns(
    any_hub: BaseHub, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, b = pair
    got: dict[int, list[bytes]] = {0: [], 1: []}

    def reader(n: int) -> None:
        while True:
            trampoline(a, read=True)
            try:
                data = a.recv(1)
            except BlockingIOError:
                continue
            if not data:
                return
            got[n].append(data)

    readers = [eventlet.spawn(reader, n) for n in (0, 1)]
    eventlet.sleep(0)
    for seen, byte in enumerate(b"abcdef", 1):
        b.send(bytes([byte]))
        while sum(map(len, got.values())) < seen:
            eventlet.sleep(0)
    b.close()
    for gt in readers:
        gt.wait()
    assert got == {0: [b"a", b"c", b"e"], 1: [b"b", b"d", b"f"]}


def test_notify_opened_wakes_waiters_of_the_old_file_with_ioclosed(
    any_hub: BaseHub, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, _b = pair
    marked: list[bool] = []
    waiter = eventlet.spawn(trampoline, a, read=True, mark_as_closed=lambda: marked.append(True))
    eventlet.sleep(0)
    notify_opened(a.fileno())
    with pytest.raises(hubs.IOClosed) as info:
        waiter.wait()
    assert isinstance(info.value, OSError)
    assert info.value.errno == errno.ENOTCONN
    assert marked == [True]
    assert not any_hub.get_readers()


def test_a_waiter_removed_by_a_listener_woken_before_it_is_not_woken(
    any_hub: BaseHub, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, b = pair
    victim = eventlet.spawn(trampoline, a, read=True)
    eventlet.sleep(0)
    (waiting,) = any_hub.get_readers()
    removed: list[bool] = []

    def remove_the_waiter(fd: int) -> None:  # an add() listener is woken before the waiters
        any_hub.remove(waiting)
        removed.append(waiting.spent)

    selecting = any_hub.add(READ, a.fileno(), remove_the_waiter, lambda exc: None)
    b.send(b"x")
    while not removed:
        eventlet.sleep(0)
    any_hub.remove(selecting)
    assert removed == [True]
    assert not victim.dead  # its listener went away unwoken
    victim.kill()
