"""eventlet.processes.ProcessPool: real worker processes, many green callers, failures."""

from __future__ import annotations

import os
import pickle
import time
from pathlib import Path
from typing import Any

import pytest

import eventlet
from eventlet.processes import (
    AsyncResult,
    PoolTerminated,
    ProcessPool,
    ProcessPoolError,
    RemoteTraceback,
    WorkerDied,
)
from eventlet.processes._results import describe_exit

from . import pool_tasks as tasks
from .conftest import zombie_children


def test_apply_map_and_friends(io_mode: str, no_leaks: None) -> None:
    with ProcessPool(2) as pool:
        assert pool.apply(tasks.add, (2, 3)) == 5
        assert pool.apply(tasks.add, kwds={"a": 1, "b": 1}) == 2
        assert pool.map(tasks.square, range(10)) == [x * x for x in range(10)]
        assert pool.map(tasks.square, range(7), chunksize=3) == [x * x for x in range(7)]
        assert pool.map(tasks.square, []) == []
        assert pool.starmap(tasks.add, [(1, 2), (3, 4)]) == [3, 7]
        assert list(pool.imap(tasks.square, range(5))) == [0, 1, 4, 9, 16]
        assert sorted(pool.imap_unordered(tasks.square, range(5), chunksize=2)) == [0, 1, 4, 9, 16]
        assert pool.apply(tasks.talk) == "fine"
        assert len(set(pool.pids)) == 2
        assert "running" in repr(pool)
    assert "closed" in repr(pool)
    assert not zombie_children()


def test_async_results(no_leaks: None, tmp_path: Path) -> None:
    seen: list[object] = []
    go = tmp_path / "go"
    with ProcessPool(1) as pool:
        # the task runs until the test creates ``go``: "not ready yet" cannot race its end
        slow = pool.apply_async(tasks.wait_for_path, (str(go),), callback=seen.append)
        assert not slow.ready()
        assert "pending" in repr(slow)
        with pytest.raises(ValueError, match="not ready"):
            slow.successful()
        with pytest.raises(TimeoutError):
            slow.get(timeout=0.01)
        assert not slow.wait(0.01)
        go.touch()
        assert slow.get(timeout=10) == str(go)
        assert slow.successful()
        assert "ok" in repr(slow)
        failing = pool.apply_async(tasks.fail, ("no",), error_callback=seen.append)
        assert failing.wait()
        assert not failing.successful()
        assert "failed" in repr(failing)
    assert seen[0] == str(go)
    assert isinstance(seen[1], ValueError)


def test_a_failing_callback_is_logged_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    def bad_callback(_value: object) -> None:
        raise RuntimeError("callback bug")

    with ProcessPool(1) as pool:
        assert pool.apply_async(tasks.add, (1, 1), callback=bad_callback).get() == 2
        assert pool.apply(tasks.add, (1, 2)) == 3
    assert "callback" in caplog.text


def test_exceptions_come_back_with_the_remote_traceback() -> None:
    with ProcessPool(1) as pool:
        with pytest.raises(ValueError, match="boom") as info:
            pool.apply(tasks.fail, ("boom",))
        cause = info.value.__cause__
        assert isinstance(cause, RemoteTraceback)
        assert "pool_tasks.py" in str(cause)
        assert "raise ValueError(message)" in str(cause)
        with pytest.raises(RuntimeError, match="Picky: 1-2"):
            pool.apply(tasks.raise_picky)
        with pytest.raises(pickle.PicklingError, match="result could not be pickled"):
            pool.apply(tasks.unpicklable_result)
        with pytest.raises(ProcessPoolError, match="could not be unpickled"):
            pool.apply(tasks.bad_reply)
        with pytest.raises(TypeError, match="missing"):
            pool.apply(tasks.add, ())


def test_unpicklable_arguments_fail_at_submission() -> None:
    with ProcessPool(1) as pool:
        with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
            pool.apply_async(tasks.add, (lambda: 1, 2))
        assert pool.apply(tasks.add, (1, 2)) == 3


def test_a_worker_that_dies_fails_its_task_and_is_replaced(io_mode: str, no_leaks: None) -> None:
    with ProcessPool(2, prefetch=3) as pool:
        before = set(pool.pids)
        queued = [pool.apply_async(tasks.nap, (0.05,)) for _ in range(6)]
        with pytest.raises(WorkerDied, match="SIGKILL") as info:
            pool.apply(tasks.die)
        assert info.value.pid in before
        with pytest.raises(WorkerDied, match="exited with status 3"):
            pool.apply(tasks.exit_now, (3,))
        assert [result.get(timeout=10) for result in queued] == [0.05] * 6
        assert pool.apply(tasks.add, (1, 2)) == 3
        assert set(pool.starmap(tasks.pid, [()] * 40, chunksize=1)) - before


def test_killed_from_outside_while_idle(no_leaks: None) -> None:
    with ProcessPool(1) as pool:
        victim = pool.pids[0]
        assert pool.apply(tasks.pid) == victim
        os.kill(victim, 9)
        # Until the pool has seen the death (however long that takes on a loaded machine): a task
        # sent to the dead worker before that would fail with WorkerDied, which is not the point.
        deadline = time.monotonic() + 30
        while victim in pool.pids:
            assert time.monotonic() < deadline, "the pool never noticed its worker's death"
            eventlet.sleep(0.01)
        assert pool.apply(tasks.pid) != victim


def test_max_tasks_per_child_replaces_workers(io_mode: str, no_leaks: None) -> None:
    with ProcessPool(1, max_tasks_per_child=2) as pool:
        pids = [pool.apply(tasks.pid) for _ in range(6)]
        batch = pool.map(tasks.square, range(10), chunksize=1)
    assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4] == pids[5]
    assert batch == [x * x for x in range(10)]


def test_many_green_threads_share_the_pool(no_leaks: None) -> None:
    with ProcessPool(2) as pool:

        def caller(index: int) -> list[int]:
            return [pool.apply(tasks.add, (index, step)) for step in range(20)]

        threads = [eventlet.spawn(caller, index) for index in range(50)]
        results = [thread.wait() for thread in threads]
    assert results == [[index + step for step in range(20)] for index in range(50)]


def test_close_finishes_queued_work_then_join() -> None:
    pool = ProcessPool(2)
    results = [pool.apply_async(tasks.nap, (0.02,)) for _ in range(8)]
    pool.close()
    pool.close()
    with pytest.raises(ValueError, match="closed"):
        pool.apply_async(tasks.add, (1, 2))
    assert pool.join(timeout=30)
    assert [result.get() for result in results] == [0.02] * 8
    assert pool.pids == []


def test_join_needs_close_first() -> None:
    pool = ProcessPool(1)
    with pytest.raises(ValueError, match="close"):
        pool.join()
    pool.terminate()
    pool.join()


def test_terminate_fails_unfinished_tasks(io_mode: str, no_leaks: None) -> None:
    pool = ProcessPool(1, prefetch=1)
    running = pool.apply_async(tasks.nap, (10,))
    queued = pool.apply_async(tasks.add, (1, 2))
    eventlet.sleep(0.1)
    pool.terminate()
    pool.terminate()
    assert pool.join(timeout=10)
    with pytest.raises(PoolTerminated):
        running.get()
    with pytest.raises(PoolTerminated):
        queued.get()


def test_an_exception_in_the_block_terminates() -> None:
    with pytest.raises(KeyError), ProcessPool(1) as pool:
        result = pool.apply_async(tasks.nap, (10,))
        raise KeyError("leave")
    with pytest.raises(PoolTerminated):
        result.get()


def test_initializer_runs_in_every_worker() -> None:
    with ProcessPool(2, initializer=tasks.remember, initargs=("key", 42)) as pool:
        assert pool.map(tasks.recall, ["key"] * 4, chunksize=1) == [42] * 4


def test_a_failing_initializer_breaks_the_pool(caplog: pytest.LogCaptureFixture) -> None:
    pool = ProcessPool(2, initializer=tasks.fail, initargs=("bad init",))
    result = pool.apply_async(tasks.add, (1, 2))
    with pytest.raises(ProcessPoolError, match="cannot start") as info:
        result.get(timeout=30)
    assert isinstance(info.value.__cause__, ValueError)
    with pytest.raises(ProcessPoolError, match="cannot start"):
        pool.apply_async(tasks.add, (1, 2))
    pool.close()
    assert pool.join(timeout=30)
    assert "initializer" in caplog.text


def test_a_worker_that_cannot_start_breaks_the_pool() -> None:
    pool = ProcessPool(1, python="/bin/false")
    result = pool.apply_async(tasks.add, (1, 2))
    with pytest.raises(ProcessPoolError, match="cannot start") as info:
        result.get(timeout=30)
    assert "exited with status 1 before it started" in str(info.value.__cause__)
    pool.close()
    assert pool.join(timeout=30)


def test_a_worker_that_keeps_living_after_closing_its_pipe_is_killed(tmp_path: Path) -> None:
    fake_python = tmp_path / "python"
    fake_python.write_text("#!/bin/sh\nexec 1>&-\nexec sleep 10\n")
    fake_python.chmod(0o755)
    pool = ProcessPool(1, python=str(fake_python), exit_grace=0.1)
    result = pool.apply_async(tasks.add, (1, 2))
    with pytest.raises(ProcessPoolError, match="cannot start") as info:
        result.get(timeout=30)
    assert "SIGKILL before it started" in str(info.value.__cause__)
    pool.close()
    assert pool.join(timeout=30)


def test_argument_validation() -> None:
    with pytest.raises(ValueError, match="size"):
        ProcessPool(0)
    with pytest.raises(ValueError, match="max_tasks_per_child"):
        ProcessPool(1, max_tasks_per_child=0)
    with pytest.raises(ValueError, match="prefetch"):
        ProcessPool(1, prefetch=0)
    with pytest.raises(ValueError, match="io_mode"):
        ProcessPool(1, io_mode="carrier-pigeon")


def test_default_size_is_the_cpu_count() -> None:
    pool = ProcessPool()
    assert pool.size == (os.cpu_count() or 1)
    pool.terminate()
    pool.join()


def test_describe_exit() -> None:
    assert describe_exit(None) == "closed its pipe"
    assert describe_exit(2) == "exited with status 2"
    assert describe_exit(-9) == "was killed by SIGKILL"
    assert describe_exit(-200) == "was killed by signal 200"


def test_async_result_used_directly() -> None:
    result: AsyncResult[Any] = AsyncResult()
    result._resolve(True, 5)
    assert result.get() == 5


def test_a_worker_whose_pipe_fails_is_retired_and_replaced(no_leaks: None) -> None:
    with ProcessPool(1) as pool:
        original_pid = pool.apply(tasks.pid)
        worker = pool._workers[0]

        def broken(*_args: object, **_kwargs: object) -> bytes:
            raise OSError(5, "Input/output error")

        # the reader is waiting for a header: it reads this task's header, then fails
        worker.popen.stdout.read = broken
        with pytest.raises(WorkerDied, match="exited with status 0"):
            pool.apply(tasks.add, (1, 2))
        assert pool.apply(tasks.pid) != original_pid


def test_a_big_task_stuck_behind_a_dying_one_is_rerun(io_mode: str, no_leaks: None) -> None:
    big = b"x" * (2 << 20)
    with ProcessPool(1, prefetch=2) as pool:
        dying = pool.apply_async(tasks.die)
        stuck = pool.apply_async(tasks.concat, (big, b"!"))  # the writer blocks on the full pipe
        with pytest.raises(WorkerDied):
            dying.get(timeout=10)
        assert stuck.get(timeout=10) == big + b"!"


def test_a_pool_whose_interpreter_is_missing() -> None:
    with pytest.raises(FileNotFoundError):
        ProcessPool(2, python="/nonexistent/python")


def test_a_worker_that_cannot_be_replaced_breaks_the_pool(no_leaks: None) -> None:
    pool = ProcessPool(1)
    pool.python = "/nonexistent/python"
    with pytest.raises(WorkerDied):
        pool.apply(tasks.die)
    with pytest.raises(ProcessPoolError, match="cannot start") as info:
        pool.apply(tasks.add, (1, 2))
    assert "could not be started" in str(info.value.__cause__)
    pool.close()
    assert pool.join(timeout=10)


def test_terminate_while_a_replacement_starts(no_leaks: None) -> None:
    pool = ProcessPool(1)
    with pytest.raises(WorkerDied):
        pool.apply(tasks.die)  # the caller wakes while the replacement is being started
    pool.terminate()
    assert pool.join(timeout=10)
    assert pool.pids == []
