"""Choosing a hub (use_hub, EVENTLET_HUB), one hub per thread, fork, and a side-effect-free import."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import traceback
import types
from collections.abc import Iterator

import pytest

import eventlet
from eventlet import hubs
from eventlet.hubs import epolls, poll, selects
from eventlet.hubs.hub import BaseHub


@pytest.fixture
def restore_hub_class() -> Iterator[None]:
    saved = hubs._registry.hub_class
    yield
    current = hubs._hub_if_exists()
    if current is not None and current.running:
        current.abort(wait=True)
    hubs._registry.hub_class = saved
    hubs.set_hub(None)
    if current is not None:
        current.close()


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("poll", poll.Hub),
        ("selects", selects.Hub),
        ("epolls", epolls.Hub),
        ("epoll", epolls.Hub),
        (poll, poll.Hub),
        (selects.Hub, selects.Hub),
        ("eventlet.hubs.poll", poll.Hub),
        ("eventlet.hubs.selects:Hub", selects.Hub),
        ("selects:Hub", selects.Hub),
    ],
)
def test_use_hub_by_name_module_class(spec: object, expected: type[BaseHub], restore_hub_class: None) -> None:
    old = hubs.get_hub()
    hubs.use_hub(spec)  # type: ignore[arg-type]
    assert old.closed
    hub = hubs.get_hub()
    assert type(hub) is expected
    assert hubs.get_default_hub().Hub is expected
    assert eventlet.spawn(lambda: 42).wait() == 42


def test_use_hub_none_is_the_platform_default(restore_hub_class: None) -> None:
    hubs.use_hub("poll")
    hubs.use_hub(None)
    assert type(hubs.get_hub()) is hubs._resolve(None)
    assert hubs.get_hub().name in ("epolls", "kqueue", "poll", "selects")


@pytest.mark.parametrize(
    ("spec", "error", "match"),
    [
        ("nonesuch", ValueError, "Unknown hub"),
        ("nonesuch_module_xyz:Hub", ValueError, "Unknown hub"),
        ("selects:Nope", ValueError, "no attribute 'Nope'"),
        ("kqueue", ValueError, "not available"),
        ("eventlet.hubs.hub", ValueError, "has no Hub class"),
    ],
)
def test_use_hub_errors(spec: object, error: type[Exception], match: str, restore_hub_class: None) -> None:
    if spec == "kqueue" and hasattr(__import__("select"), "kqueue"):  # pragma: no cover - BSD/macOS
        pytest.skip("kqueue is available here")
    with pytest.raises(error, match=match):
        hubs.use_hub(spec)  # type: ignore[arg-type]


def test_use_hub_refuses_while_the_hub_runs_in_a_green_thread(restore_hub_class: None) -> None:
    saved = hubs._registry.hub_class
    errors = []

    def change() -> None:
        try:
            hubs.use_hub("selects")
        except RuntimeError as exc:
            errors.append(exc)

    eventlet.spawn(change).wait()
    assert errors
    assert hubs._registry.hub_class is saved


class _HubOfItsOwn:
    """A hub class that does not derive from BaseHub, as upstream's use_hub() accepts."""

    def __init__(self) -> None:
        self.initialized = False

    def _post_initialize(self) -> None:
        self.initialized = True


def test_use_hub_accepts_any_class(restore_hub_class: None) -> None:
    hubs.use_hub(_HubOfItsOwn)  # type: ignore[arg-type]
    hub = hubs.get_hub()
    assert isinstance(hub, _HubOfItsOwn)
    assert hub.initialized
    hubs._registry.after_fork()  # what a fork runs: nothing to renew on such a hub
    hubs.use_hub(None)  # replacing it does not need close()
    assert isinstance(hubs.get_hub(), BaseHub)


def test_module_without_is_available(restore_hub_class: None) -> None:
    module = types.ModuleType("custom_hub")
    module.Hub = poll.Hub  # type: ignore[attr-defined]
    hubs.use_hub(module)
    assert type(hubs.get_hub()) is poll.Hub


def test_set_hub_swaps_and_returns_the_previous(restore_hub_class: None) -> None:
    first = hubs.get_hub()
    second = selects.Hub()
    assert hubs.set_hub(second) is first
    assert hubs.get_hub() is second
    assert hubs.set_hub(None) is second
    assert hubs.set_hub(None) is None
    assert hubs.get_hub() not in (first, second)
    first.close()
    second.close()


def test_each_thread_has_its_own_hub() -> None:
    here = hubs.get_hub()
    seen: list[BaseHub] = []

    def other() -> None:
        seen.append(hubs.get_hub())
        eventlet.sleep(0.001)
        seen[0].close()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert seen
    assert seen[0] is not here
    assert seen[0].thread_ident != here.thread_ident


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "EVENTLET_HUB"}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=full_env, timeout=60, check=False
    )


@pytest.mark.parametrize("name", ["poll", "selects", "asyncio", "epolls"])
def test_eventlet_hub_environment_variable(name: str) -> None:
    result = _run("import eventlet.hubs as h; print(h.get_hub().name)", EVENTLET_HUB=name)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == name


def test_bad_eventlet_hub_environment_variable() -> None:
    result = _run("import eventlet; eventlet.sleep(0)", EVENTLET_HUB="nonesuch")
    assert result.returncode != 0
    assert "Unknown hub 'nonesuch'" in result.stderr


def test_import_eventlet_has_no_side_effects() -> None:
    code = """
import sys, threading, socket, time, select
before_threads = threading.active_count()
originals = (socket.socket, time.sleep, select.select, threading.Thread)
import eventlet
import eventlet.hubs
assert threading.active_count() == before_threads, "a thread was started"
assert (socket.socket, time.sleep, select.select, threading.Thread) == originals, "something was patched"
assert getattr(eventlet.hubs._registry.local, "hub", None) is None, "a hub was created"
assert "eventlet.greenthread" not in sys.modules, "eager imports"
"""
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == ""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.parametrize("name", ["epolls", "poll", "selects", "asyncio"])
def test_fork_leaves_a_working_hub_in_the_child(name: str, restore_hub_class: None) -> None:
    hubs.use_hub(name)
    hub = hubs.get_hub()
    a, b = socket.socketpair()
    a.setblocking(False)
    waiter = eventlet.spawn(hubs.trampoline, a, read=True)  # an fd waiter that crosses the fork
    eventlet.sleep(0)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit status
        status = 1
        try:
            child_hub = hubs.get_hub()
            assert child_hub is hub
            assert child_hub.thread_ident == threading.get_ident()
            b.send(b"x")
            assert waiter.wait() == a.fileno()
            eventlet.sleep(0.001)
            done: eventlet.Event[int] = eventlet.Event()
            thread = threading.Thread(target=lambda: child_hub.call_threadsafe(done.send, 1))
            thread.start()
            thread.join()
            # Woken by the call (the wake-up fd works after the fork), not by a timer racing it.
            assert done.wait(timeout=10) == 1
            status = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(status)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    # the parent's hub is untouched by the child
    b.send(b"y")
    assert waiter.wait() == a.fileno()
    hubs.notify_close(a.fileno())
    a.close()
    b.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_with_an_fd_closed_in_the_child(restore_hub_class: None) -> None:
    """Re-registering after fork: an fd that no longer exists wakes its waiters with EBADF."""
    hubs.use_hub("epolls")  # epoll refuses a closed fd at once (poll would accept the number)
    r, w = os.pipe()
    hub = hubs.get_hub()
    state = hub._fds.setdefault(r, hubs.hub._FdState())
    listener = hubs.FdListener(hubs.READ, r, lambda fd: None, None)
    state.readers.append(listener)
    kept = hub._fds.setdefault(w, hubs.hub._FdState())
    kept.serial = 5
    os.close(r)  # now registering r fails in the fresh backend
    hub._close_backend()
    hub._init_backend()
    hub._reregister_all()
    assert r not in hub._fds
    assert w not in hub._fds
    assert listener.spent
    os.close(w)


def test_notify_functions_without_a_hub() -> None:
    done: list[bool] = []

    def fresh_thread() -> None:
        hubs.notify_close(0)  # no hub in this thread: nothing to tell, nothing created
        hubs.notify_opened(0)
        done.append(hubs._hub_if_exists() is None)

    thread = threading.Thread(target=fresh_thread)
    thread.start()
    thread.join()
    assert done == [True]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_from_a_thread_without_a_hub() -> None:
    hubs.get_hub()  # the fork hook is installed
    statuses: list[int] = []

    def forker() -> None:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child reports through its exit status
            os._exit(0 if hubs._hub_if_exists() is None else 1)
        statuses.append(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))

    thread = threading.Thread(target=forker)
    thread.start()
    thread.join()
    assert statuses == [0]
