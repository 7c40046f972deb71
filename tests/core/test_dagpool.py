"""eventlet.dagpool: green threads ordered by their data dependencies (every hub)."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from typing import Any

import pytest

import eventlet
from eventlet.dagpool import Collision, DAGPool, PropagateError

pytestmark = pytest.mark.usefixtures("any_hub")


def settle(turns: int = 10) -> None:
    """Let every green thread run until it blocks."""
    for _ in range(turns):
        eventlet.sleep(0)


def collect(key: str, results: Iterator[tuple[str, Any]], log: list[str]) -> str:
    """A pool function: note each input as it arrives, return a value made of them."""
    got = []
    for name, value in results:
        log.append(f"{key} got {name}")
        got.append(f"{name}={value}")
    return f"{key}({','.join(sorted(got))})"


def test_preload_from_a_dict_or_pairs_is_copied() -> None:
    source = {"a": 1}
    pool = DAGPool(source)
    source["b"] = 2
    assert pool.waitall() == {"a": 1}
    assert DAGPool([("x", 1), ("y", 2)]).wait() == {"x": 1, "y": 2}
    assert DAGPool().waitall() == {}


def test_values_flow_along_the_dependencies_in_order_of_arrival() -> None:
    log: list[str] = []
    pool = DAGPool({"a": 1})
    pool.spawn_many({"b": "a", "c": "a", "d": "bc"}, collect, log)
    results = pool.waitall()
    assert results == {"a": 1, "b": "b(a=1)", "c": "c(a=1)", "d": "d(b=b(a=1),c=c(a=1))"}
    assert log.index("d got b") > log.index("b got a")
    assert log.index("d got c") > log.index("c got a")
    assert pool.running() == 0
    assert pool.waiting() == 0


def test_a_thread_waits_until_its_inputs_are_posted_from_outside() -> None:
    log: list[str] = []
    pool = DAGPool()
    pool.spawn("sum", ["x", "y"], collect, log)
    settle()
    assert pool.running() == 1
    assert pool.running_keys() == ("sum",)
    assert pool.waiting() == 1
    assert pool.waiting_for() == {"sum": {"x", "y"}}
    assert pool.waiting_for("sum") == {"x", "y"}
    pool.post("y", 2)
    assert pool.waiting_for("sum") == {"x"}  # counted as received before the thread even runs
    settle()
    assert log == ["sum got y"]
    pool.post("x", 1)
    assert pool.waiting_for() == {}
    assert pool.waiting() == 0  # it has all it needs, not run yet
    assert pool["sum"] == "sum(x=1,y=2)"
    assert pool.waiting_for("sum") == set()
    assert pool.waiting_for("x") == set()
    with pytest.raises(KeyError):
        pool.waiting_for("never heard of")


def test_wait_each_yields_what_is_there_then_each_post() -> None:
    pool = DAGPool({"a": 1})
    seen: list[tuple[str, int]] = []

    def poster() -> None:
        pool.post("b", 2)
        eventlet.sleep(0)
        pool.post("c", 3)

    eventlet.spawn(poster)
    seen.extend(pool.wait_each("abc"))
    assert seen[0] == ("a", 1)
    assert sorted(seen) == [("a", 1), ("b", 2), ("c", 3)]
    assert list(pool.wait_each(())) == []


def test_collisions() -> None:
    pool = DAGPool({"pre": 0})
    with pytest.raises(Collision, match="pre"):
        pool.spawn("pre", (), collect, [])
    with pytest.raises(Collision):
        pool.post("pre", 1)
    pool.spawn("job", (), lambda key, results: "done")
    with pytest.raises(Collision):
        pool.spawn("job", (), lambda key, results: "again")  # not even started yet
    with pytest.raises(Collision):
        pool.post("job", "from outside")  # only the key's own thread may post for it
    settle()
    assert pool.get("job") == "done"
    with pytest.raises(Collision):
        pool.spawn("job", (), lambda key, results: "after it finished")
    pool.post("pre", 5, replace=True)
    assert pool["pre"] == 5
    assert pool.wait(["pre"]) == {"pre": 5}
    assert str(Collision("k")) == "k"


def test_a_thread_may_post_its_own_value_before_returning() -> None:
    pool = DAGPool()

    def early(key: str, results: Any) -> str:
        pool.post(key, "posted")
        return "returned"  # discarded: the posted value stands

    pool.spawn("k", (), early)
    assert pool["k"] == "posted"


def test_kill_forgets_the_thread() -> None:
    pool = DAGPool()
    with pytest.raises(KeyError):
        pool.kill("a")
    pool.spawn("a", (), lambda key, results: 1)
    pool.kill("a")  # before it started: it never runs
    settle()
    assert pool.get("a") is None
    assert pool.running() == 0
    pool.spawn("a", ["never"], lambda key, results: list(results))
    settle()
    pool.kill("a")  # while it waits for its input
    assert pool.running() == 0
    assert pool.get("a", "none") == "none"
    pool.post("a", "posted after the kill")
    assert pool["a"] == "posted after the kill"


def _raiser(key: str, results: Any, exc: Exception) -> None:
    raise exc


def _consume(key: str, results: Any) -> bool:
    for _pair in results:
        pass
    return True


def test_a_failure_propagates_through_the_dependents() -> None:
    pool = DAGPool()
    pool.spawn("a", (), _raiser, LookupError("bad input"))
    pool.spawn("b", "a", _consume)
    pool.spawn("c", "b", _consume)
    with pytest.raises(PropagateError) as info:
        pool["c"]
    err_c = info.value
    assert err_c.key == "c"
    assert err_c.exc.key == "b"  # type: ignore[attr-defined]
    assert err_c.exc.exc.key == "a"  # type: ignore[attr-defined]
    assert isinstance(err_c.exc.exc.exc, LookupError)  # type: ignore[attr-defined]
    text = str(err_c)
    assert "PropagateError(c)" in text
    assert "PropagateError(a)" in text
    assert "bad input" in text
    assert err_c.args == ("c", err_c.exc)
    copy = pickle.loads(pickle.dumps(PropagateError("k", ValueError("v"))))
    assert copy.key == "k"
    assert str(copy) == "PropagateError(k): ValueError: v"


def test_propagate_error_values_raise_where_values_are_read() -> None:
    pool = DAGPool()
    plain = LookupError("a plain exception is just a value")
    failed = PropagateError("b", LookupError("posted failure"))
    pool.post("a", plain)
    pool.post("b", failed)
    assert pool.get("a") is plain
    assert pool.wait("a") == {"a": plain}
    for call in (lambda: pool.get("b"), pool.items, pool.waitall, lambda: pool.wait("ab")):
        with pytest.raises(PropagateError):
            call()
    with pytest.raises(PropagateError):
        list(pool.wait_each())
    assert dict(pool.wait_each_success()) == {"a": plain}
    assert dict(pool.wait_each_success("b")) == {}
    assert dict(pool.wait_each_exception()) == {"b": failed}
    assert dict(pool.wait_each_exception("a")) == {}
    assert set(pool.keys()) == {"a", "b"}


def test_outside_waiters_wake_once_per_post_and_catch_up() -> None:
    pool = DAGPool()
    got: list[dict[str, int]] = []
    waiter = eventlet.spawn(lambda: got.append(pool.wait("xyz")))
    settle()
    for name, value in (("x", 1), ("y", 2), ("z", 3)):
        pool.post(name, value)
    waiter.wait()
    assert got == [{"x": 1, "y": 2, "z": 3}]
