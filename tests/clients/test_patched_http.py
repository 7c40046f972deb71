"""``requests`` and ``urllib3`` under ``monkey_patch()``, over HTTP and HTTPS, against eventlet-httpd.

The cases run in one child process (patching is process-wide; one start-up for all four): in each,
the server and the clients share one OS thread, and the server answers only once all the clients'
requests are inside it at once, which only green (non-blocking) clients allow.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.clients._support import run_child

COUNT = 8


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Run the child once: a trustme CA and server certificate for 127.0.0.1, then every case."""
    trustme = pytest.importorskip("trustme")
    pytest.importorskip("eventlet.ssl")
    path = tmp_path_factory.mktemp("certs")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca.cert_pem.write_to_path(str(path / "ca.pem"))
    for i, pem in enumerate(cert.cert_chain_pems):
        pem.write_to_path(str(path / "server.pem"), append=i > 0)
    cert.private_key_pem.write_to_path(str(path / "server.key"))
    return run_child("http", str(path), str(COUNT), timeout=60)


@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("client", ["requests", "urllib3"])
def test_concurrent_clients_under_monkey_patch(client: str, scheme: str, results: Any) -> None:
    pytest.importorskip(client)
    result = results[f"{client} {scheme}"]
    assert "error" not in result, result.get("error")
    assert result["first"] == "plain"
    # Every request was answered, and the last one to arrive found all the others inside.
    assert result["answers"] == sorted(f"{scheme} {i}" for i in range(1, COUNT + 1))
