"""Calls the nameko service of ``_nameko_service.py`` concurrently, from green threads.

Run as ``python tests/clients/_nameko_client.py AMQP_URI HTTP_PORT``; monkey-patched first, as a
nameko client program is; prints one JSON document.  nameko's standalone RPC proxy serves one
caller at a time (its replies are read from one connection), so each green thread here opens its
own ``ClusterRpcProxy``, as concurrent callers do.  What it does:

* ``GATHERED`` green threads call ``gather`` at once (each returns only once all are inside the
  service), then ``CALLERS`` green threads make ``CALLS`` calls each;
* ``GATHERED`` concurrent HTTP requests of ``/gate/GATHERED`` (all inside at once), and
  ``/hello/NAME`` requests, each of which the service answers by an RPC call to itself;
* events: ``EVENTS`` by RPC (``announce``), as many by HTTP (``POST /announce``) and by a
  standalone dispatcher; ``announced`` returns them all once the handler saw them;
* a remote error: ``ValueError`` raised by the service is a ``RemoteError`` naming it.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import http.client  # noqa: E402 - after patching, as a patched program would do
import json  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

from nameko.exceptions import RemoteError  # noqa: E402
from nameko.standalone.events import event_dispatcher  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

GATHERED = 20
CALLERS = 10
CALLS = 20
EVENTS = 10
TIMEOUT = 60  # seconds for any one call: a failure, never a wait


def http_request(port: int, method: str, path: str, body: str | None = None) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        conn.request(method, path, body=body)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def main(amqp_uri: str, port: int) -> dict[str, Any]:
    config = {"AMQP_URI": amqp_uri}
    result: dict[str, Any] = {
        "sent": {"gathered": GATHERED, "callers": CALLERS, "calls": CALLS, "events": EVENTS}
    }

    def gather(_: int) -> int:
        with ClusterRpcProxy(config, timeout=TIMEOUT) as cluster:
            return int(cluster.greeter.gather(GATHERED))

    def caller(n: int) -> list[str]:
        with ClusterRpcProxy(config, timeout=TIMEOUT) as cluster:
            return [cluster.greeter.hello(f"{n}.{i}") for i in range(CALLS)]

    pool = eventlet.GreenPool(GATHERED)
    result["rpc_gathered"] = sorted(pool.imap(gather, range(GATHERED)))
    result["rpc_calls"] = list(pool.imap(caller, range(CALLERS)))

    gate = list(pool.imap(lambda _: http_request(port, "GET", f"/gate/{GATHERED}"), range(GATHERED)))
    result["http_statuses"] = sorted({status for status, _ in gate})
    result["http_gathered"] = sorted(int(body) for _, body in gate)
    result["http_rpc"] = list(pool.imap(lambda n: http_request(port, "GET", f"/hello/h{n}"), range(CALLERS)))

    with ClusterRpcProxy(config, timeout=TIMEOUT) as cluster:
        for i in range(EVENTS):
            cluster.greeter.announce(f"rpc {i:02d}")
        result["http_announce"] = list(
            pool.imap(lambda i: http_request(port, "POST", "/announce", f"http {i:02d}"), range(EVENTS))
        )
        dispatch = event_dispatcher(config)
        for i in range(EVENTS):
            dispatch("greeter", "announced", f"standalone {i:02d}")
        result["events"] = cluster.greeter.announced(3 * EVENTS)
        try:
            cluster.greeter.fail("no reason")
        except RemoteError as exc:
            result["remote_error"] = [exc.exc_type, exc.value]
    return result


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]))), flush=True)
