"""eventlet.Timeout, with_timeout, is_timeout, wrap_is_timeout."""

from __future__ import annotations

import pytest

import eventlet
from eventlet.hubs.hub import BaseHub
from eventlet.timeout import Timeout, is_timeout, with_timeout, wrap_is_timeout

pytestmark = pytest.mark.virtual_clock


def test_timeout_raises_itself() -> None:
    with pytest.raises(Timeout) as info:
        with Timeout(1) as t:
            eventlet.sleep(2)
    assert info.value is t
    assert not t.pending


def test_timeout_not_reached() -> None:
    with Timeout(2) as t:
        assert t.pending
        eventlet.sleep(1)
    assert not t.pending


def test_custom_exception_class_and_instance() -> None:
    with pytest.raises(KeyError):
        with Timeout(1, KeyError):
            eventlet.sleep(2)
    error = ValueError("late")
    with pytest.raises(ValueError, match="late") as info:
        with Timeout(1, error):
            eventlet.sleep(2)
    assert info.value is error


def test_silent_timeout() -> None:
    with Timeout(1, False) as t:
        eventlet.sleep(2)
        pytest.fail("not reached")
    assert not t.pending


def test_silent_timeout_does_not_swallow_others() -> None:
    inner = Timeout(1)
    with pytest.raises(Timeout) as info:
        with Timeout(5, False):
            try:
                eventlet.sleep(2)
            finally:
                inner.cancel()
    assert info.value is inner


def test_none_never_fires() -> None:
    with Timeout(None) as t:
        eventlet.sleep(10)
    assert not t.pending
    assert str(t) == ""


def test_start_again_and_cancel() -> None:
    t = Timeout(1)
    t.start()  # rescheduled
    assert t.pending
    t.cancel()
    t.cancel()
    assert not t.pending
    with t:  # __enter__ restarts a cancelled timeout
        assert t.pending
    assert not t.pending


def test_nested_timeouts_outer_first() -> None:
    with pytest.raises(Timeout) as info:
        with Timeout(1) as outer, Timeout(5):
            eventlet.sleep(10)
    assert info.value is outer


def test_timeout_in_a_finished_thread_is_harmless(
    virtual_clock: BaseHub, caplog: pytest.LogCaptureFixture
) -> None:
    def leave_pending() -> Timeout:
        return Timeout(1)  # never cancelled; its thread ends first

    t = eventlet.spawn(leave_pending).wait()
    eventlet.sleep(2)
    assert not t.pending
    assert not [r for r in caplog.records if r.name == "eventlet.hub"]


def test_str_and_repr() -> None:
    cases = [
        (Timeout(1), "1 second"),
        (Timeout(2), "2 seconds"),
        (Timeout(2, False), "2 seconds (silent)"),
        (Timeout(2, True), "2 seconds"),
        (Timeout(2, KeyError("k")), "2 seconds ('k')"),
    ]
    for t, text in cases:
        assert str(t) == text
        t.cancel()
    t = Timeout(3, KeyError)
    assert "seconds=3" in repr(t)
    assert "pending" in repr(t)
    assert "KeyError" in repr(t)
    t.cancel()
    assert "pending" not in repr(Timeout(None))
    assert hash(t) == id(t)
    assert t == t
    assert t != Timeout(None)


def test_is_base_exception() -> None:
    assert issubclass(Timeout, BaseException)
    assert not issubclass(Timeout, Exception)


def test_with_timeout() -> None:
    assert with_timeout(1, lambda x: x + 1, 1) == 2
    with pytest.raises(Timeout):
        with_timeout(1, eventlet.sleep, 2)
    assert with_timeout(1, eventlet.sleep, 2, timeout_value="late") == "late"


def test_with_timeout_lets_another_timeout_through() -> None:
    other = Timeout(1)

    def slow() -> None:
        eventlet.sleep(2)

    with pytest.raises(Timeout) as info:
        with_timeout(5, slow, timeout_value="x")
    assert info.value is other


def test_is_timeout_and_wrap() -> None:
    assert is_timeout(Timeout(None))
    assert is_timeout(TimeoutError())
    assert is_timeout(TimeoutError())
    assert not is_timeout(ValueError())

    class Slow(Exception):
        pass

    assert wrap_is_timeout(Slow) is Slow
    assert is_timeout(Slow())

    def make() -> ValueError:
        return ValueError("x")

    wrapped = wrap_is_timeout(make)
    assert is_timeout(wrapped())
    assert not is_timeout(make())
