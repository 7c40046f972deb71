"""Real servers for the client tests: redis-server, PostgreSQL and RabbitMQ from Debian, per session.

Each fixture starts its server on a free 127.0.0.1 port in a temporary directory and stops it at
the end of the session; it skips (with the reason) when the server's program is not installed
(``.ci/services`` installs them), or fails where the environment must have it
(``OPENSTACK_CLIENTS_REQUIRED`` for RabbitMQ, set by tox's ``clients-openstack``).  PostgreSQL
refuses to run as root: as root the cluster is created and run as the ``postgres`` user (which
Debian's package creates) through ``runuser``.  RabbitMQ's boot is the slow one (seconds): the
session's summary says how long it took (``_rabbitmq.py``).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.clients import _rabbitmq
from tests.clients._support import free_port

START_TIMEOUT = 20.0


@dataclass
class Service:
    """A running server: where it listens and where its files are."""

    host: str
    port: int
    directory: Path


def _wait_for_port(port: int, proc: subprocess.Popen[bytes] | None, what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            pass
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}: {log.read_text(errors='replace')}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not listen on {port}: {log.read_text(errors='replace')}")
        time.sleep(0.02)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[Service]:
    """A throw-away redis-server (no persistence) on a free port."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian package redis-server; see .ci/services)")
    directory = Path(tempfile.mkdtemp(prefix="eventlet-redis-"))
    port = free_port()
    log = directory / "redis.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(directory),
                "--daemonize",
                "no",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port, proc, "redis-server", log)
        yield Service("127.0.0.1", port, directory)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:  # pragma: no cover - redis exits on SIGTERM at once
            proc.kill()
            proc.wait()
        shutil.rmtree(directory, ignore_errors=True)


def _postgres_bindir() -> Path | None:
    """Where Debian's PostgreSQL programs are (``/usr/lib/postgresql/N/bin``), or PATH's."""
    found = shutil.which("pg_ctl")
    if found is not None:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return Path(versions[-1]).parent if versions else None


def _as_postgres_user() -> list[str]:
    """The command prefix that runs PostgreSQL's programs as a user it accepts."""
    if os.geteuid() != 0:
        return []
    if shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: cannot start PostgreSQL as another user")
    try:
        import pwd

        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL as")
    return ["runuser", "-u", "postgres", "--"]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Service]:
    """A throw-away PostgreSQL cluster (trust auth for 'postgres', fsync off) on a free port."""
    bindir = _postgres_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (Debian package postgresql; see .ci/services)")
    prefix = _as_postgres_user()
    directory = Path(tempfile.mkdtemp(prefix="eventlet-pg-"))
    if prefix:
        shutil.chown(directory, "postgres", "postgres")
    data = directory / "data"
    log = directory / "server.log"
    initdb = subprocess.run(
        [
            *prefix,
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if initdb.returncode != 0:
        shutil.rmtree(directory, ignore_errors=True)
        pytest.fail(f"initdb failed: {initdb.stdout}{initdb.stderr}")
    port = free_port()
    options = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={directory} -c fsync=off"
    pg_ctl = [*prefix, str(bindir / "pg_ctl"), "-D", str(data)]
    started = subprocess.run(
        [*pg_ctl, "-w", "-t", str(int(START_TIMEOUT)), "-l", str(log), "-o", options, "start"],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        if started.returncode != 0:
            pytest.fail(
                f"pg_ctl start failed: {started.stdout}{started.stderr}{log.read_text(errors='replace')}"
            )
        _wait_for_port(port, None, "PostgreSQL", log)
        yield Service("127.0.0.1", port, directory)
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "-w", "stop"], capture_output=True, check=False)
        shutil.rmtree(directory, ignore_errors=True)


def missing(reason: str) -> None:
    """Skip for ``reason``, or fail where ``OPENSTACK_CLIENTS_REQUIRED`` says it must be there."""
    if os.environ.get("OPENSTACK_CLIENTS_REQUIRED"):
        pytest.fail(f"{reason}, and OPENSTACK_CLIENTS_REQUIRED is set (tox -e clients-openstack)")
    pytest.skip(reason, allow_module_level=True)


_BROKER_STARTUPS: list[float] = []


@pytest.fixture(scope="session")
def rabbitmq_server() -> Iterator[_rabbitmq.Broker]:
    """A throw-away RabbitMQ broker (``guest``/``guest``, no plugins) on a free port."""
    if not _rabbitmq.installed():
        missing("RabbitMQ is not installed (Debian package rabbitmq-server; see .ci/services)")
    broker = _rabbitmq.start()
    _BROKER_STARTUPS.append(broker.startup_seconds)
    try:
        yield broker
    finally:
        broker.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say what the session's RabbitMQ boot cost (it is the slowest part of these tests)."""
    for seconds in _BROKER_STARTUPS:
        terminalreporter.write_line(f"RabbitMQ broker started in {seconds:.1f} s")
