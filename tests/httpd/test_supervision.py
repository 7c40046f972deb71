"""The supervisor's bookkeeping and the worker-side helpers, in process (the real processes are
exercised by test_cli.py, test_cli_ops.py and test_drain.py)."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import types
from typing import Any

import pytest

import eventlet
from eventlet import tpool
from eventlet.httpd import _cli, _worker, _workers
from eventlet.hubs import get_hub, trampoline
from tests.httpd._live import logged


class FakeProc:
    """Enough of ``subprocess.Popen`` for the supervisor."""

    def __init__(self, pid: int, status: int | None = None, stubborn: bool = False) -> None:
        self.pid = pid
        self.status = status
        self.stubborn = stubborn
        self.signals: list[int] = []
        self.killed = False

    def poll(self) -> int | None:
        return self.status

    def send_signal(self, signum: int) -> None:
        self.signals.append(signum)

    def kill(self) -> None:
        self.killed = True

    def wait(self, timeout: float | None = None) -> int:
        if self.stubborn and not self.killed:
            raise subprocess.TimeoutExpired("worker", timeout or 0)
        return 0


class Harness:
    """A supervisor whose spawn() makes fake workers with pids 100, 101, ..."""

    def __init__(self, count: int = 1, timeout: float = 0.0) -> None:
        self.listener = socket.socket()
        self.sup = _workers.Supervisor(self.listener, [], count, 0.0, timeout)
        self.next_pid = 100
        self.sup.spawn = self.spawn  # type: ignore[method-assign]

    def spawn(self, predecessor: Any = None) -> _workers.WorkerProcess:
        proc = FakeProc(self.next_pid)
        self.next_pid += 1
        worker = _workers.WorkerProcess(proc)  # type: ignore[arg-type]
        if predecessor is not None:
            worker.predecessor = predecessor
            predecessor.successor = worker
        self.sup.workers[proc.pid] = worker
        return worker

    def report(self, *lines: bytes) -> None:
        os.write(self.sup.report_w, b"".join(line + b"\n" for line in lines))
        self.sup._read_reports()

    def close(self) -> None:
        os.close(self.sup.report_r)
        os.close(self.sup.report_w)
        self.listener.close()


@pytest.fixture
def harness() -> Any:
    made: list[Harness] = []

    def make(count: int = 1, timeout: float = 0.0) -> Harness:
        made.append(Harness(count, timeout))
        return made[-1]

    yield make
    for h in made:
        h.close()


def test_successor_takes_over_only_once_ready(harness: Any) -> None:
    h = harness(count=2)
    first, second = h.spawn(), h.spawn()
    h.report(b"R %d" % first.pid, b"R %d" % second.pid)
    assert first.ready
    assert second.ready
    h.sup.replace()
    successors = [w for w in h.sup.workers.values() if w.predecessor is not None]
    assert len(successors) == 2
    assert h.sup.serving() == 2
    assert not first.proc.signals  # still serving until its successor is ready
    h.report(b"R %d" % successors[0].pid)
    assert successors[0].predecessor is None
    old = next(w for w in (first, second) if w.successor is None and w.pid not in h.sup.workers)
    assert old.proc.signals == [signal.SIGTERM]
    assert old.pid in h.sup.retiring
    h.sup.replace()  # a replacement already under way is not doubled
    assert h.sup.serving() == 2
    old.proc.status = 0
    assert h.sup._reap()
    assert old.pid not in h.sup.retiring


def test_reports_replace_beat_stats_and_garbage(harness: Any, caplog: pytest.LogCaptureFixture) -> None:
    h = harness()
    worker = h.spawn()
    h.report(b"R %d" % worker.pid)
    worker.beat = 0.0
    h.report(b"B %d" % worker.pid, b"B 99999")  # an unknown pid is ignored
    assert worker.beat > 0.0
    h.report(b"Q %d" % worker.pid)
    assert worker.successor is not None
    h.report(b"Q %d" % worker.pid)  # asked twice: one successor
    assert len(h.sup.workers) == 2
    with caplog.at_level(logging.WARNING, "eventlet.httpd.workers"):
        h.report(b"X %d" % worker.pid, b"R notapid")
    assert "unknown worker report" in caplog.text
    assert "malformed worker report" in caplog.text
    h.report(b"S %d {}" % worker.pid)  # no metrics: statistics are dropped
    h.sup.stats = types.SimpleNamespace(
        updates=[], update=lambda pid, s: h.sup.stats.updates.append((pid, s))
    )
    h.report(b'S %d {"requests": 3}' % worker.pid, b"S 4242 {}")
    assert h.sup.stats.updates == [(worker.pid, {"requests": 3})]
    with caplog.at_level(logging.WARNING, "eventlet.httpd.workers"):
        h.report(b"S %d {not json" % worker.pid)
    assert "malformed statistics" in caplog.text


def test_reap_restarts_pauses_and_stops_on_load_failure(harness: Any) -> None:
    h = harness(count=1)
    lived = h.spawn()
    lived.started = 0.0  # lived long: replaced at once
    lived.proc.status = 1
    assert h.sup._reap()
    assert h.sup.restart_at == 0.0
    assert not h.sup.workers
    crashed = h.spawn()
    crashed.proc.status = 1  # died at once: the restart waits a second
    assert h.sup._reap()
    assert h.sup.restart_at > time.monotonic()
    r, w = os.pipe()
    os.set_blocking(r, False)
    h.sup.restart_at = time.monotonic() + 0.05
    assert h.sup._turn(r)
    assert len(h.sup.workers) == 1  # waited for the pause, then replaced it
    # A successor that cannot load the application leaves its predecessor serving.
    (current,) = h.sup.workers.values()
    successor = h.spawn(current)
    successor.proc.status = _cli.LOAD_FAILED_EXIT
    assert h.sup._reap()
    assert current.successor is None
    assert current.pid in h.sup.workers
    # A predecessor that dies while its successor starts: the successor simply counts.
    successor = h.spawn(current)
    current.proc.status = 1
    assert h.sup._reap()
    assert successor.predecessor is None
    assert h.sup.serving() == 1
    # A worker of the current generation that cannot load it ends everything.
    successor.proc.status = _cli.LOAD_FAILED_EXIT
    assert not h.sup._reap()
    assert h.sup.exit_status == _cli.LOAD_FAILED_EXIT
    os.close(r)
    os.close(w)


def test_silent_ready_worker_is_killed_after_the_timeout(
    harness: Any, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness(timeout=0.05)
    starting, ready = h.spawn(), h.spawn()
    ready.ready = True
    starting.beat = ready.beat = time.monotonic() - 1
    with caplog.at_level(logging.ERROR, "eventlet.httpd.workers"):
        h.sup._check_timeouts()
    assert ready.proc.killed
    assert not starting.proc.killed  # a worker still starting has no beat yet
    assert "timed out" in caplog.text
    h.sup.timeout = 0
    h.sup._check_timeouts()  # off: nothing to do


def test_stop_all_closes_the_socket_first_and_kills_stragglers(harness: Any) -> None:
    h = harness()
    stubborn = h.spawn()
    stubborn.proc.stubborn = True
    h.sup._stop_all()
    assert h.sup.sock is None
    assert stubborn.proc.signals == [signal.SIGTERM]
    assert stubborn.proc.killed


def test_supervisor_runs_real_workers_with_sigterm_blocked_until_their_handler_is_set(tmp_path: Any) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    sup = _workers.Supervisor(listener, [], 1, 5.0)
    script = tmp_path / "mask.py"
    script.write_text(
        "import signal, sys; print(signal.SIGTERM in signal.pthread_sigmask(signal.SIG_BLOCK, []))\n"
    )
    real_popen = subprocess.Popen

    def popen(cmd: list[str], **kwargs: Any) -> Any:
        return real_popen([sys.executable, str(script)], stdout=subprocess.PIPE, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(subprocess, "Popen", popen)
        worker = sup.spawn()
    assert worker.proc.stdout is not None
    assert worker.proc.stdout.read().strip() == b"True"
    worker.proc.wait()
    worker.proc.stdout.close()
    assert signal.SIGTERM not in signal.pthread_sigmask(signal.SIG_BLOCK, [])  # not here
    os.close(sup.report_r)
    os.close(sup.report_w)
    listener.close()


# -- the worker side -------------------------------------------------------------------------


def test_worker_link_reports_and_survives_a_gone_supervisor() -> None:
    r, w = os.pipe()
    link = _worker.WorkerLink(w)
    link.report(_worker.READY)
    link.report(_worker.STATS, b"{}")
    assert os.read(r, 100) == b"R %d\nS %d {}\n" % (os.getpid(), os.getpid())
    os.close(r)
    link.report(_worker.BEAT)  # EPIPE: logged, not raised
    link.close()


def test_request_limit_asks_once_after_limit_plus_jitter() -> None:
    asked: list[int] = []
    limit = _worker.RequestLimit(lambda env, sr: [b"x"], 3, 2, lambda: asked.append(1))
    assert 3 <= limit.limit <= 5
    for _ in range(10):
        assert limit({}, None) == [b"x"]  # type: ignore[arg-type]  # the application never calls it
    assert asked == [1]
    assert _worker.RequestLimit(lambda env, sr: [], 3, 0, lambda: None).limit == 3


def _beats(r: int, count: int) -> None:
    """Wait (green) until ``count`` beats of this process were written to the pipe ``r``."""
    data = b""
    while data.count(b"B %d\n" % os.getpid()) < count:
        trampoline(r, read=True)
        data += os.read(r, 1000)


def test_hub_watchdog_beats_and_reports_a_blocked_hub() -> None:
    r, w = os.pipe()
    link = _worker.WorkerLink(w)
    dog = _worker.HubWatchdog(0.2, link)
    dog.start()
    _beats(r, 2)  # the first at once, the next from the hub's timer
    with logged(_worker.logger.name, "has been blocked") as seen:
        assert seen.wait(30)  # a blocking wait: this thread's hub is blocked until the report
    assert dog.reports == 1
    assert "test_hub_watchdog_beats_and_reports_a_blocked_hub" in seen.messages[0]  # the stack
    _beats(r, 1)  # it beats again: the next blocking spell is a new report
    assert not dog.check()  # not blocked now
    dog.stop()
    link.close()
    os.close(r)
    idle = _worker.HubWatchdog(10.0, None)  # no beat for 2.5 s
    idle.start()
    idle.last -= 100
    hub = get_hub()
    main = threading.get_ident()

    def check_once_the_hub_sleeps() -> bool:
        while not hub.is_idle_frame(sys._current_frames()[main]):
            time.sleep(0)  # let the hub's thread reach its poller
        return idle.check()

    # The calling green thread waits for the worker thread: the hub sleeps in its poller meanwhile.
    assert tpool.execute(check_once_the_hub_sleeps) is False  # asleep in the poller: not blocked
    assert idle.reports == 0
    idle.stop()


def test_report_stats_sends_json_until_the_server_stops() -> None:
    r, w = os.pipe()
    link = _worker.WorkerLink(w)

    class Server:
        stopping = False

        def stats(self) -> dict[str, int]:
            self.stopping = True
            return {"requests": 1}

    _worker.report_stats(Server(), link, 0.001)
    line = os.read(r, 1000)
    assert line.startswith(b"S %d " % os.getpid())
    assert json.loads(line.split(b" ", 2)[2]) == {"requests": 1}
    link.close()
    os.close(r)


def test_watch_parent_and_watch_sources(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    class FakeServer:
        def __init__(self) -> None:
            self.stopping = False

        def stop(self) -> None:
            self.stopping = True

    parent = FakeServer()
    real_ppid = os.getpid()
    looks: list[int] = []

    def getppid() -> int:  # the parent is there at the first look, gone at the second
        looks.append(1)
        return real_ppid if len(looks) < 3 else -1

    monkeypatch.setattr(os, "getppid", getppid)
    thread = eventlet.spawn(_worker.watch_parent, parent, 0.001)
    thread.wait()
    assert parent.stopping

    source = tmp_path / "watched_mod.py"
    source.write_text("x = 1\n")
    fake = types.ModuleType("watched_mod")
    fake.__file__ = str(source)
    missing = types.ModuleType("gone_mod")
    missing.__file__ = str(tmp_path / "missing.py")
    monkeypatch.setitem(sys.modules, "watched_mod", fake)
    monkeypatch.setitem(sys.modules, "gone_mod", missing)
    watched = FakeServer()
    changes: list[str] = []

    first_change: eventlet.Event[None] = eventlet.Event()

    def on_change(path: str) -> None:
        changes.append(path)
        if len(changes) == 1:
            first_change.send()
        else:
            watched.stopping = True

    with logged(_worker.logger.name, "source files for changes", green=True) as watching:
        thread = eventlet.spawn(_worker.watch_sources, watched, on_change, 0.001)
        assert watching.wait(10)  # its first look is taken
    os.utime(source, (time.time() + 10, time.time() + 10))
    first_change.wait()
    os.utime(source, (time.time() + 20, time.time() + 20))
    thread.wait()
    assert changes == [str(source), str(source)]  # it keeps watching after a change


def test_small_paths_of_the_supervisor_and_the_worker(harness: Any) -> None:
    h = harness()
    old, new = h.spawn(), h.spawn()
    new.predecessor = old
    del h.sup.workers[old.pid]  # the old one was reaped meanwhile
    h.sup._ready(new)
    assert new.ready
    assert not old.proc.signals
    h.sup._close_socket()
    h.sup._stop_all()  # no socket left: nothing to refuse or close
    dog = _worker.HubWatchdog(1.0, None)
    dog.start()
    dog.stop()
    dog._thread = threading.Thread(target=lambda: None)
    dog._thread.start()
    dog.stop()  # a second stop: no timer left

    class Stopping:
        stopping = True

    _worker.watch_parent(Stopping(), 0.001)  # returns at once


def test_worker_stats_store_keeps_counters_of_exited_workers() -> None:
    from eventlet.httpd.metrics import WorkerStats

    store = WorkerStats()
    store.update(1, {"requests": 3, "connections_open": 2, "hub": {"timers": 1}})
    store.update(2, {"requests": 4, "connections_open": 1, "hub": {"timers": 1}})
    store.retire(1)
    store.retire(99)  # never reported: nothing to keep
    live, retired = store.snapshots()
    assert live["requests"] == 4
    assert retired == {"requests": 3}
