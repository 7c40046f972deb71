"""Signals reach a hub asleep in its poller: the main thread's hub is the signal wake-up fd.

The children below make the race that used to lose a Ctrl-C deterministic: the main thread blocks
the signal, so the kernel hands it to another thread and the main thread's poller is never
interrupted; only the wake-up fd can end the hub's sleep before its timer.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap
import threading

import pytest

from eventlet import hubs
from eventlet.hubs import _wakeup
from eventlet.hubs._wakeup import WakeupFd
from tests.conftest import available_hubs

pytestmark = pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="needs pthread_sigmask")

# The main thread sleeps on its hub with a 20 s timer; another thread sends the signal, which the
# kernel must deliver to that thread (the main one blocks it).  The signal must come while the main
# thread is inside its poller: the kicker waits for an event that a green thread of the main hub
# sets right before the hub goes to poll, and with a switch interval of 1000 s it cannot get the
# GIL back from the main thread before the main thread gives it up, in the poller's system call.
SIGNAL_ELSEWHERE = textwrap.dedent(
    """
    import os, signal, sys, threading, time
    import eventlet
    import eventlet.hubs._wakeup

    eventlet.hubs._wakeup._ON_WINDOWS = sys.argv[2] == "sockets"  # the socket pair used on Windows
    sys.setswitchinterval(1000)  # the main thread holds the GIL until it blocks

    def kick():
        polling.wait()  # returns once the main thread has released the GIL: in its poller
        os.kill(os.getpid(), getattr(signal, sys.argv[1]))

    def on_usr1(signum, frame):
        done.send(signum)

    done = eventlet.Event()
    polling = threading.Event()
    signal.signal(signal.SIGUSR1, on_usr1)
    eventlet.sleep(0)  # the hub exists and has claimed the wake-up fd
    kicker = threading.Thread(target=kick)
    kicker.start()  # before blocking: the thread keeps the signals unblocked
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGUSR1})
    eventlet.spawn(polling.set)  # the hub's last turn before it sleeps in its poller runs it
    started = time.monotonic()
    try:
        with eventlet.Timeout(20):
            print("got", done.wait(), flush=True)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    print("after %.1f s" % (time.monotonic() - started), flush=True)
    kicker.join()
    """
)


@pytest.mark.parametrize("hub_name", available_hubs())
@pytest.mark.parametrize(("signame", "expected"), [("SIGUSR1", "got 10"), ("SIGINT", "interrupted")])
@pytest.mark.parametrize("kind", ["pipe", "sockets"])
def test_a_signal_taken_by_another_thread_wakes_the_main_hub(
    hub_name: str, signame: str, expected: str, kind: str
) -> None:
    env = {**os.environ, "EVENTLET_HUB": hub_name}
    done = subprocess.run(
        [sys.executable, "-c", SIGNAL_ELSEWHERE, signame, kind],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert first == expected.replace("10", str(int(signal.SIGUSR1)))
    assert float(second.split()[1]) < 10, "the hub slept through the signal until its timer"


def _current_wakeup_fd() -> int:
    current = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(current, warn_on_full_buffer=False)
    return current


def test_the_main_threads_hub_claims_the_wakeup_fd_and_gives_it_back() -> None:
    hub = hubs.get_hub()
    assert hub._wakeup.claims_signals
    assert _current_wakeup_fd() == hub._wakeup.write_fd
    assert hub._wakeup.write_fd != hub._wakeup.read_fd  # a pipe: CPython writes single bytes
    other = type(hub)()  # a second hub of this thread takes it over...
    try:
        assert _current_wakeup_fd() == other._wakeup.write_fd
    finally:
        other.close()
    assert _current_wakeup_fd() == -1  # ...and gives it back to nobody, not to a stale fd
    assert not other._wakeup.claims_signals
    other._wakeup.release_signals()  # twice is harmless
    assert hub._wakeup.claim_signals()


def test_a_claim_taken_over_meanwhile_is_left_to_its_new_owner() -> None:
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    wakeup = WakeupFd(byte_writes=True)
    try:
        assert wakeup.claim_signals()
        signal.set_wakeup_fd(write_fd)  # an asyncio loop adding a signal handler, say
        wakeup.close()
        assert _current_wakeup_fd() == write_fd
    finally:
        signal.set_wakeup_fd(-1)
        os.close(read_fd)
        os.close(write_fd)
        hubs.get_hub()._wakeup.claim_signals()


def test_hubs_of_other_threads_keep_an_eventfd_and_claim_nothing() -> None:
    seen: dict[str, object] = {}

    def in_thread() -> None:
        hub = hubs.get_hub()
        seen["claims"] = hub._wakeup.claims_signals
        seen["eventfd"] = hub._wakeup.read_fd == hub._wakeup.write_fd
        seen["refused"] = hub._wakeup.claim_signals()  # set_wakeup_fd works in the main thread only
        hub.close()

    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join()
    assert seen == {"claims": False, "eventfd": hasattr(os, "eventfd"), "refused": False}
    assert _current_wakeup_fd() == hubs.get_hub()._wakeup.write_fd


KINDS = {
    "eventfd": {},  # the default off the main thread, where the OS has one
    "pipe": {"byte_writes": True},
    "sockets": {"sockets": True},  # what Windows gets
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_burst_of_writes_is_drained_whole(kind: str) -> None:
    wakeup = WakeupFd(**KINDS[kind])
    try:
        if wakeup.write_fd != wakeup.read_fd:
            os.write(wakeup.write_fd, bytes(10_000))  # more than one read's worth
        for _ in range(10_000):  # until the pipe or socket buffer is full: no error
            wakeup.write()
        readable, _, _ = select.select([wakeup.read_fd], [], [], 0)
        assert readable
        wakeup.drain()
        readable, _, _ = select.select([wakeup.read_fd], [], [], 0)
        assert not readable
        wakeup.drain()  # nothing to read: no error either
    finally:
        wakeup.close()
    wakeup.write()  # closed: nothing happens
    assert (wakeup.read_fd, wakeup.write_fd) == (-1, -1)


def test_a_hub_runs_on_the_socket_pair_windows_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_wakeup, "_ON_WINDOWS", True)
    hub = type(hubs.get_hub())()
    try:
        assert hub._wakeup._sockets is not None
        assert _current_wakeup_fd() == hub._wakeup.write_fd
        ran = []

        def from_the_worker() -> None:
            ran.append(threading.current_thread())
            hub.abort()

        worker = threading.Thread(target=hub.call_threadsafe, args=(from_the_worker,))
        worker.start()
        worker.join()
        bound = hub.schedule_call_global(10, hub.abort)  # the wake-up must come first
        hub.switch()
        assert ran == [threading.current_thread()]  # run by the hub, in its own thread
        assert bound.pending
        bound.cancel()
    finally:
        hub.close()
    assert _current_wakeup_fd() == -1
    hubs.get_hub()._wakeup.claim_signals()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_gets_its_own_pipe_under_the_same_numbers() -> None:
    code = textwrap.dedent(
        """
        import os, signal, time
        import eventlet
        from eventlet.hubs import get_hub

        hub = get_hub()
        eventlet.sleep(0)
        before = (hub._wakeup.read_fd, hub._wakeup.write_fd)
        pid = os.fork()
        if pid == 0:
            status = 0
            try:
                after = (hub._wakeup.read_fd, hub._wakeup.write_fd)
                assert after == before
                assert signal.set_wakeup_fd(-1) == hub._wakeup.write_fd
                signal.set_wakeup_fd(hub._wakeup.write_fd)
                done = eventlet.Event()
                signal.signal(signal.SIGUSR1, lambda *a: done.send(True))
                os.kill(os.getpid(), signal.SIGUSR1)
                with eventlet.Timeout(10):
                    assert done.wait()
            except BaseException as exc:
                print("child:", repr(exc), flush=True)
                status = 1
            os._exit(status)
        hub._wakeup.write()  # the parent's pipe: the child must not see this
        _, status = os.waitpid(pid, 0)
        print("child status", os.waitstatus_to_exitcode(status))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("child status 0"), done.stdout


def test_a_closed_hub_drops_calls_from_other_threads_and_its_fd_is_never_written() -> None:
    hub = type(hubs.get_hub())()
    fds = (hub._wakeup.read_fd, hub._wakeup.write_fd)
    hub.close()
    assert (hub._wakeup.read_fd, hub._wakeup.write_fd) == (-1, -1)
    reused = os.pipe()  # may well get the numbers the hub had
    try:
        worker = threading.Thread(target=hub.call_threadsafe, args=(print, "never"))
        worker.start()
        worker.join()
        hub._wakeup.write()
        os.set_blocking(reused[0], False)
        with pytest.raises(BlockingIOError):
            os.read(reused[0], 1)
        assert not hub._threadsafe
    finally:
        os.close(reused[0])
        os.close(reused[1])
    hub._wakeup.close()  # twice: nothing
    assert fds[0] >= 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_fork_while_another_thread_writes_leaves_the_child_able_to_wake_its_hub() -> None:
    """The wake-up fd's lock, held by a thread of the parent at the fork, is not inherited held."""
    code = textwrap.dedent(
        """
        import os, threading
        import eventlet
        from eventlet.hubs import get_hub

        hub = get_hub()
        eventlet.sleep(0)
        held, release = threading.Event(), threading.Event()

        def writer_caught_at_the_fork():
            with hub._wakeup._lock:
                held.set()
                release.wait()

        thread = threading.Thread(target=writer_caught_at_the_fork)
        thread.start()
        held.wait()
        pid = os.fork()
        if pid == 0:
            done = eventlet.Event()
            waker = threading.Thread(target=hub.call_threadsafe, args=(done.send, 7))
            waker.start()
            try:
                with eventlet.Timeout(10):
                    status = 0 if done.wait() == 7 else 1
            except eventlet.Timeout:
                status = 2
            waker.join()
            os._exit(status)
        release.set()
        thread.join()
        print("child status", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "child status 0"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_renewing_keeps_the_numbers_and_works(kind: str) -> None:
    wakeup = WakeupFd(**KINDS[kind])
    try:
        numbers = (wakeup.read_fd, wakeup.write_fd)
        wakeup.write()
        wakeup.renew()  # what a forked child does
        assert (wakeup.read_fd, wakeup.write_fd) == numbers
        assert not select.select([wakeup.read_fd], [], [], 0)[0]  # a new, empty object
        wakeup.write()
        assert select.select([wakeup.read_fd], [], [], 0)[0]
    finally:
        wakeup.close()


@pytest.mark.parametrize("kind", ["pipe", "sockets"])
def test_closed_from_another_thread_while_claimed_the_fds_stay_open(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    wakeup = WakeupFd(**KINDS[kind])
    assert wakeup.claim_signals()
    numbers = (wakeup.read_fd, wakeup.write_fd)
    try:
        with caplog.at_level("WARNING", logger="eventlet.hub"):
            closer = threading.Thread(target=wakeup.close)
            closer.start()
            closer.join()
        assert "stays open" in caplog.text
        assert wakeup.claims_signals
        assert _current_wakeup_fd() == numbers[1]
        os.write(numbers[1], b"\0")  # still open: writing a signal number there does no harm
        assert os.read(numbers[0], 1) == b"\0"
    finally:
        signal.set_wakeup_fd(-1)
        for fd in numbers:
            os.close(fd)
        hubs.get_hub()._wakeup.claim_signals()
