"""redis-py under ``monkey_patch()`` against a real redis-server (started by the session fixture)."""

from __future__ import annotations

import pytest

from tests.clients._support import run_child

pytest.importorskip("redis")

from tests.clients.conftest import Service

COUNT = 10


def test_green_blocking_commands_pubsub_and_pipeline(redis_server: Service) -> None:
    result = run_child("redis", str(redis_server.port), str(COUNT))
    # All the BLPOPs were parked in the server at the same time, each on its own connection.
    assert result["blocked"] == COUNT
    assert result["popped"] == [f"value of queue:{i}" for i in range(COUNT)]
    assert result["message"] == "extra!"
    assert result["pipeline"] == [True, 2, 42, "42"]
