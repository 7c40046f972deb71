"""eventlet.processes.Process: green streams with timeouts, group kills, graceful stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

import eventlet
from eventlet.processes import PipeStream, PipeTimeout, Process, TextStream

from .conftest import process_state, zombie_children

PY = sys.executable


def gone(pid: int) -> bool:
    """Wait (green) up to 5 s for ``pid`` to vanish or become a zombie of someone else."""
    for _ in range(500):
        if process_state(pid) in (None, "Z"):
            return True
        eventlet.sleep(0.01)
    return False


def test_streams_read_write_lines_and_wait(any_hub: object, io_mode: str) -> None:
    with Process(["sh", "-c", "echo ready; while read line; do echo got $line; done; exit 4"]) as proc:
        assert isinstance(proc.stdout, PipeStream)
        assert proc.stdout.readline(timeout=5) == b"ready\n"
        proc.stdin.write(b"a\nb\n", timeout=5)
        assert proc.stdout.readline() == b"got a\n"
        proc.stdin.close()
        assert list(proc.stdout) == [b"got b\n"]
        assert proc.wait(timeout=5) == 4
        assert proc.returncode == 4
        assert proc.poll() == 4
    assert "returncode=4" in repr(proc)


def test_read_timeout_keeps_the_data_that_comes_later(any_hub: object, io_mode: str) -> None:
    with Process(["sh", "-c", "read x; echo late"]) as proc:
        assert "running" in repr(proc)
        with pytest.raises(PipeTimeout):
            proc.stdout.readline(timeout=0.05)
        with pytest.raises(TimeoutError):
            proc.stdout.read(4, timeout=0.05)
        proc.stdin.write(b"go\n")
        assert proc.stdout.readline(timeout=5) == b"late\n"
        assert proc.wait() == 0


def test_text_streams(io_mode: str) -> None:
    with Process(["sh", "-c", "read x; echo \"<$x>\"; printf 'é\\nlast'"], text=True) as proc:
        assert isinstance(proc.stdout, TextStream)
        assert proc.stdin.write("héllo\n") == 6
        proc.stdin.flush()
        assert proc.stdout.readline(timeout=5) == "<héllo>\n"
        assert proc.stdout.read(1) == "é"
        assert list(proc.stdout) == ["\n", "last"]
        assert proc.stdout.read() == ""
        assert proc.stdout.fileno() >= 0
    assert proc.stdout.closed


def test_text_read_timeout_and_context_manager() -> None:
    with Process(["sleep", "10"], encoding="ascii", errors="replace") as proc:
        with proc.stdout as stream, pytest.raises(PipeTimeout):
            stream.read(timeout=0.05)
        assert proc.stdout.closed
    assert proc.returncode == -signal.SIGKILL


def test_communicate_text_and_binary() -> None:
    proc = Process(["sh", "-c", "cat; echo oops >&2"], text=True)
    assert proc.communicate("é\n", timeout=5) == ("é\n", "oops\n")
    proc = Process(["cat"], stderr=None)
    assert proc.communicate(b"raw") == (b"raw", None)
    assert proc.popen.returncode == 0


def test_inherit_and_devnull() -> None:
    proc = Process(["true"], stdin=None, stdout=subprocess.DEVNULL, stderr=None, text=True)
    assert (proc.stdin, proc.stdout, proc.stderr) == (None, None, None)
    proc.close()
    assert proc.wait() == 0
    assert proc.args == ["true"]
    assert proc.pid > 0


def test_stop_kills_a_child_that_ignores_sigterm(any_hub: object, io_mode: str) -> None:
    proc = Process(["sh", "-c", "trap '' TERM; echo ready; exec sleep 10"], stdin=None)
    assert proc.stdout.readline(timeout=5) == b"ready\n"
    assert proc.stop(grace=0.2) == -signal.SIGKILL
    proc.close()
    assert not zombie_children()


def test_stop_of_a_polite_child_and_of_an_exited_one() -> None:
    proc = Process(["sleep", "10"])
    assert proc.stop(grace=5) == -signal.SIGTERM
    assert proc.stop() == -signal.SIGTERM
    proc.close()


def test_group_kill_reaches_the_whole_tree(io_mode: str) -> None:
    proc = Process(["sh", "-c", "sleep 10 & echo $!; wait"], new_session=True, stdin=None)
    grandchild = int(proc.stdout.readline(timeout=5))
    assert os.getpgid(grandchild) == proc.pid
    proc.kill(group=True)
    assert proc.wait(timeout=5) == -signal.SIGKILL
    assert gone(grandchild)
    proc.close()


def test_signalling_an_empty_group_does_nothing() -> None:
    with Process(["true"], new_session=True) as proc:
        assert proc.wait() == 0
        proc.kill(group=True)
        proc.terminate(group=True)


def test_group_terminate_and_stop_with_process_group() -> None:
    proc = Process(["sh", "-c", "sleep 10 & echo $!; wait"], process_group=0, stdin=None)
    grandchild = int(proc.stdout.readline(timeout=5))
    proc.terminate(group=True)
    assert proc.wait(timeout=5) == -signal.SIGTERM
    assert gone(grandchild)
    proc.close()

    proc = Process(["sh", "-c", "trap '' TERM; sleep 10 & echo $!; wait"], new_session=True, stdin=None)
    grandchild = int(proc.stdout.readline(timeout=5))
    assert proc.stop(grace=0.1, group=True) == -signal.SIGKILL
    assert gone(grandchild)
    proc.close()


def test_group_signal_needs_a_group_leader() -> None:
    with Process(["sleep", "10"]) as proc:
        with pytest.raises(ValueError, match="process group"):
            proc.kill(group=True)
        proc.send_signal(signal.SIGUSR1)
        assert proc.wait() == -signal.SIGUSR1
        proc.terminate()
        proc.kill()


def test_leaving_the_block_kills_and_reaps(no_leaks: None, io_mode: str) -> None:
    with Process(["sleep", "10"], new_session=True) as proc:
        pass
    assert proc.returncode == -signal.SIGKILL


def test_many_processes_concurrently(any_hub: object) -> None:
    def one(index: int) -> bytes:
        with Process([PY, "-c", f"print({index} * 2)"], stdin=None) as proc:
            out: bytes = proc.stdout.read(timeout=30)
            proc.wait()
            return out

    threads = [eventlet.spawn(one, index) for index in range(10)]
    assert [thread.wait() for thread in threads] == [b"%d\n" % (i * 2) for i in range(10)]
