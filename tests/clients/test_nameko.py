"""nameko 2.14 on our eventlet: ``nameko run`` serving RPC, events and ``@http`` over RabbitMQ.

``nameko run`` (its own command line, which monkey-patches first) serves the ``greeter`` service
of ``_nameko_service.py``; ``_nameko_client.py`` (another monkey-patched program) calls it from
green threads: concurrent RPC calls through the broker, concurrent HTTP requests to its
``@http`` entrypoints (nameko's ``WebServer`` subclasses ``eventlet.wsgi``'s ``HttpProtocol`` and
drives ``eventlet.wsgi.Server.process_request`` itself), HTTP requests that make RPC calls, and
events from three kinds of dispatcher.  Then SIGTERM: nameko stops its services and exits 0.
Installed by tox's ``clients-openstack`` environment, with RabbitMQ from Debian.
"""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import signal
import sys
from pathlib import Path

from tests.clients import _rabbitmq
from tests.clients._support import HERE, LineProcess, free_port, run_script
from tests.clients.conftest import missing

VERSION = "2.14."

try:
    _version = importlib.metadata.version("nameko")
except importlib.metadata.PackageNotFoundError:
    missing("nameko is not installed (tox -e clients-openstack)")
else:
    if not _version.startswith(VERSION):
        missing(f"these tests are for nameko {VERSION}x, not {_version}")

NAMEKO = shutil.which("nameko", path=str(Path(sys.executable).parent))
CLIENT = HERE / "_nameko_client.py"
SERVICE = "tests.clients._nameko_service:Greeter"
START = 60.0  # seconds the service may take to start (a failure, never a wait)


def config(broker: _rabbitmq.Broker, port: int) -> dict[str, object]:
    """``nameko run``'s configuration (YAML is a superset of JSON)."""
    return {
        "AMQP_URI": broker.amqp_url,
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
        "max_workers": 50,
        "LOGGING": {
            "version": 1,
            "disable_existing_loggers": False,  # nameko.runners logs "starting services: ..."
            "formatters": {"plain": {"format": "%(name)s %(levelname)s %(message)s"}},
            "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
            "root": {"level": "INFO", "handlers": ["console"]},
            # "started <ServiceContainer [greeter] ...>" once every entrypoint listens.
            "loggers": {"nameko.containers": {"level": "DEBUG"}},
        },
    }


def test_rpc_events_and_http_under_nameko_run(rabbitmq_server: _rabbitmq.Broker, tmp_path: Path) -> None:
    assert NAMEKO is not None, "the nameko command is not installed next to this Python"
    port = free_port()
    config_file = tmp_path / "config.yaml"
    config_file.write_text(json.dumps(config(rabbitmq_server, port)))
    with LineProcess([NAMEKO, "run", "--config", str(config_file), SERVICE]) as service:
        service.wait_for(r"^nameko\.containers DEBUG started <ServiceContainer \[greeter\]", timeout=START)
        result = run_script(CLIENT, rabbitmq_server.amqp_url, str(port), timeout=180)
        assert service.stop(signal.SIGTERM, timeout=60) == 0, service.output()
        service.wait_for(r"stopping services: greeter", timeout=1)

    sent = result["sent"]
    gathered = list(range(1, sent["gathered"] + 1))
    # Every gathering call and request was inside the service at once.
    assert result["rpc_gathered"] == gathered
    assert result["http_gathered"] == gathered
    assert result["http_statuses"] == [200]
    assert result["rpc_calls"] == [
        [f"hello {n}.{i}" for i in range(sent["calls"])] for n in range(sent["callers"])
    ]
    assert result["http_rpc"] == [[200, f"hello h{n}"] for n in range(sent["callers"])]
    assert result["http_announce"] == [[202, "announced"]] * sent["events"]
    expected = sorted(
        f"{kind} {i:02d}" for kind in ("rpc", "http", "standalone") for i in range(sent["events"])
    )
    assert result["events"] == expected
    assert result["remote_error"] == ["ValueError", "no reason"]
