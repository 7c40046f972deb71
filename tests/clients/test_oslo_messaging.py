"""oslo.messaging 18.3 on our eventlet: an RPC server with the eventlet executor, and its clients.

The program is ``_oslo_messaging_app.py`` (its docstring lists the scenario): monkey-patched
first, as OpenStack services are, it serves RPC calls, casts and notifications with oslo's
``eventlet`` executor (futurist's green thread pool), over oslo's in-memory ``fake://`` transport
in one process, and over RabbitMQ (kombu and py-amqp on green sockets) between two processes,
the server stopping on SIGTERM.  Installed by tox's ``clients-openstack`` environment (with the
stand-in for upstream's ``eventlet`` distribution, so that upstream is never installed there).
"""

from __future__ import annotations

import importlib.metadata
import signal
import sys
import uuid
from typing import Any

import pytest

from tests.clients import _rabbitmq
from tests.clients._support import HERE, LineProcess, run_script
from tests.clients.conftest import missing

VERSION = "18.3."

try:
    _version = importlib.metadata.version("oslo.messaging")
except importlib.metadata.PackageNotFoundError:
    missing("oslo.messaging is not installed (tox -e clients-openstack)")
else:
    if not _version.startswith(VERSION):
        missing(f"these tests are for oslo.messaging {VERSION}x, not {_version}")

APP = HERE / "_oslo_messaging_app.py"
TIMEOUT = 120  # seconds for a whole scenario: a failure, never a wait


def _topic() -> str:
    # One broker serves the session: every test talks on topics of its own.
    return f"eventlet-{uuid.uuid4().hex[:12]}"


def check(result: dict[str, Any]) -> None:
    """What every transport must give (``_oslo_messaging_app.py`` says how each is obtained)."""
    sent = result["sent"]
    assert sent["gathered"] >= 20
    # All the gathering calls were inside the server at once, each in a green thread of its own.
    assert result["gathered"] == list(range(1, sent["gathered"] + 1))
    assert result["green"] is True
    assert result["pooled"] == list(range(sent["pooled"]))
    assert result["casts"] == list(range(sent["casts"]))
    assert result["notifications"] == list(range(sent["notifications"]))
    assert result["value_error"] == "not a number"
    assert result["remote_error"] == ["Refused", "not today"]
    assert result["timed_out"] is True
    assert result["after_timeout"] == "still serving"


@pytest.mark.parametrize("hub", [None, "asyncio"], ids=["default-hub", "asyncio-hub"])
def test_rpc_server_and_client_over_the_fake_transport(hub: str | None) -> None:
    # The asyncio hub is OpenStack's way off eventlet; oslo.log then locks with asyncio.Lock.
    env = {"EVENTLET_HUB": hub} if hub else {}
    check(run_script(APP, "both", "fake://", _topic(), timeout=TIMEOUT, env=env))


def test_rpc_server_and_client_over_rabbitmq(rabbitmq_server: _rabbitmq.Broker) -> None:
    topic = _topic()
    url = rabbitmq_server.transport_url
    with LineProcess([sys.executable, str(APP), "serve", url, topic]) as server:
        server.wait_for(r"^ready$", timeout=60)
        check(run_script(APP, "call", url, topic, timeout=TIMEOUT))
        # SIGTERM: the server stops its RPC server and notification listener, and exits.
        assert server.stop(signal.SIGTERM, timeout=60) == 0, server.output()
        server.wait_for(r"^stopped$", timeout=1)
