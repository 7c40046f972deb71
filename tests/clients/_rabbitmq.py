"""A throw-away RabbitMQ broker from Debian's ``rabbitmq-server`` package, for the client tests.

:func:`start` runs Debian's broker script (``/usr/lib/rabbitmq/bin/rabbitmq-server``, which runs
as the calling user; the ``/usr/sbin`` wrapper would switch to the ``rabbitmq`` user) with every
path, port and name of its own:

* its data, logs, Erlang cookie (``HOME``) and an empty plugin list (no management plugin: a
  faster boot) in a temporary directory;
* AMQP on a free 127.0.0.1 port, its Erlang distribution on another, and a private ``epmd``
  (the Erlang port mapper) on a third, started here in the foreground so that it ends with the
  broker instead of lingering as a daemon, and never meets another broker's epmd;
* a node name made from the AMQP port, so brokers started at once by parallel runs never clash.

Its boot takes seconds (measured here: 3.3 to 9.9 s on a shared 2-core machine, about 5 s when
idle), so the ``rabbitmq_server`` fixture of ``conftest.py`` starts one per test session.  The
default ``guest``/``guest`` user may log in from the loopback address, the only one it listens on.
Run ``python -m tests.clients._rabbitmq`` to start one by hand and see its start-up time.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

#: Debian's broker script that runs the broker as the calling user.
SERVER_SCRIPT = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")

#: How long the boot may take before the broker is declared broken (slow CI machines included).
START_TIMEOUT = 90.0


def installed() -> bool:
    """Whether Debian's ``rabbitmq-server`` (and the ``epmd`` it needs) are installed."""
    return SERVER_SCRIPT.exists() and shutil.which("epmd") is not None


@dataclass
class Broker:
    """A running broker: where it listens, its files, and how long its boot took."""

    host: str
    port: int
    directory: Path
    startup_seconds: float
    _broker: subprocess.Popen[bytes] = field(repr=False)
    _epmd: subprocess.Popen[bytes] = field(repr=False)

    @property
    def amqp_url(self) -> str:
        """The broker URL kombu and nameko take: ``amqp://guest:guest@127.0.0.1:PORT/``."""
        return f"amqp://guest:guest@{self.host}:{self.port}/"

    @property
    def transport_url(self) -> str:
        """The transport URL oslo.messaging takes: ``rabbit://guest:guest@127.0.0.1:PORT/``."""
        return f"rabbit://guest:guest@{self.host}:{self.port}/"

    def log(self) -> str:
        """What the broker printed so far (its log goes to its standard output)."""
        return (self.directory / "broker.log").read_text(errors="replace")

    def stop(self) -> None:
        """Stop the broker (SIGTERM: the script asks the node to stop cleanly), then its epmd."""
        for proc in (self._broker, self._epmd):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:  # pragma: no cover - a stuck node is killed
                proc.kill()
                proc.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


def _free_ports(count: int) -> list[int]:
    """``count`` different TCP ports of 127.0.0.1 that were free a moment ago."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [int(probe.getsockname()[1]) for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def start() -> Broker:
    """Start a broker and return once it accepts AMQP connections (``RuntimeError`` otherwise)."""
    directory = Path(tempfile.mkdtemp(prefix="eventlet-rabbitmq-"))
    (directory / "enabled_plugins").write_text("[].\n")
    port, dist_port, epmd_port = _free_ports(3)
    env = dict(
        os.environ,
        HOME=str(directory),
        ERL_EPMD_PORT=str(epmd_port),
        ERL_EPMD_ADDRESS="127.0.0.1",
        RABBITMQ_CONF_ENV_FILE=os.devnull,
        RABBITMQ_NODENAME=f"eventlet{port}@localhost",
        RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
        RABBITMQ_NODE_PORT=str(port),
        RABBITMQ_DIST_PORT=str(dist_port),
        RABBITMQ_MNESIA_BASE=str(directory / "mnesia"),
        RABBITMQ_LOG_BASE=str(directory / "log"),
        RABBITMQ_LOGS="-",
        RABBITMQ_ENABLED_PLUGINS_FILE=str(directory / "enabled_plugins"),
        RABBITMQ_CONFIG_FILE=str(directory / "rabbitmq"),
        RABBITMQ_ADVANCED_CONFIG_FILE=str(directory / "advanced.config"),
        RABBITMQ_PID_FILE=str(directory / "broker.pid"),
    )
    began = time.monotonic()
    with open(directory / "epmd.log", "wb") as out:
        epmd = subprocess.Popen(
            ["epmd", "-port", str(epmd_port), "-address", "127.0.0.1"],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    with open(directory / "broker.log", "wb") as out:
        broker = subprocess.Popen(
            [str(SERVER_SCRIPT)],
            env=env,
            cwd=directory,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    running = Broker("127.0.0.1", port, directory, 0.0, broker, epmd)
    deadline = began + START_TIMEOUT
    while not _listening(port):
        failure = None
        if broker.poll() is not None:
            failure = f"rabbitmq-server exited with {broker.returncode}"
        elif time.monotonic() > deadline:
            failure = f"rabbitmq-server did not listen on {port} within {START_TIMEOUT:.0f} s"
        if failure is not None:
            log = running.log()
            running.stop()
            raise RuntimeError(f"{failure}:\n{log}")
        time.sleep(0.05)
    running.startup_seconds = time.monotonic() - began
    return running


def _interrupt(signo: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _interrupt)  # stop the broker on SIGTERM too, not only Ctrl-C
    started = start()
    try:
        seconds = started.startup_seconds
        print(f"RabbitMQ on {started.amqp_url} after {seconds:.2f} s; Ctrl-C or SIGTERM stops it")
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        began = time.monotonic()
        started.stop()
        print(f"stopped in {time.monotonic() - began:.2f} s")
