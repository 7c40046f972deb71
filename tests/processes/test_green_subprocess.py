"""eventlet.green.subprocess against the standard library's subprocess, on every hub and I/O mode."""

from __future__ import annotations

import io
import os
import signal
import subprocess as std
import sys
from importlib.metadata import entry_points

import pytest

import eventlet
from eventlet.green import subprocess
from eventlet.processes._popen import GreenPopen, stdlib_popen
from eventlet.processes._streams import PipeStream
from eventlet.testing import hub_turns

from .conftest import open_fds, process_state, zombie_children

PY = sys.executable

EXITS = [
    ["true"],
    ["false"],
    ["sh", "-c", "exit 3"],
    ["sh", "-c", "exit 255"],
    ["sh", "-c", "kill -TERM $$"],
    ["sh", "-c", "kill -KILL $$"],
    ["sh", "-c", "kill -SEGV $$"],
    ["sh", "-c", "kill -STOP $$"],
]


@pytest.mark.parametrize("command", EXITS[:-1], ids=lambda c: c[-1])
def test_exit_codes_and_signals_match_stdlib(any_hub: object, io_mode: str, command: list[str]) -> None:
    expected = std.run(command).returncode
    assert subprocess.run(command).returncode == expected
    assert subprocess.call(command) == expected
    with subprocess.Popen(command) as proc:
        assert proc.wait() == expected
    assert proc.returncode == expected


def test_stopped_child_is_not_an_exit() -> None:
    proc = subprocess.Popen(EXITS[-1])
    with pytest.raises(subprocess.TimeoutExpired):
        proc.wait(timeout=0.2)
    proc.kill()
    assert proc.wait() == -signal.SIGKILL


def test_the_module_exports_what_stdlib_does() -> None:
    for name in std.__all__:
        assert hasattr(subprocess, name), name
    assert subprocess.CalledProcessError is std.CalledProcessError
    assert subprocess.TimeoutExpired is std.TimeoutExpired
    assert subprocess.PIPE == std.PIPE
    assert issubclass(subprocess.Popen, std.Popen)
    assert stdlib_popen() is std.Popen
    assert set(subprocess.__patched__) <= set(dir(subprocess))


def test_entry_point_points_here() -> None:
    found = {ep.name: ep.value for ep in entry_points(group="eventlet.green_modules")}
    assert found["subprocess"] == "eventlet.green.subprocess"
    assert entry_points(group="eventlet.green_modules", name="subprocess")


def test_stdlib_popen_sees_through_a_patched_module(monkeypatch: pytest.MonkeyPatch) -> None:
    original = std.Popen
    monkeypatch.setattr(std, "Popen", subprocess.Popen)
    assert stdlib_popen() is original


def test_run_captures_and_checks(any_hub: object, io_mode: str) -> None:
    result = subprocess.run(["sh", "-c", "echo out; echo err >&2; exit 2"], capture_output=True)
    assert (result.returncode, result.stdout, result.stderr) == (2, b"out\n", b"err\n")
    with pytest.raises(subprocess.CalledProcessError) as info:
        subprocess.run(["sh", "-c", "echo out; exit 2"], stdout=subprocess.PIPE, check=True)
    assert (info.value.returncode, info.value.output) == (2, b"out\n")
    text = subprocess.run(["cat"], input="a\r\nb\n", capture_output=True, text=True)
    assert text.stdout == std.run(["cat"], input="a\r\nb\n", capture_output=True, text=True).stdout


def test_run_argument_errors() -> None:
    with pytest.raises(ValueError, match="stdin and input"):
        subprocess.run(["true"], input=b"x", stdin=subprocess.DEVNULL)
    with pytest.raises(ValueError, match="capture_output"):
        subprocess.run(["true"], capture_output=True, stdout=subprocess.DEVNULL)
    with pytest.raises(ValueError, match="stdout argument not allowed"):
        subprocess.check_output(["true"], stdout=subprocess.DEVNULL)
    with pytest.raises(ValueError, match="check argument not allowed"):
        subprocess.check_output(["true"], check=True)


def test_check_call_and_check_output() -> None:
    assert subprocess.check_call(["true"]) == 0
    with pytest.raises(subprocess.CalledProcessError) as info:
        subprocess.check_call(["false"])
    assert info.value.cmd == ["false"]
    with pytest.raises(subprocess.CalledProcessError) as info:
        subprocess.check_call(args=["sh", "-c", "exit 4"])
    assert (info.value.returncode, info.value.cmd) == (4, ["sh", "-c", "exit 4"])
    assert subprocess.check_output(["echo", "hi"]) == b"hi\n"
    assert subprocess.check_output(["cat"], input=None) == b""
    assert subprocess.check_output(["cat"], input=None, text=True) == ""
    assert subprocess.check_output(["cat"], input=b"data") == b"data"


def test_getoutput_and_getstatusoutput() -> None:
    command = "echo one; echo two >&2; exit 5"
    assert subprocess.getstatusoutput(command) == std.getstatusoutput(command)
    assert subprocess.getoutput("echo hi") == std.getoutput("echo hi")
    assert subprocess.getstatusoutput("printf x") == (0, "x")


def test_call_kills_on_timeout() -> None:
    with pytest.raises(subprocess.TimeoutExpired):
        subprocess.call(["sleep", "10"], timeout=0.05)
    assert not zombie_children()


def test_run_timeout_kills_reaps_and_keeps_partial_output(any_hub: object, io_mode: str) -> None:
    with pytest.raises(subprocess.TimeoutExpired) as info:
        subprocess.run(["sh", "-c", "echo $$; exec sleep 10"], capture_output=True, timeout=0.3)
    assert info.value.timeout == 0.3
    assert info.value.stdout is not None
    pid = int(info.value.stdout)
    assert process_state(pid) is None
    assert not zombie_children()


def test_run_kills_the_child_when_communicate_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(self: GreenPopen, *args: object, **kwargs: object) -> None:
        raise KeyError("communicate failed")

    monkeypatch.setattr(subprocess.Popen, "communicate", fail)
    with pytest.raises(KeyError):
        subprocess.run(["sleep", "10"])
    assert not zombie_children()


# Writes "first" and "err", then a byte on the fd named by argv[1], then sleeps.
CHATTY_THEN_SLEEPS = (
    "import os, sys, time; "
    "sys.stdout.write('first\\n'); sys.stdout.flush(); sys.stderr.write('err\\n'); sys.stderr.flush(); "
    "os.write(int(sys.argv[1]), b'\\n'); os.close(int(sys.argv[1])); time.sleep(10)"
)


def test_communicate_with_timeout_then_again(any_hub: object, io_mode: str) -> None:
    # The child says on a pipe when its output is written: the partial output the timeout must keep
    # is in the pipes before the clock starts, however slow the child's start is.
    ready, ready_w = os.pipe()
    proc = subprocess.Popen(
        [PY, "-c", CHATTY_THEN_SLEEPS, str(ready_w)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        pass_fds=(ready_w,),
    )
    os.close(ready_w)
    with os.fdopen(ready, "rb", buffering=0) as signal_pipe:
        assert signal_pipe.read(1) == b"\n"
    with pytest.raises(subprocess.TimeoutExpired) as info:
        proc.communicate(b"input nobody reads", timeout=0.3)
    assert info.value.stdout == b"first\n"
    assert info.value.stderr == b"err\n"
    proc.kill()
    assert proc.communicate() == (b"first\n", b"err\n")
    assert proc.returncode == -signal.SIGKILL


def test_communicate_input_after_start_is_refused() -> None:
    proc = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.communicate(b"x", timeout=5) == (b"x", None)
    with pytest.raises(ValueError, match="Cannot send input"):
        proc.communicate(b"more")


def test_communicate_times_out_waiting_for_exit() -> None:
    proc = subprocess.Popen(["sh", "-c", "exec 1>&-; exec 2>&-; sleep 10"], stdout=subprocess.PIPE)
    with pytest.raises(subprocess.TimeoutExpired) as info:
        proc.communicate(timeout=0.2)
    assert info.value.stdout is None
    proc.kill()
    assert proc.communicate() == (b"", None)


def test_several_megabytes_on_stdout_and_stderr_at_once(any_hub: object, io_mode: str) -> None:
    size = 3_000_000
    data = bytes(range(256)) * (size // 256)
    script = (
        "import sys\n"
        "data = sys.stdin.buffer.read()\n"
        "for i in range(0, len(data), 65536):\n"
        "    sys.stdout.buffer.write(data[i:i+65536]); sys.stderr.buffer.write(data[i:i+65536])\n"
    )
    result = subprocess.run([PY, "-c", script], input=data, capture_output=True, timeout=30)
    assert result.returncode == 0
    assert result.stdout == data
    assert result.stderr == data


def test_text_mode_streams_are_green() -> None:
    with subprocess.Popen(
        ["sh", "-c", "read a; echo got $a; echo line2"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
    ) as proc:
        assert isinstance(proc.stdin, io.TextIOWrapper)
        assert isinstance(proc.stdout.buffer, PipeStream)
        proc.stdin.write("héllo\n")
        assert proc.stdout.readline() == "got héllo\n"
        assert list(proc.stdout) == ["line2\n"]
    assert proc.returncode == 0


def test_unbuffered_pipes_are_green() -> None:
    with subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0) as proc:
        assert isinstance(proc.stdout, PipeStream)
        proc.stdin.write(b"abc")
        assert proc.stdout.read(3) == b"abc"
        proc.stdin.close()
        assert proc.stdout.read() == b""


def test_text_communicate_with_one_pipe_and_a_timeout() -> None:
    assert subprocess.run(["echo", "é"], stdout=subprocess.PIPE, text=True, timeout=5).stdout == "é\n"
    result = subprocess.run(["sh", "-c", "echo é >&2"], stderr=subprocess.PIPE, text=True, timeout=5)
    assert (result.stdout, result.stderr) == (None, "é\n")


def test_communicate_fast_paths() -> None:
    proc = subprocess.Popen(["echo", "x"], stdout=subprocess.PIPE)
    assert proc.communicate() == (b"x\n", None)
    proc = subprocess.Popen(["sh", "-c", "echo e >&2"], stderr=subprocess.PIPE)
    assert proc.communicate() == (None, b"e\n")
    proc = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    assert proc.communicate(b"ignored") == (None, None)
    proc = subprocess.Popen(["true"])
    assert proc.communicate(timeout=5) == (None, None)


def test_communicate_after_stdout_was_closed() -> None:
    proc = subprocess.Popen(
        ["sh", "-c", "echo y >&2; echo x"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    proc.stdout.close()
    assert proc.communicate(timeout=5) == (b"", b"y\n")
    proc = subprocess.Popen(
        ["sh", "-c", "echo x; echo y >&2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    proc.stderr.close()
    assert proc.communicate(timeout=5) == (b"x\n", b"")


def test_communicate_reports_the_first_reader_failure() -> None:
    proc = subprocess.Popen(["sh", "-c", "sleep 0.2; echo x"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def broken(*_args: object) -> bytes:
        raise OSError("read failed")

    proc.stdout.read1 = broken
    proc.stderr.read1 = broken
    with pytest.raises(OSError, match="read failed"):
        proc.communicate(timeout=5)
    proc.stdout.close()
    proc.stderr.close()
    proc.wait()


def test_communicate_ignores_a_child_that_stops_reading(io_mode: str) -> None:
    proc = subprocess.Popen(["true"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    out, _ = proc.communicate(b"x" * 1_000_000, timeout=10)
    assert out == b""
    assert proc.returncode == 0


def test_wait_timeout_then_wait(any_hub: object, io_mode: str) -> None:
    # cat runs until its stdin closes: the timeout cannot race the child's exit on a slow machine
    proc = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    with pytest.raises(subprocess.TimeoutExpired):
        proc.wait(timeout=0.05)
    assert proc.poll() is None
    assert proc.stdin is not None
    proc.stdin.close()
    assert proc.wait(timeout=5) == 0
    assert proc.wait(timeout=0) == 0


def test_many_green_threads_wait_for_one_child(io_mode: str) -> None:
    proc = subprocess.Popen(["sleep", "0.2"])
    waiters = [eventlet.spawn(proc.wait) for _ in range(5)]
    assert [w.wait() for w in waiters] == [0] * 5


def test_wait_when_someone_else_reaped_the_child() -> None:
    proc = subprocess.Popen(["true"])
    os.waitpid(proc.pid, 0)
    assert proc.wait() == 0  # like the stdlib: ECHILD means "gone", status unknown


def test_send_signal_terminate_kill(io_mode: str) -> None:
    for method, expected in (("terminate", -signal.SIGTERM), ("kill", -signal.SIGKILL)):
        proc = subprocess.Popen(["sleep", "10"])
        getattr(proc, method)()
        assert proc.wait() == expected
        getattr(proc, method)()  # a reaped child is not signalled again
    proc = subprocess.Popen(["sleep", "10"])
    proc.send_signal(signal.SIGINT)
    assert proc.wait() == -signal.SIGINT


def test_io_mode_argument_and_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    proc = subprocess.Popen(["true"], io_mode="thread")
    assert proc.io_mode == "thread"
    assert proc.wait() == 0
    monkeypatch.setenv("EVENTLET_PROCESSES_MODE", "bogus")
    before = open_fds()
    with pytest.raises(ValueError, match="io_mode"):
        subprocess.Popen(["true"])
    assert open_fds() == before


def test_no_zombies_or_fds_left_after_a_thousand_runs(no_leaks: None) -> None:
    results: list[int] = []

    def runner(count: int) -> None:
        results.extend(subprocess.call(["true"]) for _ in range(count))

    threads = [eventlet.spawn(runner, 20) for _ in range(50)]
    for thread in threads:
        thread.wait()
    assert results == [0] * 1000


def test_two_hundred_children_at_once_while_the_hub_serves_others(any_hub: object) -> None:
    ticks = [0]
    stop = [False]

    def ticker() -> None:
        while not stop[0]:
            ticks[0] += 1
            eventlet.sleep(0.001)

    ticking = eventlet.spawn(ticker)
    procs = [subprocess.Popen(["sh", "-c", "read line; exit 7"], stdin=subprocess.PIPE) for _ in range(200)]
    # every child is alive now, blocked on its stdin: release them from green threads
    assert all(proc.poll() is None for proc in procs)
    ticks_before = ticks[0]

    def release(proc: subprocess.Popen) -> int | None:
        return proc.communicate(b"go\n", timeout=30)[0] or proc.returncode

    threads = [eventlet.spawn(release, proc) for proc in procs]
    assert [thread.wait() for thread in threads] == [7] * 200
    assert ticks[0] > ticks_before
    stop[0] = True
    ticking.wait()


def test_popen_failure_leaks_nothing(no_leaks: None) -> None:
    with pytest.raises(FileNotFoundError):
        subprocess.Popen(["/nonexistent/program"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)


def test_green_popen_is_the_stdlib_class_underneath() -> None:
    proc = GreenPopen(["true"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stderr is None
    assert proc.communicate() == (b"", None)


@pytest.mark.parametrize("program", ["sleep", "/nonexistent/program"])
def test_a_caller_killed_while_its_child_starts_leaves_no_zombie(program: str) -> None:
    started = []
    others = set(_sleepers_of_mine())  # e.g. a session-wide redis-server of the clients tests

    def start() -> None:
        started.append(subprocess.Popen([program, "10"]))

    starter = eventlet.spawn(start)
    hub_turns()  # the starter hands the fork to a helper thread and waits
    starter.kill()
    assert started == []
    for _ in range(500):
        eventlet.sleep(0.01)
        if not zombie_children() and set(_sleepers_of_mine()) <= others:
            break
    assert not zombie_children()
    assert set(_sleepers_of_mine()) <= others


def _sleepers_of_mine() -> list[int]:
    me = str(os.getpid())
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == me and fields[0] != "Z":
                found.append(int(name))
    return found


def test_a_preexec_fn_child_is_started_from_the_calling_thread() -> None:
    marks: list[int] = []
    proc = subprocess.Popen(["true"], preexec_fn=lambda: None)
    marks.append(proc.wait())
    assert marks == [0]
