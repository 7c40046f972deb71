"""Name resolution through worker threads: libc's answers, and the hub keeps turning."""

from __future__ import annotations

import os
import socket as stdsocket
import threading

import pytest

import eventlet
from eventlet import _resolver
from eventlet.green import socket
from eventlet.hubs import get_hub

pytestmark = pytest.mark.usefixtures("any_hub")


def test_getaddrinfo_matches_libc() -> None:
    assert socket.getaddrinfo("localhost", 80, socket.AF_INET, socket.SOCK_STREAM) == stdsocket.getaddrinfo(
        "localhost", 80, socket.AF_INET, socket.SOCK_STREAM
    )
    infos = socket.getaddrinfo("127.0.0.1", "80")
    assert infos == stdsocket.getaddrinfo("127.0.0.1", "80")
    assert isinstance(infos[0][0], socket.AddressFamily)
    assert isinstance(infos[0][1], socket.SocketKind)
    assert socket.getaddrinfo(None, 0, flags=socket.AI_PASSIVE) == stdsocket.getaddrinfo(
        None, 0, flags=socket.AI_PASSIVE
    )
    assert socket.getaddrinfo(b"::1", "http") == stdsocket.getaddrinfo(b"::1", "http")


def test_getaddrinfo_keeps_unknown_enum_values_as_ints() -> None:
    from eventlet.green.socket import _as_enum

    assert _as_enum(12345, socket.AddressFamily) == 12345


def test_lookup_errors_are_the_stdlib_ones() -> None:
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("no-such-host.invalid", 80)
    with pytest.raises(socket.gaierror):
        socket.gethostbyname("no-such-host.invalid")


def test_the_other_lookups_match_libc() -> None:
    assert socket.gethostbyname("localhost") == stdsocket.gethostbyname("localhost")
    assert socket.gethostbyname("127.0.0.1") == "127.0.0.1"
    assert socket.gethostbyname_ex("localhost") == stdsocket.gethostbyname_ex("localhost")
    assert socket.gethostbyname_ex("127.0.0.1") == stdsocket.gethostbyname_ex("127.0.0.1")
    assert socket.gethostbyaddr("127.0.0.1") == stdsocket.gethostbyaddr("127.0.0.1")
    flags = socket.NI_NUMERICHOST | socket.NI_NUMERICSERV
    assert socket.getnameinfo(("127.0.0.1", 80), flags) == ("127.0.0.1", "80")
    assert socket.getnameinfo(("127.0.0.1", 80), 0) == stdsocket.getnameinfo(("127.0.0.1", 80), 0)
    assert socket.getfqdn("localhost") == stdsocket.getfqdn("localhost")
    assert socket.getfqdn() == stdsocket.getfqdn()
    assert socket.getfqdn("no-such-host.invalid") == "no-such-host.invalid"


def test_getfqdn_prefers_a_dotted_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    from eventlet.green import socket as green_socket

    monkeypatch.setattr(green_socket, "gethostbyaddr", lambda name: ("short", ["a.example"], []))
    assert green_socket.getfqdn("x") == "a.example"
    monkeypatch.setattr(green_socket, "gethostbyaddr", lambda name: ("short", ["alias"], []))
    assert green_socket.getfqdn("x") == "short"


def test_numeric_host_detection() -> None:
    assert _resolver.is_numeric_host("10.1.2.3")
    assert _resolver.is_numeric_host("fe80::1")
    assert _resolver.is_numeric_host(b"127.0.0.1")
    assert not _resolver.is_numeric_host(b"\xff")
    assert not _resolver.is_numeric_host("localhost")
    assert not _resolver.is_numeric_host(None)
    assert not _resolver.is_numeric_host("1.2.3.4\0")
    assert not _resolver._numeric_port(1.5)


def test_many_concurrent_lookups_do_not_block_the_hub() -> None:
    ticks = []
    running = True

    def ticker() -> None:
        while running:
            ticks.append(1)
            eventlet.sleep(0.0005)

    def slow_lookup(host: str) -> list[tuple[object, ...]]:
        return list(socket.getaddrinfo(host, 80))

    ticking = eventlet.spawn(ticker)
    eventlet.sleep(0)
    before = len(ticks)
    threads = [eventlet.spawn(slow_lookup, "localhost") for _ in range(100)]
    results = [thread.wait() for thread in threads]
    running = False
    ticking.wait()
    assert all(result == results[0] and result for result in results)
    assert _resolver.resolver_pool.workers <= _resolver.resolver_pool.max_workers
    # The worker threads answered while the hub kept switching to the ticker.
    assert len(ticks) > before


def test_a_blocked_resolver_call_leaves_other_green_threads_running() -> None:
    release = threading.Event()
    pool = _resolver.ResolverPool(max_workers=2)
    progress = []

    def blocked() -> str:
        release.wait(5)
        return "answer"

    def other() -> None:
        for n in range(3):
            progress.append(n)
            eventlet.sleep(0.001)
        release.set()

    helper = eventlet.spawn(other)
    assert pool.call(blocked) == "answer"
    helper.wait()
    assert progress == [0, 1, 2]
    with pytest.raises(ZeroDivisionError):
        pool.call(lambda: 1 / 0)


def test_a_caller_that_gives_up_is_not_woken_later() -> None:
    release = threading.Event()
    pool = _resolver.ResolverPool(max_workers=1)

    def blocked() -> str:
        release.wait(5)
        return "late"

    with pytest.raises(eventlet.Timeout), eventlet.Timeout(0.01):
        pool.call(blocked)
    release.set()
    # The late answer arrives while we sleep; it must not wake us early or elsewhere.
    eventlet.sleep(0.05)
    assert pool.call(lambda: "next") == "next"


def test_called_from_the_hub_runs_inline() -> None:
    pool = _resolver.ResolverPool(max_workers=1)
    seen = []
    get_hub().call_soon(lambda: seen.append(pool.call(threading.get_ident)))
    eventlet.sleep(0)
    assert seen == [threading.get_ident()]
    assert pool.workers == 0


def test_pool_arguments_and_fork() -> None:
    with pytest.raises(ValueError, match="max_workers must be at least 1"):
        _resolver.ResolverPool(max_workers=0)
    pool = _resolver.ResolverPool(max_workers=1)
    assert pool.call(lambda: 1) == 1
    assert pool.workers == 1
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 0 if pool.workers == 0 and pool.call(lambda: 2) == 2 else 1
        os._exit(code)
    _pid, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_connect_to_a_host_name_resolves_without_blocking() -> None:
    with socket.socket() as listener:
        listener.bind(("localhost", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with socket.socket() as client:
            client.connect(("localhost", port))
            conn, _ = listener.accept()
            conn.close()
        with socket.socket() as client:
            assert client.connect_ex(("localhost", port)) == 0
            listener.accept()[0].close()
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as unix:
        assert _resolver_address(unix, ("localhost", 1)) == ("localhost", 1)


def _resolver_address(sock: socket.socket, address: object) -> object:
    from eventlet.greenio._address import resolve_address

    return resolve_address(sock, address)


def test_after_fork_resets_the_pool_state() -> None:
    pool = _resolver.ResolverPool(max_workers=1)
    assert pool.call(lambda: 1) == 1
    pool._after_fork()
    assert pool.workers == 0
    assert pool._pending == 0
    assert pool.call(lambda: 3) == 3
