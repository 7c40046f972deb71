"""eventlet.coros: what upstream still keeps there (metaphore), every hub."""

from __future__ import annotations

import pytest

import eventlet
from eventlet.coros import metaphore

pytestmark = pytest.mark.usefixtures("any_hub")


def test_wait_returns_at_once_at_zero() -> None:
    count = metaphore()
    count.wait()
    assert count.counter == 0


def test_wait_blocks_until_every_job_is_done() -> None:
    count = metaphore()
    log: list[str] = []

    def job(name: str) -> None:
        log.append(name)
        count.dec()

    count.inc(2)
    eventlet.spawn_n(job, "A")
    eventlet.spawn_n(job, "B")
    count.wait()
    assert log == ["A", "B"]
    assert count.counter == 0


def test_counter_never_goes_below_zero_and_can_be_reused() -> None:
    count = metaphore()
    count.inc(2)
    count.inc()  # from above zero: still blocking
    assert count.counter == 3
    assert not count.event.ready()
    count.dec(5)
    assert count.counter == 0
    count.wait()
    count.dec()  # already at zero: nothing to wake, no error
    count.inc()
    waiter = eventlet.spawn(count.wait)
    eventlet.sleep(0)
    assert not waiter.dead
    count.dec()
    waiter.wait()


def test_only_positive_steps() -> None:
    count = metaphore()
    with pytest.raises(ValueError, match="takes a positive number"):
        count.inc(0)
    with pytest.raises(ValueError, match="takes a positive number"):
        count.dec(-1)
