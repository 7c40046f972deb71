"""eventlet.green.select and eventlet.green.selectors: waits that let other green threads run."""

from __future__ import annotations

import errno
import os
import select as stdselect
import socketserver
import subprocess
import sys

import pytest

import eventlet
from eventlet.green import select, selectors, socket
from eventlet.green import time as green_time
from eventlet.testing import hub_turns

pytestmark = pytest.mark.usefixtures("any_hub")


def test_module_reexports() -> None:
    assert select.POLLIN == stdselect.POLLIN
    assert select.error is OSError
    assert green_time.sleep is eventlet.sleep
    assert green_time.monotonic is __import__("time").monotonic


def test_select_returns_at_once_when_ready_and_waits_otherwise() -> None:
    a, b = socket.socketpair()
    with a, b:
        assert select.select([a], [b], [], 1) == ([], [b], [])
        assert select.select([a], [], [], 0) == ([], [], [])
        assert select.select([a], [], [], 0.01) == ([], [], [])  # timed out
        eventlet.spawn(b.send, b"x")  # runs once the call below waits
        assert select.select([a.fileno()], [], [a]) == ([a.fileno()], [], [])
        with pytest.raises(ValueError, match="non-negative"):
            select.select([a], [], [], -1)
        with pytest.raises(TypeError, match="float or None"):
            select.select([a], [], [], "1")


def test_select_ignores_stale_wakeups_and_keeps_waiting() -> None:
    a, b = socket.socketpair()
    with a, b:
        # The hub reports `a` readable for data that another green thread then takes first.
        result = []

        def selector() -> None:
            result.append(select.select([a], [], [], 1))

        thief_data = []
        thread = eventlet.spawn(selector)
        hub_turns(1)  # the selector waits
        b.send(b"1")
        thief_data.append(a.recv(1))  # we run before the selector: it finds nothing, waits again
        hub_turns(1)
        b.send(b"2")
        thread.wait()
        assert thief_data == [b"1"]
        assert result == [([a], [], [])]


def test_select_on_a_descriptor_closed_meanwhile_raises_ebadf() -> None:
    a, b = socket.socketpair()
    outcome = []

    def waiter() -> None:
        try:
            select.select([a], [], [])
        except OSError as exc:
            outcome.append(exc.errno)

    thread = eventlet.spawn(waiter)
    hub_turns(1)  # the waiter waits
    a.close()
    thread.wait()
    b.close()
    assert outcome == [errno.EBADF]


def test_poll_object() -> None:
    a, b = socket.socketpair()
    with a, b:
        poller = select.poll()
        poller.register(a, select.POLLIN)
        poller.register(b.fileno())
        assert poller.poll(0) == [(b.fileno(), select.POLLOUT)]
        poller.unregister(b)
        assert poller.poll(10) == []  # timed out
        eventlet.spawn(b.send, b"x")  # runs once the call below waits
        assert poller.poll() == [(a.fileno(), select.POLLIN)]
        a.recv(1)
        poller.modify(a, select.POLLOUT)
        assert poller.poll(-1) == [(a.fileno(), select.POLLOUT)]
        poller.modify(a, select.POLLIN)
        assert poller.poll(None if False else 0) == []
        with pytest.raises(TypeError, match="integer or None"):
            poller.poll("x")
        # a spurious wake-up (data taken by someone else) keeps the poll waiting
        result = []
        thread = eventlet.spawn(lambda: result.append(poller.poll(1000)))
        hub_turns(1)  # the poll waits
        b.send(b"1")
        a.recv(1)
        hub_turns(1)
        b.send(b"2")
        thread.wait()
        assert result == [[(a.fileno(), select.POLLIN)]]


@pytest.mark.skipif(not hasattr(stdselect, "epoll"), reason="Linux only")
def test_epoll_object() -> None:
    a, b = socket.socketpair()
    with a, b, select.epoll() as ep:
        ep.register(a, select.EPOLLIN)
        assert ep.poll(0) == []
        assert ep.poll(0.01) == []
        eventlet.spawn(b.send, b"x")  # runs once the call below waits
        assert ep.poll() == [(a.fileno(), select.EPOLLIN)]
        a.recv(1)
        ep.modify(a, select.EPOLLOUT)
        assert ep.poll(-1, 1) == [(a.fileno(), select.EPOLLOUT)]
        ep.unregister(a)
        ep.register(b)
        assert ep.poll(1)[0][0] == b.fileno()
        assert not ep.closed
        assert ep.fileno() >= 0
        result = []
        ep.unregister(b)
        ep.register(a, select.EPOLLIN)
        thread = eventlet.spawn(lambda: result.append(ep.poll(1)))
        hub_turns(1)  # the poll waits
        b.send(b"1")
        a.recv(1)  # taken before the poller looks: it waits again
        hub_turns(1)
        b.send(b"2")
        thread.wait()
        assert result == [[(a.fileno(), select.EPOLLIN)]]
    assert ep.closed
    ep.close()  # twice is fine
    with pytest.raises(ValueError, match="closed epoll object"):
        ep.__enter__()
    plain = stdselect.epoll()
    other = select.epoll.fromfd(os.dup(plain.fileno()))
    assert isinstance(other, select.epoll)
    assert not other.closed
    other.close()
    plain.close()


@pytest.mark.skipif(not hasattr(stdselect, "epoll"), reason="Linux only")
def test_closing_an_epoll_wakes_its_poller() -> None:
    ep = select.epoll()
    outcome = []

    def waiter() -> None:
        try:
            ep.poll()
        except OSError as exc:
            outcome.append(exc.errno)

    thread = eventlet.spawn(waiter)
    hub_turns(1)  # the waiter waits
    ep.close()
    thread.wait()
    assert outcome == [errno.EBADF]


@pytest.mark.parametrize("name", ["SelectSelector", "PollSelector", "EpollSelector", "DefaultSelector"])
def test_selectors(name: str) -> None:
    cls = getattr(selectors, name)
    a, b = socket.socketpair()
    with a, b, cls() as sel:
        sel.register(a, selectors.EVENT_READ, "a-data")
        assert sel.select(0) == []
        ticks = []
        eventlet.spawn(lambda: ticks.append(1))
        eventlet.spawn(b.send, b"x")  # runs once the call below waits
        events = sel.select(timeout=5)
        assert [(key.fileobj, mask, key.data) for key, mask in events] == [
            (a, selectors.EVENT_READ, "a-data")
        ]
        assert ticks == [1]  # the other green thread ran while the selector waited
    assert "KqueueSelector" not in dir(selectors)


def test_subprocess_communicate_over_green_selectors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subprocess, "_PopenSelector", selectors.PollSelector)
    ticks = []

    def ticker() -> None:
        while True:
            ticks.append(1)
            eventlet.sleep(0.005)

    ticking = eventlet.spawn(ticker)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; time.sleep(0.1); sys.stdout.write(sys.stdin.read().upper())",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    out, _ = proc.communicate(b"green", timeout=10)
    ticking.kill()
    assert out == b"GREEN"
    assert len(ticks) > 2  # communicate() waited on the hub, not in the OS


def test_socketserver_over_green_socket_and_selectors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socketserver, "socket", socket)
    monkeypatch.setattr(socketserver, "_ServerSelector", selectors.PollSelector)

    class Upper(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            self.wfile.write(self.rfile.readline().upper())

    with socketserver.TCPServer(("127.0.0.1", 0), Upper) as server:
        server.timeout = 5
        thread = eventlet.spawn(server.handle_request)
        with socket.create_connection(server.server_address) as client:
            client.sendall(b"hello\n")
            assert client.makefile("rb").readline() == b"HELLO\n"
        thread.wait()


def test_select_waits_for_writability() -> None:
    a, b = socket.socketpair()
    with a, b:
        a.setblocking(False)
        try:
            while True:
                a.send(b"x" * 65536)
        except BlockingIOError:
            pass
        assert select.select([], [a], [], 0.01) == ([], [], [])

        def drain() -> None:  # runs once the select below waits
            b.setblocking(False)
            try:
                while b.recv(1 << 20):
                    pass
            except BlockingIOError:
                pass

        eventlet.spawn(drain)
        assert select.select([], [a], []) == ([], [a], [])


def test_a_close_notice_after_another_wakeup_is_ignored() -> None:
    from eventlet.green.select import _Wakeup

    wakeup = _Wakeup([], [], None)  # its waiter is this greenlet: switching to it returns at once
    wakeup.ready(0)
    wakeup.closed(OSError(errno.EBADF, "late close notice"))  # stale: ignored, nothing raised
    assert not wakeup.active


def test_get_fileno_accepts_ints_and_objects_with_an_int_fileno() -> None:
    class Fake:
        def __init__(self, value: object) -> None:
            self.value = value

        def fileno(self) -> object:
            return self.value

    assert select.get_fileno(5) == 5
    assert select.get_fileno(Fake(7)) == 7
    with pytest.raises(TypeError, match="Expected int or long, got <class 'str'>"):
        select.get_fileno("7")
    with pytest.raises(TypeError, match="Expected int or long, got <class 'float'>"):
        select.get_fileno(Fake(7.0))


def test_select_waiter_gets_ioclosed_when_its_fd_is_reopened() -> None:
    from eventlet import hubs

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        waiter = eventlet.spawn(select.select, [sock], [], [])
        eventlet.sleep(0)
        hubs.get_hub().mark_as_reopened(sock.fileno())
        with pytest.raises(hubs.IOClosed):
            waiter.wait()


def test_deleted_names_are_the_blocking_ones_it_does_not_replace() -> None:
    assert not set(select.__deleted__) & set(select.__patched__)
    for name in select.__deleted__:
        assert getattr(select, name, None) is getattr(stdselect, name, None)  # the blocking originals
