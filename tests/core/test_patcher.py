"""eventlet.patcher: monkey_patch (in child processes: it is process-wide), import_patched, original."""

from __future__ import annotations

import logging
import os
import socket as std_socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from eventlet import patcher
from eventlet._patching.green import patched_names
from eventlet._patching.psycopg import patch_psycopg
from eventlet._patching.state import PatchState
from eventlet.green import socket as green_socket


def run_python(
    source: str, cwd: Path, env: dict[str, str] | None = None, args: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """Run ``source`` in a new interpreter with this environment (plus ``env``); it must succeed."""
    environment = dict(os.environ)
    environment.update(env or {})
    proc = subprocess.run(
        [sys.executable, *args, "-c", textwrap.dedent(source)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env=environment,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc


# ----------------------------------------------------------------------------- in this process
def test_unknown_keyword_is_refused() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'sockets'"):
        patcher.monkey_patch(sockets=True)
    assert not patcher.is_monkey_patched("socket")


def test_no_patch_environment_variable(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("EVENTLET_NO_PATCH", "1")
    with caplog.at_level(logging.INFO, logger="eventlet.patcher"):
        patcher.monkey_patch()
    assert "EVENTLET_NO_PATCH" in caplog.text
    assert not patcher.is_monkey_patched("thread")
    assert std_socket.socket is not green_socket.socket


def test_original_of_an_unpatched_module_is_a_fresh_cached_copy() -> None:
    fresh = patcher.original("socket")
    assert fresh is not std_socket
    assert fresh.__name__ == "socket"
    assert patcher.original("socket") is fresh
    assert sys.modules["socket"] is std_socket
    assert patcher.original_attr("socket", "socket") is std_socket.socket
    assert patcher.original_attr("socket", "no_such_name", 7) == 7


def test_is_monkey_patched_accepts_modules() -> None:
    assert not patcher.is_monkey_patched(std_socket)


def test_import_patched_gives_a_private_green_copy() -> None:
    had_ftplib = "ftplib" in sys.modules
    ftp = patcher.import_patched("ftplib", socket=green_socket)
    assert ftp.socket is green_socket
    assert ftp is not sys.modules.get("ftplib")
    assert ("ftplib" in sys.modules) == had_ftplib
    default = patcher.import_patched("smtplib")
    assert default.socket is green_socket
    if "smtplib" in sys.modules:
        assert sys.modules["smtplib"].socket is std_socket


def test_import_patched_restores_the_parent_package_attribute() -> None:
    import http.client as std_client

    copy = patcher.import_patched("http.client", ("socket", green_socket))
    assert copy is not std_client
    assert copy.socket is green_socket
    import http

    assert http.client is std_client
    assert sys.modules["http.client"] is std_client


def test_import_patched_of_a_new_dotted_module_leaves_no_trace() -> None:
    name = "xmlrpc.client"
    had = name in sys.modules
    copy = patcher.import_patched(name, ("socket", green_socket))
    assert copy.socket is green_socket if hasattr(copy, "socket") else True
    assert (name in sys.modules) == had


def test_inject_fills_new_globals() -> None:
    namespace: dict[str, object] = {}
    module = patcher.inject("socketserver", namespace, ("socket", green_socket))
    assert namespace["socket"] is green_socket
    assert namespace["TCPServer"] is module.TCPServer
    assert "__name__" not in namespace


def test_green_module_table_includes_entry_points() -> None:
    table = patcher._state.green_module_names()
    assert table["socket"][0] == "eventlet.green.socket"
    assert table["_thread"] == ["eventlet.green.thread"]
    keywords = patcher._state.keyword_table()
    assert keywords["thread"] == ("_thread", "threading", "queue")
    assert all(isinstance(v, tuple) for v in keywords.values())


def test_missing_green_module_is_reported(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    state = PatchState()
    monkeypatch.setattr(state, "_green_names", {"fakemod": ["eventlet.green.no_such_module"]})
    with caplog.at_level(logging.WARNING, logger="eventlet.patcher"):
        assert state.load_green("fakemod") == []
        assert state.load_green("unknown") == []
    assert "not installed" in caplog.text


def test_patched_names_default_rule() -> None:
    import types

    target = types.ModuleType("target")
    target.shared = 1  # type: ignore[attr-defined]
    target.same = len  # type: ignore[attr-defined]
    green = types.ModuleType("green")
    green.shared = 2  # type: ignore[attr-defined]
    green.same = len  # type: ignore[attr-defined]
    green.only_here = 3  # type: ignore[attr-defined]
    green._private = 4  # type: ignore[attr-defined]
    green.os = os  # type: ignore[attr-defined]
    assert patched_names(green, target) == ["shared"]
    green.__patched__ = ["same"]  # type: ignore[attr-defined]
    assert patched_names(green, target) == ["same"]


# ------------------------------------------------------------------------- patched, in children
def test_monkey_patch_everything(tmp_path: Path) -> None:
    proc = run_python(
        """
        import eventlet
        from eventlet import patcher
        eventlet.monkey_patch()
        import socket, time, select, selectors, threading, _thread, queue, os
        from eventlet.green import socket as gs, time as gt, thread as gth
        assert socket.socket is gs.socket and time.sleep is gt.sleep
        assert _thread.allocate_lock is gth.allocate_lock and threading.Lock is gth.allocate_lock \\
            or threading.Lock is gth.LockType
        for name in ("socket", "thread", "time", "select", "os", "_thread", "threading", "queue"):
            assert patcher.is_monkey_patched(name), name
        assert patcher.is_monkey_patched(socket)
        assert patcher.original("socket").socket is not gs.socket
        assert patcher.original("_thread").allocate_lock().__class__.__module__ == "_thread"
        assert patcher.original("_thread") is patcher.original("_thread")
        real_lock = patcher.original("threading").Lock()
        assert type(real_lock).__module__ == "_thread", type(real_lock)
        assert patcher.original("time").sleep is not gt.sleep
        before = dict(vars(socket))
        eventlet.monkey_patch()  # idempotent
        assert dict(vars(socket)) == before
        print("ok")
        """,
        tmp_path,
    )
    assert proc.stdout.strip() == "ok"


def test_monkey_patch_keyword_selection(tmp_path: Path) -> None:
    proc = run_python(
        """
        import eventlet
        from eventlet import patcher
        eventlet.monkey_patch(time=True)
        import socket, time
        assert patcher.is_monkey_patched("time") and not patcher.is_monkey_patched("socket")
        eventlet.monkey_patch(socket=False, thread=False)
        assert patcher.is_monkey_patched("os") and not patcher.is_monkey_patched("socket")
        assert not patcher.is_monkey_patched("thread")
        eventlet.monkey_patch(all=False, socket=True, builtins=True, MySQLdb=True, psycopg=False)
        assert patcher.is_monkey_patched("socket") and not patcher.is_monkey_patched("thread")
        print("ok")
        """,
        tmp_path,
    )
    assert proc.stdout.strip() == "ok"


def test_eventlet_modules_keep_the_blocking_originals(tmp_path: Path) -> None:
    proc = run_python(
        """
        import eventlet
        eventlet.monkey_patch()
        import select, os, threading
        import eventlet.hubs.poll as late   # imported after patching
        import eventlet.hubs.hub as early
        import eventlet.hubs._wakeup as wakeup
        assert late.select is not select and late.select.poll is not select.poll
        assert wakeup.os.read is not os.read
        assert early.threading.get_ident is not threading.get_ident
        assert early.threading.local is not threading.local
        eventlet.hubs.use_hub("poll")
        eventlet.sleep(0.001)
        print("ok")
        """,
        tmp_path,
    )
    assert proc.stdout.strip() == "ok"


def test_warning_for_references_taken_before_patching(tmp_path: Path) -> None:
    proc = run_python(
        """
        import warnings
        from socket import create_connection
        import eventlet
        from eventlet.patcher import MonkeyPatchWarning
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            eventlet.monkey_patch()
            eventlet.monkey_patch(all=True)
        messages = [str(w.message) for w in caught if issubclass(w.category, MonkeyPatchWarning)]
        assert len(messages) == 1, messages
        assert "__main__.create_connection" in messages[0], messages
        print("ok")
        """,
        tmp_path,
    )
    assert proc.stdout.strip() == "ok"


def test_no_warning_for_a_clean_start(tmp_path: Path) -> None:
    proc = run_python(
        """
        import eventlet, socket, threading, logging
        eventlet.monkey_patch()
        import ssl, http.client, asyncio
        print("ok")
        """,
        tmp_path,
        args=("-W", "error::RuntimeWarning"),
    )
    assert proc.stdout.strip() == "ok"
    assert "MonkeyPatchWarning" not in proc.stderr


def test_warning_for_held_locks_and_running_threads(tmp_path: Path) -> None:
    proc = run_python(
        """
        import threading, warnings, time
        held = threading.Lock(); held.acquire()
        stop = threading.Event()
        worker = threading.Thread(target=stop.wait, name="early-worker"); worker.start()
        import eventlet
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            eventlet.monkey_patch()
        text = " | ".join(str(w.message) for w in caught)
        assert "__main__.held" in text and "early-worker" in text, text
        assert type(held).__module__ == "_thread"
        from eventlet import patcher
        patcher.original("threading")  # the real Event type, reached through the original module
        stop.set()
        worker.join()
        print("ok")
        """,
        tmp_path,
    )
    assert proc.stdout.strip() == "ok"


def test_existing_locks_everywhere_become_green(tmp_path: Path) -> None:
    proc = run_python(
        """
        import threading, logging, queue
        lock = threading.Lock()
        rlock = threading.RLock()
        in_list = [threading.Lock()]
        class Holder:
            class_lock = threading.Lock()
            def __init__(self): self.lock = threading.Lock()
        class Slotted:
            __slots__ = ("lock",)
            def __init__(self): self.lock = threading.RLock()
        holder, slotted = Holder(), Slotted()
        def make():
            captured = threading.Lock()
            return lambda: captured
        closure = make()
        cond = threading.Condition(threading.RLock())
        owned = threading.RLock(); owned.acquire()
        import eventlet
        eventlet.monkey_patch()
        from eventlet.green import thread as g
        assert isinstance(lock, g.LockType) and isinstance(rlock, g.RLock)
        assert isinstance(in_list[0], g.LockType)
        assert isinstance(Holder.class_lock, g.LockType) and isinstance(holder.lock, g.LockType)
        assert isinstance(slotted.lock, g.RLock)
        assert isinstance(closure(), g.LockType)
        assert isinstance(cond._lock, g.RLock) and cond._release_save.__self__ is cond._lock
        assert isinstance(logging._lock, g.RLock) if hasattr(logging, "_lock") else True
        assert type(owned).__module__ == "_thread"  # held by this thread: left alone
        print("ok")
        """,
        tmp_path,
    )
    assert proc.stdout.strip() == "ok"


def test_entry_point_green_modules(tmp_path: Path) -> None:
    (tmp_path / "fakemod.py").write_text(
        "def block():\n    return 'blocking'\nVALUE = 1\nblocking_only = 'x'\n"
    )
    (tmp_path / "fakegreen.py").write_text(
        "import fakemod\ndef block():\n    return 'green'\nVALUE = 2\n_hidden = 3\n"
        "__deleted__ = ['blocking_only', 'never_there']\n"
    )
    dist = tmp_path / "fakegreen-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fakegreen\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[eventlet.green_modules]\nfakemod = fakegreen\nnotinstalled = fakegreen_missing\n"
    )
    proc = run_python(
        """
        import logging, sys; sys.path.insert(0, ".")
        logging.basicConfig()  # eventlet's loggers have only a NullHandler until the app configures
        import eventlet, fakemod
        from eventlet import patcher
        eventlet.monkey_patch(fakemod=False)
        assert fakemod.block() == "blocking"
        eventlet.monkey_patch(fakemod=True)
        assert fakemod.block() == "green" and fakemod.VALUE == 2
        assert not hasattr(fakemod, "blocking_only") and not hasattr(fakemod, "never_there")
        assert patcher.original("fakemod").block() == "blocking"
        assert patcher.original_attr("fakemod", "VALUE") == 1
        assert patcher.original_attr("fakemod", "blocking_only") == "x"
        assert patcher._state.shadow("fakemod").blocking_only == "x"
        assert not hasattr(patcher._state.shadow("fakemod"), "never_there")
        eventlet.monkey_patch(notinstalled=True)
        print("ok")
        """,
        tmp_path,
    )
    assert proc.stdout.strip() == "ok"
    assert "fakegreen_missing" in proc.stderr


def test_psycopg_wait_callback(tmp_path: Path) -> None:
    package = tmp_path / "psycopg2"
    package.mkdir()
    (package / "__init__.py").write_text("class OperationalError(Exception):\n    pass\n")
    (package / "extensions.py").write_text(
        "POLL_OK, POLL_READ, POLL_WRITE = 0, 1, 2\ncallback = None\n"
        "def set_wait_callback(f):\n    global callback\n    callback = f\n"
    )
    proc = run_python(
        """
        import sys; sys.path.insert(0, ".")
        import eventlet
        from eventlet.green import socket
        eventlet.monkey_patch(psycopg=True)
        from psycopg2 import extensions, OperationalError
        wait = extensions.callback
        assert wait is not None
        a, b = socket.socketpair()
        class Conn:
            def __init__(self, states): self.states = list(states)
            def fileno(self): return a.fileno()
            def poll(self): return self.states.pop(0)
        eventlet.spawn(b.send, b"x")
        wait(Conn([extensions.POLL_WRITE, extensions.POLL_READ, extensions.POLL_OK]))
        try:
            wait(Conn([99]))
        except OperationalError as exc:
            print("bad state:", exc)
        print("ok")
        """,
        tmp_path,
    )
    assert proc.stdout.splitlines() == ["bad state: Bad result from poll: 99", "ok"]


def test_psycopg_not_installed_is_a_noop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg2.extensions", None)  # makes the import fail
    monkeypatch.delitem(sys.modules, "psycopg.waiting", raising=False)  # psycopg 3 not imported either
    monkeypatch.setenv("PSYCOPG_WAIT_FUNC", "wait_poll")  # restored afterwards
    assert patch_psycopg() is False


def test_psycopg_real_driver_gets_the_callback(tmp_path: Path) -> None:
    pytest.importorskip("psycopg2")
    proc = run_python(
        """
        import eventlet
        from eventlet import patcher
        eventlet.monkey_patch(psycopg=True)
        from psycopg2 import extensions
        print(extensions.get_wait_callback() is patcher._psycopg_wait)
        """,
        tmp_path,
    )
    assert proc.stdout.strip() == "True"


def test_psycopg3_is_made_to_wait_greenly() -> None:
    """psycopg 3's C waiter would block the hub: monkey_patch() picks its select.poll waiter."""
    pytest.importorskip("psycopg")
    code = """
import os, sys
before = sys.argv[1] == "before"
if before:
    import psycopg.waiting
import eventlet
eventlet.monkey_patch()
import psycopg.waiting
assert psycopg.waiting.wait is psycopg.waiting.wait_poll, psycopg.waiting.wait
print("env", os.environ.get("PSYCOPG_WAIT_FUNC"))
"""
    env = {k: v for k, v in os.environ.items() if k != "PSYCOPG_WAIT_FUNC"}
    for order, expected in (("before", "env None"), ("after", "env wait_poll")):
        result = subprocess.run(
            [sys.executable, "-c", code, order], capture_output=True, text=True, env=env, timeout=60
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == expected


# ------------------------------------------------------------------- upstream's names and keywords
@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("monkey_patch()", "os,select,socket,subprocess,thread,time"),
        ("monkey_patch(all=True, socket=True)", "os,select,socket,subprocess,thread,time"),
        ("monkey_patch(all=False, socket=False, select=True)", "select"),
        ("monkey_patch(socket=False, time=False)", "os,select,subprocess,thread"),
        ("monkey_patch(socket=True, select=True)", "select,socket"),
        ("monkey_patch(builtins=True)", "builtins"),
        ("monkey_patch(__builtin__=True, MySQLdb=True)", "MySQLdb,builtins"),
    ],
)
def test_already_patched_lists_the_keywords_applied(tmp_path: Path, call: str, expected: str) -> None:
    proc = run_python(
        f"""
        import builtins
        from eventlet import patcher
        from eventlet.green import builtin
        patcher.{call}
        keys = sorted(k for k in patcher.already_patched if k != "psycopg")
        assert all(patcher.already_patched[k] is True for k in keys)
        assert all(patcher.is_monkey_patched(k) for k in keys)
        assert (builtins.open is builtin.open) == ("builtins" in keys)
        print(",".join(keys))
        """,
        tmp_path,
    )
    assert proc.stdout.strip() == expected


def test_builtin_and_its_old_name_together_are_refused() -> None:
    with pytest.raises(TypeError, match="both builtins and __builtin__"):
        patcher.monkey_patch(builtins=True, __builtin__=True)
    assert "builtins" not in patcher.already_patched


def test_psycopg_counts_as_patched_only_once_a_driver_took_the_hook(tmp_path: Path) -> None:
    proc = run_python(
        """
        import sys
        sys.modules["psycopg2.extensions"] = None  # neither driver can be imported
        sys.modules["psycopg.waiting"] = None
        from eventlet import patcher
        patcher.monkey_patch(psycopg=True)
        print(patcher.is_monkey_patched("psycopg"), sorted(patcher.already_patched))
        """,
        tmp_path,
    )
    assert proc.stdout.split("\n")[0] == "False []"


def test_green_open_drops_a_stale_registration(tmp_path: Path, green_hub: Any) -> None:
    """A descriptor closed behind the hub's back and opened again is forgotten by the hub."""
    from eventlet import hubs
    from eventlet.green import builtin

    hub = hubs.get_hub()
    for opener in (open, builtin.open):
        a, b = green_socket.socketpair()
        fd = a.fileno()
        a.settimeout(0.001)
        with pytest.raises(TimeoutError):
            a.recv(1)
        assert fd in hub._fds  # the hub keeps a green socket's registration for its next wait
        os.close(fd)  # closed without telling the hub
        with opener(tmp_path / "file", "wb") as reopened:
            assert reopened.fileno() == fd
            assert (fd in hub._fds) == (opener is open)
        hub.mark_as_reopened(fd)
        a.detach()  # its descriptor is long gone
        b.close()
    assert builtin.open.__module__ == "eventlet.green.builtin"
    assert builtin.len is len  # type: ignore[attr-defined]  # copied
    assert builtin.__patched__ == ["open"]
    with pytest.raises(AttributeError):
        builtin.__no_such_name__  # type: ignore[attr-defined]  # noqa: B018 - deliberately missing
    with pytest.raises(AttributeError):
        builtin.no_such_builtin  # type: ignore[attr-defined]  # noqa: B018 - deliberately missing


def test_import_patched_reimports_the_packages_own_submodules(tmp_path: Path) -> None:
    package = tmp_path / "pkg_with_sub"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("from .sub import socket_module\n")
    (package / "sub" / "__init__.py").write_text("import socket\ndef socket_module():\n    return socket\n")
    proc = run_python(
        """
        import sys; sys.path.insert(0, ".")
        import pkg_with_sub, pkg_with_sub.sub
        from eventlet import patcher
        from eventlet.green import socket as green_socket
        copy = patcher.import_patched("pkg_with_sub")
        assert copy.socket_module() is green_socket
        assert pkg_with_sub.socket_module() is not green_socket
        assert sys.modules["pkg_with_sub.sub"] is pkg_with_sub.sub
        assert pkg_with_sub.sub.socket_module() is not green_socket
        print("ok")
        """,
        tmp_path,
    )
    assert proc.stdout.strip() == "ok"


def test_imports_keep_os_level_locks(tmp_path: Path) -> None:
    """The import lock is a real lock: OS threads and green threads import side by side."""
    (tmp_path / "slow_import.py").write_text("import time\ntime.sleep(0.05)\nVALUE = 1\n")
    proc = run_python(
        """
        import sys; sys.path.insert(0, ".")
        import eventlet, importlib._bootstrap as bootstrap
        eventlet.monkey_patch()
        import _thread
        from eventlet import patcher
        assert bootstrap._thread.allocate_lock is patcher.original_attr("_thread", "allocate_lock")
        assert bootstrap._thread.allocate_lock is not _thread.allocate_lock
        threading = patcher.original("threading")
        results = []
        def load():
            import slow_import
            results.append(slow_import.VALUE)
        threads = [threading.Thread(target=load) for _ in range(3)]
        for t in threads: t.start()
        green = [eventlet.spawn(load) for _ in range(3)]
        load()
        for t in threads: t.join()
        for g in green: g.wait()
        print(results)
        """,
        tmp_path,
    )
    assert proc.stdout.strip() == "[1, 1, 1, 1, 1, 1, 1]"


def test_patched_select_offers_only_green_mechanisms(tmp_path: Path) -> None:
    from eventlet.green import select as green_select
    from eventlet.green import selectors as green_selectors

    assert sorted(green_select.__deleted__) == ["devpoll", "kevent", "kqueue"]
    assert green_selectors.__deleted__ == ["DevpollSelector", "KqueueSelector"]
    proc = run_python(
        """
        import eventlet
        eventlet.monkey_patch()
        import select, selectors
        from eventlet.green import select as gs, selectors as gsel
        for name in ("devpoll", "kevent", "kqueue"):
            assert not hasattr(select, name), name
        for name in ("DevpollSelector", "KqueueSelector"):
            assert not hasattr(selectors, name), name
        assert select.select is gs.select and select.poll is gs.poll
        assert getattr(select, "epoll", None) is getattr(gs, "epoll", None)
        assert selectors.DefaultSelector is gsel.DefaultSelector
        with selectors.DefaultSelector() as sel:
            r, w = __import__("socket").socketpair()
            sel.register(r, selectors.EVENT_READ)
            eventlet.spawn_after(0.001, w.send, b"x")
            assert [key.fileobj for key, _ in sel.select(5)] == [r]
        print("ok")
        """,
        tmp_path,
    )
    assert proc.stdout.strip() == "ok"
