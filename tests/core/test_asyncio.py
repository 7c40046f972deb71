"""The asyncio hub and eventlet.asyncio: green threads and coroutines in one thread."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from greenlet import GreenletExit

import eventlet
from eventlet import hubs
from eventlet.asyncio import get_event_loop, spawn_for_awaitable
from eventlet.hubs import asyncio as asyncio_hub
from eventlet.hubs.hub import EV_READ, BaseHub, new_serial
from eventlet.testing import virtual_clock


@pytest.fixture
def aio_hub(eventlet_switch_tracker: object) -> Iterator[BaseHub]:
    saved = hubs._registry.hub_class
    old = hubs._hub_if_exists()
    if old is not None:
        from eventlet.testing import dispose_hub

        dispose_hub(old)
    hubs.use_hub("asyncio")
    try:
        hub = hubs.get_hub()
        yield hub
        from eventlet.testing import dispose_hub, leftovers

        assert leftovers(hub) == []
        dispose_hub(hub)
    finally:
        hubs._registry.hub_class = saved


def test_coroutine_result_from_green_code(aio_hub: BaseHub) -> None:
    async def triple(x: int) -> int:
        await asyncio.sleep(0.001)
        return x * 3

    assert spawn_for_awaitable(triple(2)).wait() == 6
    assert get_event_loop() is aio_hub.loop  # type: ignore[attr-defined]


def test_coroutine_exception_from_green_code(aio_hub: BaseHub) -> None:
    async def fail() -> None:
        raise KeyError("coro")

    gt = spawn_for_awaitable(fail())
    with pytest.raises(KeyError, match="coro"):
        gt.wait()


def test_already_done_future(aio_hub: BaseHub) -> None:
    future = aio_hub.loop.create_future()  # type: ignore[attr-defined]
    future.set_result("ready")
    assert spawn_for_awaitable(future).wait() == "ready"


def test_await_a_green_thread(aio_hub: BaseHub) -> None:
    def green(x: int) -> int:
        eventlet.sleep(0.001)
        return x + 1

    async def main() -> list[int]:
        gt = eventlet.spawn(green, 1)
        finished = eventlet.spawn(lambda: 10)
        first = await gt
        await asyncio.sleep(0)
        return [first, await finished]

    assert spawn_for_awaitable(main()).wait() == [2, 10]


def test_await_a_failing_green_thread(aio_hub: BaseHub) -> None:
    def fail() -> None:
        raise ValueError("green")

    async def main() -> str:
        gt = eventlet.spawn(fail)
        gt.link(lambda t: None)
        try:
            await gt
        except ValueError as exc:
            return str(exc)
        return "no error"

    assert spawn_for_awaitable(main()).wait() == "green"


def test_cancelling_the_awaiter_kills_the_green_thread(aio_hub: BaseHub) -> None:
    """As upstream (and as cancelling a task awaiting a task): the awaited green thread is killed."""
    reached: list[str] = []

    def green() -> None:
        eventlet.sleep(10)
        reached.append("end")  # never

    gt = eventlet.spawn(green)

    async def awaiter() -> None:
        await gt

    async def main() -> bool:
        task = asyncio.ensure_future(awaiter())
        await asyncio.sleep(0)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            return True
        return False

    assert spawn_for_awaitable(main()).wait() is True
    with pytest.raises(GreenletExit):
        gt.wait()
    assert reached == []
    assert not gt._observers


def test_wait_for_timing_out_kills_the_green_thread(aio_hub: BaseHub) -> None:
    gt = eventlet.spawn(eventlet.sleep, 10)

    async def main() -> str:
        try:
            await asyncio.wait_for(gt, 0.001)
        except asyncio.TimeoutError:
            return "timed out"
        return "finished"

    assert spawn_for_awaitable(main()).wait() == "timed out"
    with pytest.raises(GreenletExit):
        gt.wait()


def test_shield_keeps_the_green_thread(aio_hub: BaseHub) -> None:
    release: eventlet.Event[str] = eventlet.Event()
    gt = eventlet.spawn(release.wait)

    async def main() -> str:
        try:
            await asyncio.wait_for(asyncio.shield(gt), 0.001)
        except asyncio.TimeoutError:
            return "timed out"
        return "finished"

    assert spawn_for_awaitable(main()).wait() == "timed out"
    release.send("survived")
    assert gt.wait() == "survived"


def test_a_killed_green_thread_cancels_its_awaiter(aio_hub: BaseHub) -> None:
    gt = eventlet.spawn(eventlet.sleep, 10)

    async def main() -> str:
        try:
            await gt
        except asyncio.CancelledError:
            return "cancelled"
        return "not cancelled"

    waiter = spawn_for_awaitable(main())
    eventlet.sleep(0.001)
    gt.kill()
    assert waiter.wait() == "cancelled"


def test_killing_before_it_starts_cancels_the_coroutine(aio_hub: BaseHub) -> None:
    ran: list[bool] = []

    async def never() -> None:
        ran.append(True)

    coro = never()
    gt = spawn_for_awaitable(coro)
    gt.kill()  # before the green thread (or the task) ever ran
    with pytest.raises(GreenletExit):
        gt.wait()
    eventlet.sleep(0.001)
    assert ran == []


def test_green_thread_finishing_after_its_awaiter_was_cancelled(aio_hub: BaseHub) -> None:
    """The awaiter is cancelled, then the thread ends before the awaiter's task runs again."""
    gt = eventlet.spawn(eventlet.sleep, 10)

    async def awaiter() -> None:
        await gt

    async def main() -> str:
        task = asyncio.ensure_future(awaiter())
        await asyncio.sleep(0)
        task.cancel()  # cancels the future the awaiter waits on
        gt.kill()  # from the loop: the thread dies now and its link finds that future done
        try:
            await task
        except asyncio.CancelledError:
            return "cancelled"
        return "not cancelled"

    eventlet.sleep(0)
    assert spawn_for_awaitable(main()).wait() == "cancelled"
    assert gt.dead


def test_killing_the_green_thread_cancels_the_coroutine(aio_hub: BaseHub) -> None:
    cancelled: list[bool] = []

    async def forever() -> None:
        try:
            await asyncio.sleep(100)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    gt = spawn_for_awaitable(forever())
    eventlet.sleep(0.001)
    gt.kill()
    eventlet.sleep(0.001)
    assert cancelled == [True]
    with pytest.raises(GreenletExit):
        gt.wait()


def test_the_hub_loop_is_its_threads_event_loop() -> None:
    """As upstream: ``asyncio.get_event_loop()`` in the hub's thread is the hub's loop, also before
    the hub runs; closing the hub unsets it, unless the program set another loop since, or the
    hub is closed from another thread (whose own loop is not the hub's business)."""
    results: list[Any] = []
    closed_elsewhere = threading.Event()
    handed_over = threading.Event()
    handover: list[BaseHub] = []

    def current_loop() -> Any:
        try:
            return asyncio.get_event_loop_policy().get_event_loop()
        except RuntimeError:
            return None

    def in_thread() -> None:
        first = asyncio_hub.Hub()
        results.append(current_loop() is first.loop)
        first.close()
        results.append(current_loop() is None)
        mine = asyncio.new_event_loop()
        second = asyncio_hub.Hub()
        asyncio.set_event_loop(mine)
        second.close()
        results.append(current_loop() is mine)
        third = asyncio_hub.Hub()
        handover.append(third)
        handed_over.set()
        closed_elsewhere.wait(30)
        results.append(current_loop() is third.loop and third.loop.is_closed())
        asyncio.set_event_loop(None)
        mine.close()

    thread = threading.Thread(target=in_thread)
    thread.start()
    assert handed_over.wait(30)  # an OS-level wait: nothing green runs meanwhile
    handover[0].close()
    closed_elsewhere.set()
    thread.join()
    assert results == [True, True, True, True]


def test_awaiting_needs_the_asyncio_hub() -> None:
    async def nothing() -> None:
        return None

    coro = nothing()
    with virtual_clock(), pytest.raises(RuntimeError, match="asyncio hub"):  # a poller-based hub
        spawn_for_awaitable(coro)
    coro.close()


def test_awaiting_from_another_loop_is_refused(aio_hub: BaseHub) -> None:
    gt = eventlet.spawn(lambda: 1)
    gt.wait()

    async def from_other_loop() -> None:
        await gt

    errors: list[BaseException] = []

    def other_thread() -> None:
        # a thread of its own: its own (asyncio) hub and loop, not gt's
        try:
            asyncio.run(from_other_loop())
        except RuntimeError as exc:
            errors.append(exc)
        hub = hubs._hub_if_exists()
        if hub is not None:
            hub.close()

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert errors
    assert "loop of its thread's hub" in str(errors[0])


def test_sockets_timers_and_threads_under_asyncio(aio_hub: BaseHub) -> None:
    a, b = socket.socketpair()
    a.setblocking(False)
    try:
        serial = new_serial()

        def reader() -> bytes:
            hubs.wait_fd(a.fileno(), EV_READ, serial=serial)
            return a.recv(10)

        gt = eventlet.spawn(reader)
        eventlet.sleep(0)
        b.send(b"aio")
        assert gt.wait() == b"aio"
        # An earlier timer than the one already armed re-arms the loop's wake-up.
        late = aio_hub.schedule_call_global(10, print)
        eventlet.sleep(0.001)
        late.cancel()
        done: list[int] = []
        thread = threading.Thread(target=aio_hub.call_threadsafe, args=(done.append, 1))
        thread.start()
        thread.join()
        eventlet.sleep(0.005)
        assert done == [1]
    finally:
        hubs.notify_close(a.fileno())
        a.close()
        b.close()


def test_call_soon_from_a_coroutine_wakes_green_code(aio_hub: BaseHub) -> None:
    out: list[str] = []

    async def poke() -> None:
        aio_hub.call_soon(out.append, "from coroutine")

    spawn_for_awaitable(poke()).wait()
    eventlet.sleep(0)
    assert out == ["from coroutine"]


def test_blocking_green_call_from_a_coroutine_is_refused(aio_hub: BaseHub) -> None:
    async def bad() -> None:
        eventlet.sleep(0.01)

    with pytest.raises(RuntimeError, match="Cannot sleep in the hub"):
        spawn_for_awaitable(bad()).wait()


def test_abort_from_a_coroutine_and_restart(aio_hub: BaseHub) -> None:
    async def stop() -> None:
        aio_hub.abort()

    spawn_for_awaitable(stop())
    aio_hub.switch()  # returns when the loop stops
    assert not aio_hub.running
    assert eventlet.spawn(lambda: "again").wait() == "again"


def test_backend_is_a_watcher_without_poll_and_idle_frame(aio_hub: BaseHub) -> None:
    # The loop waits for fds itself: the hub's backend registers them with it and is never polled.
    assert isinstance(aio_hub.poller, asyncio_hub.LoopWatcher)
    assert not hasattr(aio_hub.poller, "poll")
    assert not hasattr(aio_hub, "_poll")
    assert asyncio_hub.is_available()
    import sys

    assert not aio_hub.is_idle_frame(sys._getframe())


def test_run_refused_when_running_or_closed(aio_hub: BaseHub) -> None:
    from greenlet import greenlet

    eventlet.sleep(0)
    with pytest.raises(RuntimeError, match="already running"):
        greenlet(aio_hub.run).switch()
    closed = asyncio_hub.Hub()
    closed.close()
    with pytest.raises(RuntimeError, match="closed"):
        greenlet(closed.run).switch()


def test_backend_narrows_and_widens_registrations(aio_hub: BaseHub) -> None:
    a, b = socket.socketpair()
    try:
        fd = a.fileno()
        both = EV_READ | hubs.hub.EV_WRITE
        watcher = aio_hub.poller
        assert isinstance(watcher, asyncio_hub.LoopWatcher)
        aio_hub._register(fd, both)
        aio_hub._modify(fd, EV_READ)
        assert watcher._masks[fd] == EV_READ
        aio_hub._modify(fd, hubs.hub.EV_WRITE)
        assert watcher._masks[fd] == hubs.hub.EV_WRITE
        aio_hub._unregister(fd)
        assert fd not in watcher._masks
    finally:
        a.close()
        b.close()


def test_close_with_a_timer_armed() -> None:
    hub = asyncio_hub.Hub()
    saved = hubs.set_hub(hub)
    try:
        timer = hub.schedule_call_global(10, print)
        eventlet.sleep(0.001)  # the loop arms wake-ups for our sleep and for the timer
        hub.abort(wait=True)  # the loop's end disarms them
        assert hub._wake_handle is None
        hub._reschedule()  # arms it again, with the loop stopped
        assert hub._wake_handle is not None
        hub.close()
        assert hub.closed
        assert hub._wake_handle is None
        assert not timer.pending
    finally:
        hubs.set_hub(saved)


def test_killing_the_loop_while_it_dispatches_an_fd(aio_hub: BaseHub) -> None:
    a, b = socket.socketpair()
    a.setblocking(False)
    try:
        b.send(b"x")
        hubs.trampoline(a, read=True)  # woken from the loop's fd callback, which is suspended now
        aio_hub.greenlet.throw(GreenletExit)
        assert aio_hub.greenlet.dead
        assert not aio_hub.running
        assert eventlet.spawn(lambda: 1).wait() == 1
    finally:
        hubs.notify_close(a.fileno())
        a.close()
        b.close()


def test_killing_the_loop_while_it_runs_a_turn(aio_hub: BaseHub) -> None:
    eventlet.sleep(0)  # woken from the loop's turn callback, which is suspended now
    aio_hub.greenlet.throw(GreenletExit)
    assert aio_hub.greenlet.dead
    assert not aio_hub.running
    assert eventlet.spawn(lambda: 1).wait() == 1


def test_a_coroutine_spawning_green_work_gets_it_run(aio_hub: BaseHub) -> None:
    async def spawner() -> str:
        await asyncio.sleep(0.001)  # from now on the coroutine runs in asyncio's own callbacks
        result: str = await eventlet.spawn(lambda: "green")
        return result

    assert spawn_for_awaitable(spawner()).wait() == "green"


_MONKEY_PATCHED_SCRIPT = r"""
import eventlet
eventlet.monkey_patch()

import asyncio
import socket

from eventlet.asyncio import spawn_for_awaitable
from eventlet.hubs import get_hub

hub = get_hub()
assert hub.name == "asyncio", hub.name

server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen()

def echo():
    conn, _ = server.accept()
    with conn:
        conn.sendall(conn.recv(100).upper())

echoer = eventlet.spawn(echo)
client = socket.create_connection(server.getsockname())
client.sendall(b"ping")
assert client.recv(100) == b"PING"
client.close()
echoer.wait()

async def coro():
    await asyncio.sleep(0.001)
    return await eventlet.spawn(lambda: "from green")

assert spawn_for_awaitable(coro()).wait() == "from green"
print("ok")
"""


def test_asyncio_hub_under_monkey_patching() -> None:
    import os
    import subprocess
    import sys

    env = dict(os.environ, EVENTLET_HUB="asyncio")
    done = subprocess.run(
        [sys.executable, "-c", _MONKEY_PATCHED_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "ok\n"


def test_an_asyncio_hub_made_in_another_thread_leaves_the_thread_joinable() -> None:
    """The hub's fresh ``threading`` (asyncio's, unpatched) takes no sentinel from the OS thread.

    In a new process, so that the fresh copy is made here and not by an earlier test.
    """
    code = textwrap.dedent(
        """
        import threading
        import eventlet
        from eventlet import hubs
        from eventlet.hubs import asyncio as asyncio_hub

        def run():
            hubs.set_hub(asyncio_hub.Hub())
            eventlet.sleep(0)
            hub = hubs.get_hub()
            hubs.set_hub(None)
            hub.close()

        thread = threading.Thread(target=run)
        thread.start()
        thread.join(10)
        print("alive" if thread.is_alive() else "joined")
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout == "joined\n", done.stdout + done.stderr
