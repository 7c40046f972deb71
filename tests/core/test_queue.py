"""eventlet.queue: LightQueue, Queue, PriorityQueue, LifoQueue."""

from __future__ import annotations

import queue as stdlib_queue
import time
from typing import Any

import pytest
from greenlet import GreenletExit

import eventlet
from eventlet import greenthread
from eventlet.hubs import get_hub
from eventlet.queue import Empty, Full, LifoQueue, LightQueue, PriorityQueue, Queue

pytestmark = pytest.mark.usefixtures("any_hub")


def settle(turns: int = 3) -> None:
    """Let the other green threads run until they block."""
    for _ in range(turns):
        eventlet.sleep(0)


def test_full_and_empty_are_the_stdlib_classes() -> None:
    assert Full is stdlib_queue.Full
    assert Empty is stdlib_queue.Empty


@pytest.mark.parametrize("cls", [LightQueue, Queue])
def test_unbounded_fifo(cls: type[LightQueue[Any]]) -> None:
    q = cls()
    assert q.maxsize is None
    assert q.empty()
    assert not q.full()
    for i in range(5):
        q.put(i)
    assert q.qsize() == 5
    assert not q.empty()
    assert not q.full()
    assert [q.get() for _ in range(5)] == list(range(5))
    assert cls(-3).maxsize is None


def test_nowait_variants() -> None:
    q: Queue[Any] = Queue(1)
    q.put_nowait("a")
    with pytest.raises(Full):
        q.put_nowait("b")
    assert q.full()
    assert q.get_nowait() == "a"
    with pytest.raises(Empty):
        q.get_nowait()
    with pytest.raises(Empty):
        q.get(timeout=0)
    q.put(1)
    with pytest.raises(Full):
        q.put(2, timeout=0)
    with pytest.raises(Full):
        q.put(2, block=False)


def test_get_timeout_raises_empty_and_withdraws() -> None:
    q: LightQueue[Any] = LightQueue()
    with pytest.raises(Empty):
        q.get(timeout=0.01)
    assert q.getting() == 0
    q.put(1)
    assert q.qsize() == 1


def test_put_timeout_raises_full_and_withdraws() -> None:
    q: LightQueue[Any] = LightQueue(1)
    q.put("kept")
    with pytest.raises(Full):
        q.put("dropped", timeout=0.01)
    assert q.putting() == 0
    assert q.get() == "kept"
    assert q.empty()


def test_put_hands_item_to_waiting_getter() -> None:
    q: LightQueue[Any] = LightQueue()
    getter = eventlet.spawn(q.get)
    settle()
    assert q.getting() == 1
    q.put("x")
    assert q.qsize() == 0  # never entered the container
    assert getter.wait() == "x"


def test_getters_served_fifo() -> None:
    q: Queue[Any] = Queue()
    got: list[tuple[int, int]] = []

    def getter(i: int) -> None:
        got.append((i, q.get()))

    threads = [eventlet.spawn(getter, i) for i in range(5)]
    settle()
    for item in range(5):
        q.put(item)
    for thread in threads:
        thread.wait()
    assert got == [(i, i) for i in range(5)]


def test_bounded_put_blocks_until_get_and_keeps_order() -> None:
    q: Queue[Any] = Queue(2)
    q.put(0)
    q.put(1)
    putters = [eventlet.spawn(q.put, i) for i in (2, 3)]
    settle()
    assert q.putting() == 2
    assert q.full()
    assert q.get() == 0  # admits putter of 2 at once
    assert q.qsize() == 2
    assert q.putting() == 1
    assert [q.get() for _ in range(3)] == [1, 2, 3]
    for thread in putters:
        assert thread.wait() is None
    assert q.unfinished_tasks == 4


def test_put_timeout_not_reached() -> None:
    q: LightQueue[Any] = LightQueue(1)
    q.put(1)
    get_hub().schedule_call_global(0.005, q.get)
    q.put(2, timeout=5)
    assert q.get() == 2


def test_channel_put_waits_for_getter() -> None:
    q: LightQueue[Any] = LightQueue(0)
    assert q.full()
    with pytest.raises(Full):
        q.put_nowait(1)
    putter = eventlet.spawn(q.put, "item")
    settle()
    assert not putter.dead
    assert q.putting() == 1
    assert q.qsize() == 0
    assert q.get() == "item"
    assert putter.wait() is None


def test_channel_put_nowait_with_waiting_getter() -> None:
    q: LightQueue[Any] = LightQueue(0)
    getter = eventlet.spawn(q.get)
    settle()
    q.put_nowait("direct")
    assert getter.wait() == "direct"


def test_channel_get_nowait_with_waiting_putter() -> None:
    q: Queue[Any] = Queue(0)
    putter = eventlet.spawn(q.put, 5)
    settle()
    assert q.get_nowait() == 5
    putter.wait()
    assert q.unfinished_tasks == 1


def test_channel_put_returns_after_the_getter_received_the_item() -> None:
    """A channel's put returns once the item was received: the getter runs first (as upstream)."""
    channel: Queue[Any] = Queue(0)
    events: list[str] = []

    def getter() -> None:
        events.append(channel.get())
        events.append(channel.get())

    eventlet.spawn(getter)
    events.append("sending")
    channel.put("hello")
    events.append("sent hello")
    channel.put("world")
    events.append("sent world")
    assert events == ["sending", "hello", "sent hello", "world", "sent world"]


def test_resize_to_and_from_zero_switches_the_channel_hand_off() -> None:
    q: LightQueue[Any] = LightQueue(5)
    q.resize(0)
    events: list[str] = []
    eventlet.spawn(lambda: events.append(q.get()))
    settle()
    q.put("now a channel")
    events.append("put returned")
    assert events == ["now a channel", "put returned"]
    q.resize(None)
    eventlet.spawn(lambda: events.append(q.get()))
    settle()
    q.put("unbounded again")
    events.append("returned at once")
    settle()
    assert events[2:] == ["returned at once", "unbounded again"]


def test_channel_put_from_the_hub_to_a_waiting_getter_does_not_yield() -> None:
    channel: LightQueue[Any] = LightQueue(0)
    getter = eventlet.spawn(channel.get)
    settle()
    get_hub().call_soon(channel.put, "from a callback")
    assert getter.wait() == "from a callback"


def test_channel_get_nowait_from_the_hub_finishes_the_putter_at_once() -> None:
    channel: Queue[Any] = Queue(0)
    putter = eventlet.spawn(channel.put, 5)
    settle()
    result: list[Any] = []

    def in_hub() -> None:
        result.append(channel.get_nowait())
        result.append(putter.dead)  # the putter ran to its end inside get_nowait

    get_hub().schedule_call_global(0, in_hub)
    eventlet.sleep(0.001)
    assert result == [5, True]


def test_channel_put_timeout() -> None:
    q: LightQueue[Any] = LightQueue(0)
    with pytest.raises(Full):
        q.put(1, timeout=0.01)
    assert q.putting() == 0


def test_getter_killed_after_hand_over_passes_item_to_next_getter() -> None:
    q: LightQueue[Any] = LightQueue()
    first = eventlet.spawn(q.get)
    second = eventlet.spawn(q.get)
    settle()
    q.put("precious")  # handed to first, which has not resumed
    greenthread.kill(first, GreenletExit)
    assert second.wait() == "precious"
    assert q.empty()


@pytest.mark.parametrize(
    ("cls", "expected"),
    [(LightQueue, ["handed", "later"]), (LifoQueue, ["handed", "later"]), (PriorityQueue, [1, 2])],
)
def test_getter_killed_after_hand_over_puts_item_back(
    cls: type[LightQueue[Any]], expected: list[Any]
) -> None:
    q = cls()
    getter = eventlet.spawn(q.get)
    settle()
    first, second = (1, 2) if cls is PriorityQueue else ("handed", "later")
    q.put(first)
    q.put(second)  # no getter waits any more: queued
    getter.kill()
    assert [q.get(), q.get()] == expected


def test_getter_killed_while_waiting_withdraws() -> None:
    q: LightQueue[Any] = LightQueue()
    getter = eventlet.spawn(q.get)
    settle()
    getter.kill()
    assert q.getting() == 0
    q.put(1)
    assert q.qsize() == 1


def test_getter_handed_item_wins_over_timeout() -> None:
    q: LightQueue[Any] = LightQueue()
    get_hub().schedule_call_global(0.005, q.put, "won")
    getter = eventlet.spawn(q.get, timeout=0.01)
    settle(1)
    time.sleep(0.02)  # both timers due at the next turn; the put fires first
    assert getter.wait() == "won"
    assert q.getting() == 0


def test_putter_killed_while_waiting_withdraws_item() -> None:
    q: Queue[Any] = Queue(1)
    q.put("a")
    putter = eventlet.spawn(q.put, "b")
    settle()
    putter.kill()
    assert q.putting() == 0
    assert q.get() == "a"
    assert q.empty()
    assert q.unfinished_tasks == 1


def test_putter_killed_after_acceptance_keeps_item() -> None:
    q: Queue[Any] = Queue(1)
    q.put("a")
    putter = eventlet.spawn(q.put, "b")
    settle()
    assert q.get() == "a"  # accepts "b" into the queue
    greenthread.kill(putter, GreenletExit)
    assert q.get() == "b"


@pytest.mark.parametrize("own_timeout", [None, 5])
def test_enclosing_timeout_while_getting(own_timeout: float | None) -> None:
    q: LightQueue[Any] = LightQueue()
    with pytest.raises(eventlet.Timeout), eventlet.Timeout(0.01):
        q.get(timeout=own_timeout)
    assert q.getting() == 0


def test_resize() -> None:
    q: LightQueue[Any] = LightQueue(1)
    q.put(0)
    putters = [eventlet.spawn(q.put, i) for i in (1, 2, 3)]
    settle()
    q.resize(3)
    assert q.qsize() == 3
    assert q.putting() == 1
    q.resize(None)
    assert q.qsize() == 4
    assert q.putting() == 0
    assert q.maxsize is None
    for thread in putters:
        thread.wait()
    q.resize(1)  # shrinking keeps what is there
    assert q.qsize() == 4
    assert q.full()
    q.resize(-1)
    assert q.maxsize is None


def test_get_from_shrunk_queue_admits_no_putter_until_room() -> None:
    q: LightQueue[Any] = LightQueue(2)
    q.put(0)
    q.put(1)
    q.resize(1)
    putter = eventlet.spawn(q.put, 2)
    settle()
    assert q.get() == 0  # still full (1 >= 1): the putter keeps waiting
    assert q.putting() == 1
    assert q.get() == 1  # now there is room
    assert putter.wait() is None
    assert q.get() == 2


def test_get_on_empty_shrunk_queue_takes_from_putter() -> None:
    q: LightQueue[Any] = LightQueue(1)
    q.put(0)
    putter = eventlet.spawn(q.put, 1)
    settle()
    q.resize(0)
    assert q.get() == 0
    assert q.get() == 1  # straight from the blocked putter
    putter.wait()


def test_put_from_hub_callback_wakes_getter() -> None:
    q: LightQueue[Any] = LightQueue()
    get_hub().call_soon(q.put, "from hub")
    assert q.get() == "from hub"


def test_producer_consumer_bounded_interleaving() -> None:
    q: Queue[Any] = Queue(2)
    received: list[int] = []

    def producer() -> None:
        for i in range(100):
            q.put(i)
        q.put(None)

    def consumer() -> None:
        while (item := q.get()) is not None:
            received.append(item)
            q.task_done()
        q.task_done()

    threads = [eventlet.spawn(consumer), eventlet.spawn(producer)]
    q.join()
    for thread in threads:
        thread.wait()
    assert received == list(range(100))
    assert q.unfinished_tasks == 0


def test_many_producers_and_consumers_lose_nothing() -> None:
    q: LightQueue[Any] = LightQueue(3)
    out: list[int] = []

    def producer(base: int) -> None:
        for i in range(20):
            q.put(base + i)
            if i % 7 == 0:
                eventlet.sleep(0)

    def consumer() -> None:
        out.extend(q.get() for _ in range(20))

    threads = [eventlet.spawn(producer, b * 100) for b in range(5)]
    threads += [eventlet.spawn(consumer) for _ in range(5)]
    for thread in threads:
        thread.wait()
    assert sorted(out) == sorted(b * 100 + i for b in range(5) for i in range(20))


def test_task_done_and_join() -> None:
    q: Queue[Any] = Queue()
    assert q.join() is True  # nothing to wait for
    q.put(1)
    q.put(2)
    joiners = [eventlet.spawn(q.join) for _ in range(2)]
    settle()
    q.get()
    q.task_done()
    settle()
    assert not any(j.dead for j in joiners)
    q.get()
    q.task_done()
    assert [j.wait() for j in joiners] == [True, True]
    with pytest.raises(ValueError, match="called too many times"):
        q.task_done()


def test_join_timeout_and_kill() -> None:
    q: Queue[Any] = Queue()
    q.put(1)
    assert q.join(timeout=0.01) is False
    assert not q._joiners
    joiner = eventlet.spawn(q.join)
    settle()
    joiner.kill()
    assert not q._joiners
    q.task_done()


def test_priority_queue_order() -> None:
    q: PriorityQueue[Any] = PriorityQueue()
    for item in [(3, "c"), (1, "a"), (2, "b")]:
        q.put(item)
    assert [q.get()[1] for _ in range(3)] == ["a", "b", "c"]


def test_lifo_queue_order() -> None:
    q: LifoQueue[Any] = LifoQueue()
    for item in range(3):
        q.put(item)
    assert [q.get() for _ in range(3)] == [2, 1, 0]


def test_subclass_hooks_are_used() -> None:
    class Reversed(LightQueue[Any]):
        def _put(self, item: Any) -> None:
            self.queue.appendleft(item)

        def _get(self) -> Any:
            return self.queue.pop()

    q = Reversed()
    q.put(1)
    q.put(2)
    assert [q.get(), q.get()] == [1, 2]

    class Delegating(LightQueue[Any]):
        def _put(self, item: Any) -> None:
            super()._put(("wrapped", item))

        def _get(self) -> Any:
            return super()._get()[1]

    d = Delegating()
    d.put(1)
    assert d.queue[0] == ("wrapped", 1)
    assert d.get() == 1


def test_repr_and_str() -> None:
    q: Queue[Any] = Queue(1)
    assert "maxsize=1" in repr(q)
    assert str(q).startswith("<Queue")
    q.put("x")
    waiters = [eventlet.spawn(q.put, "y")]
    settle()
    text = repr(q)
    assert "queue=" in text
    assert "putters[1]" in text
    assert "tasks=1" in text
    q.get()
    waiters[0].wait()
    q2: LightQueue[Any] = LightQueue()
    getter = eventlet.spawn(q2.get)
    settle()
    assert "getters[1]" in str(q2)
    getter.kill()
