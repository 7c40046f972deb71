"""Helpers for the eventlet-processes tests: leak checks and the two I/O modes."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from eventlet.processes._streams import MODE_ENV


def open_fds() -> set[int]:
    """The fds this process has open (Linux: /proc/self/fd)."""
    return {int(name) for name in os.listdir("/proc/self/fd")}


def zombie_children() -> list[int]:
    """Pids of this process's children that exited and were not reaped."""
    me = os.getpid()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == "Z" and int(fields[1]) == me:
            found.append(int(name))
    return found


def process_state(pid: int) -> str | None:
    """The state letter of ``pid`` (``"Z"`` for a zombie), or None if there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


@pytest.fixture(params=["poll", "thread"])
def io_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test with pollable pipes and pidfds, then with the thread-based (Windows) path."""
    monkeypatch.setenv(MODE_ENV, request.param)
    mode: str = request.param
    return mode


@pytest.fixture
def no_leaks() -> Iterator[None]:
    """Fail if the test leaves fds open or children unreaped."""
    before = open_fds()
    yield
    leaked = open_fds() - before
    assert not leaked, f"fds leaked: {sorted(leaked)}"
    assert not zombie_children()
