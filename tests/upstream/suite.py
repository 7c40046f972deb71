"""Which of upstream eventlet's test files run, in which group, and how.

The groups are the ones the conformance goal is counted by (issue 11): ``core``, ``wsgi``, ``ssl``,
``subprocess``, ``patcher``, ``other`` (every remaining file that needs no database or zmq server)
and ``asyncio`` (``asyncio_test.py``, which skips itself unless the asyncio hub is selected, run
with ``EVENTLET_HUB=asyncio``).  A test file the table does not name falls into ``other``, so a
newer sdist cannot hide a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

GROUPS: dict[str, tuple[str, ...]] = {
    "core": (
        "api_test.py",
        "greenthread_test.py",
        "greenpool_test.py",
        "queue_test.py",
        "event_test.py",
        "test__event.py",
        "semaphore_test.py",
        "timeout_test.py",
        "timeout_with_statement_test.py",
        "convenience_test.py",
        "socket_test.py",
        "test__socket_errors.py",
        "thread_test.py",
        "os_test.py",
        "green_select_test.py",
        "test__greenness.py",
        "tpool_test.py",
        "debug_test.py",
        "hub_test.py",
        "timer_test.py",
        "greenio_test.py",
    ),
    "wsgi": ("wsgi_test.py", "websocket_test.py", "websocket_new_test.py", "green_http_test.py"),
    "ssl": ("ssl_test.py", "openssl_test.py"),
    "subprocess": ("subprocess_test.py",),
    "patcher": ("patcher_test.py",),
    "other": (),  # everything not named elsewhere, see `plan`
    "asyncio": ("asyncio_test.py",),
}

#: Files that are not run, with the reason (they pass nothing on upstream without these servers).
EXCLUDED: dict[str, str] = {
    "zmq_test.py": "needs pyzmq and exercises eventlet.green.zmq, which is not provided",
    "mysqldb_test.py": "needs a MySQL server",
    "patcher_psycopg_test.py": "needs a PostgreSQL server (EVENTLET_DB_TEST_AUTH)",
}

#: Tests that would send packets to 192.0.2.1 (TEST-NET-1): no test may leave the loopback.
DESELECTED: tuple[str, ...] = (
    "greenio_test.py::TestGreenSocket::test_connect_timeout",
    "greenio_test.py::TestGreenSocket::test_connect_ex_timeout",
    "socket_test.py::test_create_connection_error",
)

#: Extra environment per file (the asyncio group runs on the asyncio hub).
FILE_ENV: dict[str, dict[str, str]] = {"asyncio_test.py": {"EVENTLET_HUB": "asyncio"}}

#: Files that take longest, started first so that parallel runs finish together.
SLOW_FIRST = ("patcher_test.py", "wsgi_test.py", "greenio_test.py", "greenpool_test.py", "hub_test.py")


@dataclass(frozen=True)
class FileRun:
    """One test file, run in its own pytest process."""

    name: str
    group: str
    env: dict[str, str] = field(default_factory=dict)

    @property
    def stem(self) -> str:
        """The file name without ``.py``: the name of its junit and log files."""
        return self.name.removesuffix(".py")

    def deselected(self) -> list[str]:
        """The ``--deselect`` node ids for this file, relative to the extracted root."""
        return [f"tests/{test}" for test in DESELECTED if test.split("::", 1)[0] == self.name]


def test_files(tests_dir: Path) -> list[str]:
    """The test files pytest would collect at the top of upstream's ``tests/`` folder."""
    names = {p.name for p in tests_dir.glob("*_test.py")} | {p.name for p in tests_dir.glob("test_*.py")}
    return sorted(names)


def group_of(file_name: str) -> str:
    """The group a test file is counted in (``other`` for files no group names)."""
    for group, names in GROUPS.items():
        if file_name in names:
            return group
    return "other"


def group_of_test(test_id: str) -> str:
    """The group of a test id (``file.py::...``)."""
    return group_of(test_id.split("::", 1)[0])


def plan(
    available: list[str], groups: set[str] | None = None, files: set[str] | None = None
) -> list[FileRun]:
    """The files to run, slowest first; ``groups``/``files`` narrow the selection."""
    runs = []
    for name in available:
        if name in EXCLUDED:
            continue
        group = group_of(name)
        if groups is not None and group not in groups:
            continue
        if files is not None and name not in files and name.removesuffix(".py") not in files:
            continue
        runs.append(FileRun(name, group, dict(FILE_ENV.get(name, {}))))
    order = {name: index for index, name in enumerate(SLOW_FIRST)}
    runs.sort(key=lambda run: (order.get(run.name, len(order)), run.name))
    return runs
