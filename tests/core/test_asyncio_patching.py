"""The asyncio hub and monkey patching: asyncio runs on the unpatched standard library, the program
on the green one, whichever comes first (child processes: patching is process-wide).

Each child must also *exit*: ``subprocess.run``'s timeout fails a test whose program hangs at exit
(a thread that interpreter exit waits for and that never ends).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

_ASYNCIO_HUB = {"EVENTLET_HUB": "asyncio"}

# What every child checks once patching and the asyncio hub are both in place.
_CHECKS = r"""
import asyncio, socket, sys, threading
import asyncio.selector_events, concurrent.futures.thread
from eventlet import patcher
from eventlet.asyncio import spawn_for_awaitable
from eventlet.green import socket as green_socket
from eventlet.hubs import get_hub

real_thread = patcher.original("_thread")

def is_os_lock(lock):
    return type(lock) is patcher.original("_thread").LockType  # looked up now: never rebound

def check_isolation():
    assert get_hub().name == "asyncio"
    # the program's modules are green ...
    assert socket.socket is green_socket.socket
    assert not is_os_lock(threading.Lock())
    # ... asyncio's and its executor's are not, and never become so
    assert asyncio.selector_events.socket is patcher.original("socket")
    assert asyncio.selector_events.socket.socket is not green_socket.socket
    assert asyncio.selector_events.selectors is sys.modules["__original_module_selectors"]
    assert asyncio.selector_events.selectors.select is sys.modules["__original_module_select"]
    assert concurrent.futures.thread.threading is patcher.original("threading")
    assert concurrent.futures.thread.queue is patcher.original("queue")
    assert is_os_lock(concurrent.futures.thread._global_shutdown_lock)
    assert asyncio.base_events.os.environ is __import__("os").environ  # a shadow: the same environ

def to_thread_on_os_threads():
    barrier = patcher.original("threading").Barrier(3, timeout=30)
    main_thread = real_thread.get_native_id()

    def in_thread():
        barrier.wait()  # passes only once three OS threads run at the same time
        return real_thread.get_native_id() != main_thread

    async def go():
        return await asyncio.gather(*(asyncio.to_thread(in_thread) for _ in range(3)))

    assert spawn_for_awaitable(go()).wait() == [True, True, True]

def getaddrinfo_is_not_green():
    def fail(*args, **kwargs):
        raise AssertionError("asyncio used the green getaddrinfo")

    socket.getaddrinfo = fail  # what the program's code would call now
    async def lookup():
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo("127.0.0.1", 80, type=socket.SOCK_STREAM)
        return infos[0][4]

    assert spawn_for_awaitable(lookup()).wait() == ("127.0.0.1", 80)

def asyncio_server_green_client():
    async def handle(reader, writer):
        writer.write((await reader.readline()).upper())
        await writer.drain()
        writer.close()

    async def start():
        return await asyncio.start_server(handle, "127.0.0.1", 0)

    server = spawn_for_awaitable(start()).wait()
    port = server.sockets[0].getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))  # a green socket, in a green thread
    client.sendall(b"ping\n")
    assert client.makefile("rb").readline() == b"PING\n"
    client.close()
    server.close()
    spawn_for_awaitable(server.wait_closed()).wait()

def check_all():
    check_isolation()
    to_thread_on_os_threads()
    asyncio_server_green_client()
    getaddrinfo_is_not_green()
    print("ok")
"""


def with_checks(prefix: str) -> str:
    """``prefix`` (indented as in a test), then the shared checks, run."""
    return textwrap.dedent(prefix) + _CHECKS + "check_all()\n"


def run_child(source: str, tmp_path: Path, env: dict[str, str] | None = None) -> str:
    """Run ``source`` in a new interpreter; it must succeed, and exit, within the timeout."""
    environment = dict(os.environ)
    environment.pop("EVENTLET_HUB", None)
    environment.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", "-c", textwrap.dedent(source)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=environment,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_monkey_patch_first_with_the_asyncio_hub_chosen(tmp_path: Path) -> None:
    """The to_thread program of upstream's suite: patching first, asyncio imported after it."""
    out = run_child(
        with_checks("""
        import eventlet
        eventlet.monkey_patch()
        """),
        tmp_path,
        _ASYNCIO_HUB,
    )
    assert out == "ok\n"


def test_asyncio_hub_first_then_monkey_patch(tmp_path: Path) -> None:
    """Upstream's order in its tests: the hub exists (and isolated asyncio) before patching."""
    out = run_child(
        with_checks("""
        import sys
        import eventlet.hubs
        from eventlet import patcher
        hub = eventlet.hubs.get_hub()  # imports asyncio (and ssl): eventlet's doing, not warned about
        selectors_before = sys.modules["__original_module_selectors"]
        import asyncio.selector_events
        assert asyncio.selector_events.selectors is selectors_before
        eventlet.monkey_patch()
        assert patcher.original("selectors") is selectors_before
        """),
        tmp_path,
        _ASYNCIO_HUB,
    )
    assert out == "ok\n"


def test_asyncio_hub_chosen_after_patching(tmp_path: Path) -> None:
    """asyncio imported after monkey_patch() on another hub: its import-time locks are green,
    and become OS locks again when the asyncio hub takes it over."""
    out = run_child(
        with_checks("""
        import eventlet
        eventlet.monkey_patch()
        import asyncio, concurrent.futures.thread
        from eventlet import patcher
        lock = concurrent.futures.thread._global_shutdown_lock
        assert type(lock) is not patcher.original("_thread").LockType
        eventlet.hubs.use_hub("asyncio")
        """),
        tmp_path,
    )
    assert out == "ok\n"


def test_monkey_patch_leaves_the_locks_of_what_stays_unpatched(tmp_path: Path) -> None:
    """Greening existing locks skips asyncio's modules (asyncio hub chosen) and the originals'
    objects (a thread of the original ``threading``), and their names are not rebound."""
    out = run_child(
        """
        import eventlet
        from eventlet import patcher
        threading = patcher.original("threading")
        event = threading.Event()
        thread = threading.Thread(target=event.wait, daemon=True)
        thread.start()
        eventlet.monkey_patch()  # imports asyncio first (the asyncio hub is chosen)
        import asyncio.base_futures, asyncio.mixins

        def is_os_lock(lock):  # a lock or an RLock of the real _thread, not a green one
            return type(lock).__module__ == "_thread"

        assert is_os_lock(asyncio.mixins._global_lock)
        assert is_os_lock(threading._active_limbo_lock)
        assert is_os_lock(thread._started._cond._lock) and is_os_lock(event._cond._lock)
        event.set()  # from a green thread of the main OS thread, to an OS thread: real locks
        thread.join()
        if hasattr(asyncio.base_futures, "get_ident"):
            assert asyncio.base_futures.get_ident is patcher.original_attr("_thread", "get_ident")
        print("ok")
        """,
        tmp_path,
        _ASYNCIO_HUB,
    )
    assert out == "ok\n"


def test_isolating_a_module(tmp_path: Path) -> None:
    """What ``isolate`` does to each kind of global of a module put on the unpatched library."""
    out = run_child(
        """
        import types
        from eventlet import patcher
        module = types.ModuleType("isolated_here")
        import threading
        module.lock = threading.Lock()
        patcher._state.isolate([module])  # nothing patched yet: no green lock to take back
        assert module.lock is not None and type(module.lock) is type(threading.Lock())
        import eventlet
        eventlet.monkey_patch()
        import os, socket, threading, time
        from _thread import get_ident
        module.socket, module.os, module.sleep, module.get_ident = socket, os, time.sleep, get_ident
        module.free, module.rfree = threading.Lock(), threading.RLock()
        module.held, module.rheld, module.mine = threading.Lock(), threading.RLock(), threading.RLock()
        module.held.acquire()
        module.mine.acquire()
        module.other = "left alone"
        held, mine = module.held, module.mine
        rheld = module.rheld

        def hold():
            rheld.acquire()

        eventlet.spawn(hold).wait()
        patcher._state.isolate([module])
        real_thread = patcher.original("_thread")
        assert module.socket is patcher.original("socket") and module.os is not os
        assert module.os.read is patcher.original_attr("os", "read")
        assert module.sleep is patcher.original_attr("time", "sleep")
        assert module.get_ident is real_thread.get_ident
        assert type(module.free) is type(real_thread.allocate_lock())
        assert type(module.rfree) is type(real_thread.RLock())
        assert module.held is held and module.mine is mine and module.rheld is rheld  # in use
        assert module.other == "left alone"
        print("ok")
        """,
        tmp_path,
    )
    assert out == "ok\n"


def test_thread_start_in_a_coroutine_is_refused_and_exit_does_not_hang(tmp_path: Path) -> None:
    """``threading.Thread.start()`` (green, after patching) in a coroutine runs in the hub, which
    cannot wait for the thread to start: refused before any thread exists, so exit waits for none."""
    out = run_child(
        """
        import eventlet
        eventlet.monkey_patch()
        import asyncio, threading
        from eventlet.asyncio import spawn_for_awaitable

        ran = []

        async def go():
            thread = threading.Thread(target=ran.append, args=(1,))
            try:
                thread.start()
            except RuntimeError as exc:
                return str(exc), thread.ident
            return "started", thread.ident

        message, ident = spawn_for_awaitable(go()).wait()
        assert "cannot be called from the hub" in message and ident is None, message
        eventlet.sleep(0)
        assert ran == [] and threading.active_count() == 1
        print("ok")
        """,
        tmp_path,
        _ASYNCIO_HUB,
    )
    assert out == "ok\n"


def test_an_original_stays_unpatched_and_is_registered(tmp_path: Path) -> None:
    """``original()`` made before patching is the same object, still unpatched, after it."""
    (tmp_path / "uses_socket.py").write_text("import socket\n\n\ndef kind():\n    return socket.socket\n")
    out = run_child(
        """
        import os, select, sys
        from eventlet import patcher
        selectors_before = patcher.original("selectors")
        socket_before = patcher.original("socket")
        queue_before = patcher.original("queue")
        import eventlet
        eventlet.monkey_patch()
        from eventlet.green import select as green_select, socket as green_socket
        assert patcher.original("selectors") is selectors_before
        assert sys.modules["__original_module_selectors"] is selectors_before
        assert selectors_before.select is patcher.original("select")
        assert selectors_before.select.select is not green_select.select
        assert select.select is green_select.select
        assert socket_before.selectors is selectors_before and socket_before.os.environ is os.environ
        assert socket_before.socket is not green_socket.socket
        assert queue_before.threading is patcher.original("threading")
        assert type(queue_before.Queue().mutex) is type(patcher.original("_thread").allocate_lock())
        sys.path.insert(0, ".")
        # not imported yet: its copy is built on whatever has been patched, in its original form
        assert patcher.original("uses_socket").kind() is patcher.original("socket").socket
        assert "uses_socket" not in sys.modules
        print("ok")
        """,
        tmp_path,
    )
    assert out == "ok\n"


def test_originals_of_modules_importing_each_other(tmp_path: Path) -> None:
    """A cycle among patchable modules ends: the one being built is given as a shadow."""
    (tmp_path / "cycle_a.py").write_text("import cycle_b\n")
    (tmp_path / "cycle_b.py").write_text("import cycle_a\n")
    out = run_child(
        """
        import sys
        sys.path.insert(0, ".")
        import cycle_a, cycle_b
        from eventlet import patcher
        patcher._state.patched.update({"cycle_a", "cycle_b"})  # as if green modules had patched them
        a = patcher.original("cycle_a")
        assert a.cycle_b is patcher.original("cycle_b")
        assert a.cycle_b.cycle_a is not a and a.cycle_b.cycle_a.__name__ == "cycle_a"
        print("ok")
        """,
        tmp_path,
    )
    assert out == "ok\n"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_coroutines_run_in_a_forked_child(tmp_path: Path) -> None:
    """asyncio 3.12+ forgets its running loop in a child; the hub's loop goes on running there."""
    out = run_child(
        """
        import asyncio, os
        import eventlet
        from eventlet.asyncio import spawn_for_awaitable
        from eventlet.hubs import get_hub

        async def answer():
            await asyncio.sleep(0.001)
            assert asyncio.get_running_loop() is get_hub().loop
            return os.getpid()

        assert spawn_for_awaitable(answer()).wait() == os.getpid()
        pid = os.fork()
        if pid == 0:
            ok = spawn_for_awaitable(answer()).wait() == os.getpid()
            ok = ok and asyncio.get_event_loop() is get_hub().loop
            os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        print("ok")
        """,
        tmp_path,
        _ASYNCIO_HUB,
    )
    assert out == "ok\n"
