"""The poller contract (eventlet.hubs._poller), run against each backend's poller alone, no hub.

Real socketpairs and pipes; every poller this platform has (kqueue only on macOS and the BSDs).
What each backend does with a closed or unknown fd differs, and is part of the contract: the
expectations are written per backend below, as the module docstring of ``_poller`` lists them.
The asyncio hub's backend, a watcher without ``poll``, has its own tests at the end.
"""

from __future__ import annotations

import asyncio
import errno
import select
import socket
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from eventlet.hubs import asyncio as asyncio_hub
from eventlet.hubs import epolls, kqueue, poll, selects
from eventlet.hubs._poller import EV_ERROR, EV_READ, EV_WRITE, FdWatcher, Poller, refuse_closed

_BACKENDS: dict[str, tuple[Any, Any]] = {
    "epolls": (epolls, epolls.EpollPoller),
    "kqueue": (kqueue, kqueue.KqueuePoller),
    "poll": (poll, poll.PollPoller),
    "selects": (selects, selects.SelectPoller),
}


def _param(name: str) -> Any:
    module, _cls = _BACKENDS[name]
    return pytest.param(
        name,
        id=name,
        marks=pytest.mark.skipif(
            not module.is_available(), reason=f"{name} is not available on this platform"
        ),
    )


@pytest.fixture(params=[_param(name) for name in _BACKENDS])
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def poller(backend: str) -> Iterator[Poller]:
    made: Poller = _BACKENDS[backend][1]()
    yield made
    made.close()


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socket.socketpair()
    yield a, b
    a.close()
    b.close()


def events_of(poller: Poller, timeout: float | None = 0) -> dict[int, int]:
    """One poll, as ``{fd: events}`` (each fd appears once)."""
    result = list(poller.poll(timeout))
    events = dict(result)
    assert len(events) == len(result), "an fd reported twice in one poll"
    return events


def _fill(sock: socket.socket) -> None:
    """Fill the send buffer so that the socket is no longer writable."""
    sock.setblocking(False)
    try:
        while True:
            sock.send(b"x" * 65536)
    except BlockingIOError:
        pass


def _closed_fd() -> int:
    """A number that names no open file (just closed; nothing in this test opens another fd meanwhile).

    A socket's, so that select can be asked about it on Windows too.
    """
    sock = socket.socket()
    fd = sock.fileno()
    sock.close()
    return fd


_NOT_EARLY_ON_THIS_PLATFORM = pytest.mark.skipif(
    sys.platform == "win32",
    reason="Windows' select() waits in system timer ticks and may wake before its timeout "
    "(what asyncio's clock_resolution allowance is for); the hub only fires timers that are due",
)


# ---------------------------------------------------------------------------------- the common contract
def test_each_hub_class_names_its_poller(backend: str) -> None:
    module, cls = _BACKENDS[backend]
    assert module.Hub.poller_class is cls
    made = cls()
    try:
        assert isinstance(made, Poller)  # the runtime check looks at names only: the tests below do the rest
    finally:
        made.close()


def test_read_reported_only_once_data_arrives(
    poller: Poller, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, b = pair
    poller.register(a.fileno(), EV_READ)
    assert a.fileno() not in events_of(poller, 0)
    b.send(b"x")
    events = events_of(poller, None)  # ready now: poll(None) returns at once
    assert events[a.fileno()] & EV_READ
    assert not events[a.fileno()] & EV_WRITE  # writable, but not asked for


def test_write_reported(poller: Poller, pair: tuple[socket.socket, socket.socket]) -> None:
    a, _b = pair
    poller.register(a.fileno(), EV_WRITE)
    events = events_of(poller, None)
    assert events[a.fileno()] & EV_WRITE
    assert not events[a.fileno()] & EV_READ


def test_not_writable_when_the_buffer_is_full(
    poller: Poller, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, b = pair
    _fill(a)
    poller.register(a.fileno(), EV_WRITE)
    assert a.fileno() not in events_of(poller, 0)
    b.setblocking(False)
    while True:  # drain the peer: a becomes writable again
        try:
            b.recv(1 << 20)
        except BlockingIOError:
            break
    assert events_of(poller, 10)[a.fileno()] & EV_WRITE


def test_modify_between_masks(poller: Poller, pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    fd = a.fileno()
    poller.register(fd, EV_READ)
    assert fd not in events_of(poller, 0)  # writable, but only reading is watched
    poller.modify(fd, EV_WRITE)
    assert events_of(poller, 0)[fd] & (EV_READ | EV_WRITE) == EV_WRITE
    b.send(b"x")
    poller.modify(fd, EV_READ)
    assert events_of(poller, 0)[fd] & (EV_READ | EV_WRITE) == EV_READ
    poller.modify(fd, EV_READ | EV_WRITE)
    assert events_of(poller, 0)[fd] & (EV_READ | EV_WRITE) == EV_READ | EV_WRITE


def test_level_triggered_until_consumed(poller: Poller, pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    fd = a.fileno()
    poller.register(fd, EV_READ)
    b.send(b"xy")
    assert events_of(poller, 0)[fd] & EV_READ
    assert events_of(poller, 0)[fd] & EV_READ  # still ready: reported again
    assert a.recv(10) == b"xy"
    assert fd not in events_of(poller, 0)


def test_unregister_ends_the_events(poller: Poller, pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    fd = a.fileno()
    b.send(b"x")
    poller.register(fd, EV_READ | EV_WRITE)
    assert fd in events_of(poller, 0)
    poller.unregister(fd)
    assert fd not in events_of(poller, 0)
    poller.register(fd, EV_READ)  # and it can be registered again
    assert events_of(poller, 0)[fd] & EV_READ


def test_several_fds_in_one_poll(poller: Poller) -> None:
    pairs = [socket.socketpair() for _ in range(3)]
    try:
        for a, _b in pairs:
            poller.register(a.fileno(), EV_READ)
        pairs[0][1].send(b"x")
        pairs[2][1].send(b"x")
        events = events_of(poller, None)
        assert set(events) == {pairs[0][0].fileno(), pairs[2][0].fileno()}
    finally:
        for a, b in pairs:
            a.close()
            b.close()


def test_timeout_zero_returns_what_is_ready_now(
    poller: Poller, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, _b = pair
    poller.register(a.fileno(), EV_READ)
    assert events_of(poller, 0) == {}
    assert events_of(poller, 0.0) == {}


@_NOT_EARLY_ON_THIS_PLATFORM
@pytest.mark.parametrize("timeout", [0.0001, 0.0015, 0.01])
def test_a_timeout_is_never_cut_short(
    poller: Poller, pair: tuple[socket.socket, socket.socket], timeout: float
) -> None:
    # A lower bound only: how late the poll returns depends on the machine's load.
    a, _b = pair
    poller.register(a.fileno(), EV_READ)
    start = time.perf_counter()  # monotonic, and fine-grained on every platform
    assert events_of(poller, timeout) == {}
    assert time.perf_counter() - start >= timeout


@_NOT_EARLY_ON_THIS_PLATFORM
@pytest.mark.parametrize("timeout", [0, 0.005])
def test_poll_with_nothing_registered(poller: Poller, timeout: float) -> None:
    start = time.perf_counter()
    assert events_of(poller, timeout) == {}
    assert time.perf_counter() - start >= timeout


def test_peer_close_reports_read_or_error(poller: Poller, pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    poller.register(a.fileno(), EV_READ)
    b.close()
    assert events_of(poller, None)[a.fileno()] & (EV_READ | EV_ERROR)
    assert a.recv(10) == b""  # EOF: what the woken reader finds


def test_closed_poller_refuses_everything(backend: str, pair: tuple[socket.socket, socket.socket]) -> None:
    made: Poller = _BACKENDS[backend][1]()
    fd = pair[0].fileno()
    made.register(fd, EV_READ)
    made.close()
    made.close()  # twice: harmless
    # "I/O operation on closed epoll object", or on "a closed poller"
    with pytest.raises(ValueError, match="closed"):
        made.poll(0)
    with pytest.raises(ValueError, match="closed"):
        made.register(fd, EV_READ)
    with pytest.raises(ValueError, match="closed"):
        made.modify(fd, EV_WRITE)
    with pytest.raises(ValueError, match="closed"):
        made.unregister(fd)


def test_refuse_closed() -> None:
    with pytest.raises(ValueError, match="closed poller"):
        refuse_closed(1, 2)


# ---------------------------------------------------------------------------------- per backend
# (exception or None when accepted) for: register twice, modify unknown, unregister unknown,
# register closed, modify closed (registered, then closed), unregister closed
_ERRORS: dict[str, dict[str, Any]] = {
    "epolls": {
        "register_twice": FileExistsError,
        "modify_unknown": FileNotFoundError,
        "unregister_unknown": FileNotFoundError,
        "register_closed": errno.EBADF,
        "modify_closed": errno.EBADF,
        "unregister_closed": errno.EBADF,
    },
    "poll": {
        "register_twice": None,
        "modify_unknown": FileNotFoundError,
        "unregister_unknown": KeyError,
        "register_closed": None,
        "modify_closed": None,
        "unregister_closed": None,
    },
    "selects": {
        "register_twice": None,
        "modify_unknown": None,
        "unregister_unknown": None,
        "register_closed": None,
        "modify_closed": None,
        "unregister_closed": None,
    },
    "kqueue": {
        "register_twice": None,
        "modify_unknown": FileNotFoundError,
        "unregister_unknown": None,
        "register_closed": errno.EBADF,
        "modify_closed": errno.EBADF,
        "unregister_closed": errno.EBADF,
    },
}


def _expect(expected: Any, call: Any, *args: int) -> None:
    if expected is None:
        call(*args)
    elif isinstance(expected, int):
        with pytest.raises(OSError, match=rf"\[Errno {expected}\]") as info:
            call(*args)
        assert info.value.errno == expected
    else:
        with pytest.raises(expected):
            call(*args)


def test_register_twice(backend: str, poller: Poller, pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    fd = a.fileno()
    poller.register(fd, EV_WRITE)
    expected = _ERRORS[backend]["register_twice"]
    _expect(expected, poller.register, fd, EV_READ)
    b.send(b"x")
    mask = events_of(poller, 0)[fd] & (EV_READ | EV_WRITE)
    assert mask == (EV_WRITE if expected else EV_READ)  # refused: unchanged; else replaced


def test_modify_and_unregister_an_unknown_fd(
    backend: str, poller: Poller, pair: tuple[socket.socket, socket.socket]
) -> None:
    fd = pair[0].fileno()
    expected = _ERRORS[backend]["modify_unknown"]
    _expect(expected, poller.modify, fd, EV_WRITE)
    if expected is None:  # select: modify registers it
        assert events_of(poller, 0)[fd] & EV_WRITE
        poller.unregister(fd)
    _expect(_ERRORS[backend]["unregister_unknown"], poller.unregister, fd)
    assert events_of(poller, 0) == {}


def test_register_a_closed_fd(backend: str, poller: Poller) -> None:
    fd = _closed_fd()
    expected = _ERRORS[backend]["register_closed"]
    _expect(expected, poller.register, fd, EV_READ)
    if expected is not None:
        assert events_of(poller, 0) == {}
    elif backend == "poll":
        # POLLNVAL at every poll, until unregistered
        assert events_of(poller, 0) == {fd: select.POLLNVAL}
        assert events_of(poller, 0)[fd] & EV_ERROR
        poller.unregister(fd)
        assert events_of(poller, 0) == {}
    else:
        # select: reported once as an error of both directions, then forgotten
        assert events_of(poller, 0) == {fd: EV_ERROR | EV_READ | EV_WRITE}
        assert events_of(poller, 0) == {}


def test_a_registered_fd_closed_behind_the_pollers_back(backend: str, poller: Poller) -> None:
    a, b = socket.socketpair()
    b.close()  # a is readable (EOF) from now on
    r = a.fileno()
    poller.register(r, EV_READ)
    assert events_of(poller, 10)[r] & (EV_READ | EV_ERROR)
    a.close()
    if backend in ("epolls", "kqueue"):
        assert events_of(poller, 0) == {}  # the kernel dropped it with the file
        _expect(_ERRORS[backend]["unregister_closed"], poller.unregister, r)
    elif backend == "poll":
        assert events_of(poller, 0) == {r: select.POLLNVAL}
        _expect(_ERRORS[backend]["modify_closed"], poller.modify, r, EV_WRITE)
        assert events_of(poller, 0) == {r: select.POLLNVAL}
        poller.unregister(r)
        assert events_of(poller, 0) == {}
    else:
        _expect(_ERRORS[backend]["modify_closed"], poller.modify, r, EV_WRITE)
        assert events_of(poller, 0) == {r: EV_ERROR | EV_READ | EV_WRITE}
        assert events_of(poller, 0) == {}  # forgotten
        _expect(_ERRORS[backend]["unregister_closed"], poller.unregister, r)


def test_modify_a_registered_fd_after_it_is_closed(
    backend: str, poller: Poller, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, _b = pair
    fd = a.fileno()
    poller.register(fd, EV_READ)
    a.close()
    _expect(_ERRORS[backend]["modify_closed"], poller.modify, fd, EV_WRITE)
    _expect(_ERRORS[backend]["unregister_closed"], poller.unregister, fd)


def test_select_reports_bad_fds_before_the_ready_ones(pair: tuple[socket.socket, socket.socket]) -> None:
    """select refuses a set with a closed fd: that poll reports the bad fds only; the next, the rest."""
    made = selects.SelectPoller()
    a, b = pair
    b.send(b"x")
    made.register(a.fileno(), EV_READ)
    bad = _closed_fd()
    made.register(bad, EV_WRITE)
    assert events_of(made, 0) == {bad: EV_ERROR | EV_READ | EV_WRITE}
    assert events_of(made, 0) == {a.fileno(): EV_READ}
    made.close()


@pytest.mark.skipif(not epolls.is_available(), reason="epoll is Linux's")
def test_epoll_poller_fileno_is_readable_when_a_watched_fd_is_ready(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    made = epolls.EpollPoller()
    a, b = pair
    made.register(a.fileno(), EV_READ)
    assert made.fileno() >= 0
    assert select.select([made.fileno()], [], [], 0)[0] == []
    b.send(b"x")
    assert select.select([made.fileno()], [], [], 10)[0] == [made.fileno()]
    made.close()


# ---------------------------------------------------------------------------------- the asyncio watcher
@pytest.fixture
def loop() -> Iterator[Any]:
    made = asyncio.SelectorEventLoop()
    yield made
    if not made.is_closed():
        made.close()


def _one_iteration(loop: Any) -> None:
    """Run the loop once: it selects without waiting and runs the callbacks of what is ready."""
    loop.call_soon(loop.stop)
    loop.run_forever()


def test_loop_watcher_calls_back_from_the_loop(loop: Any, pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    fd = a.fileno()
    calls: list[tuple[int, int]] = []
    watcher: FdWatcher = asyncio_hub.LoopWatcher(loop, lambda *args: calls.append(args))
    assert isinstance(watcher, FdWatcher)
    assert not isinstance(watcher, Poller)  # no poll: the loop waits
    watcher.register(fd, EV_READ)
    _one_iteration(loop)
    assert calls == []
    b.send(b"x")
    _one_iteration(loop)
    assert calls == [(fd, EV_READ)]
    calls.clear()
    watcher.modify(fd, EV_WRITE)  # the reader goes, a writer comes
    _one_iteration(loop)
    assert calls == [(fd, EV_WRITE)]
    calls.clear()
    watcher.modify(fd, EV_READ | EV_WRITE)
    _one_iteration(loop)
    assert sorted(calls) == [(fd, EV_READ), (fd, EV_WRITE)]
    calls.clear()
    watcher.modify(fd, EV_READ)
    _one_iteration(loop)
    assert calls == [(fd, EV_READ)]
    calls.clear()
    watcher.unregister(fd)
    watcher.unregister(fd)  # unknown: nothing
    _one_iteration(loop)
    assert calls == []
    assert not loop.remove_reader(fd)
    assert not loop.remove_writer(fd)


def test_loop_watcher_register_replaces_and_modify_registers(
    loop: Any, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, _b = pair
    fd = a.fileno()
    calls: list[tuple[int, int]] = []
    watcher = asyncio_hub.LoopWatcher(loop, lambda *args: calls.append(args))
    watcher.modify(fd, EV_WRITE)  # not registered: registers it
    _one_iteration(loop)
    assert calls == [(fd, EV_WRITE)]
    calls.clear()
    watcher.register(fd, EV_READ)  # registered: the mask is replaced
    _one_iteration(loop)
    assert calls == []
    watcher.close()


def test_loop_watcher_close_withdraws_its_fds_and_leaves_the_loop_open(
    loop: Any, pair: tuple[socket.socket, socket.socket]
) -> None:
    a, b = pair
    fd = a.fileno()
    calls: list[tuple[int, int]] = []
    watcher = asyncio_hub.LoopWatcher(loop, lambda *args: calls.append(args))
    watcher.register(fd, EV_READ | EV_WRITE)
    b.send(b"x")
    watcher.close()
    watcher.close()  # twice: harmless
    _one_iteration(loop)
    assert calls == []
    assert not loop.is_closed()
    for call, args in (
        (watcher.register, (fd, EV_READ)),
        (watcher.modify, (fd, EV_READ)),
        (watcher.unregister, (fd,)),
    ):
        with pytest.raises(ValueError, match="closed poller"):
            call(*args)


def test_loop_watcher_closed_after_its_loop(loop: Any, pair: tuple[socket.socket, socket.socket]) -> None:
    watcher = asyncio_hub.LoopWatcher(loop, lambda *args: None)
    watcher.register(pair[0].fileno(), EV_READ)
    loop.close()
    watcher.close()  # the loop let go of everything: nothing to withdraw
    with pytest.raises(ValueError, match="closed poller"):
        watcher.unregister(pair[0].fileno())
