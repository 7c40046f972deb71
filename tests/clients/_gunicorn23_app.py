"""The Flask application gunicorn 23's own eventlet worker serves in test_gunicorn23.

gunicorn's ``-k eventlet`` worker calls ``eventlet.monkey_patch()`` before it imports this module,
so ``time.sleep`` and the ``threading`` primitives here are green: one worker process holds many
requests at once.  State is per worker process.
"""

from __future__ import annotations

import os
import signal
import threading
import time

from flask import Flask, Response, jsonify, send_file

app = Flask(__name__)
_changed = threading.Condition()
_arrived: dict[str, int] = {}

#: The body ``/hold`` answers with: large enough to need several sends.
HOLD_BODY = b"".join(b"%07d\n" % n for n in range(16384))


def _arrive(key: str) -> int:
    with _changed:
        _arrived[key] = _arrived.get(key, 0) + 1
        _changed.notify_all()
        return _arrived[key]


@app.get("/")
def index() -> str:
    """A plain-text greeting."""
    return "hello from gunicorn 23's eventlet worker\n"


@app.get("/pid")
def pid() -> Response:
    """The worker's pid and whether ``time.sleep`` is green here."""
    from eventlet import patcher

    return jsonify(pid=os.getpid(), patched=patcher.is_monkey_patched("time"))


@app.get("/source")
def source() -> Response:
    """This module's own source, as a file response (gunicorn sends it with ``sendfile``)."""
    return send_file(__file__, mimetype="text/plain")


@app.get("/together/<key>/<int:count>")
def together(key: str, count: int) -> Response:
    """Wait until ``count`` requests for ``key`` are inside at once, then sleep (greenly) a little.

    ``together`` is False if they never were all inside at once (the worker served them one by
    one): the limit of 30 seconds only bounds a failing run.
    """
    _arrive(key)
    with _changed:
        met = _changed.wait_for(lambda: _arrived[key] >= count, timeout=30)
    time.sleep(0.2)
    return jsonify(together=met, pid=os.getpid())


@app.get("/arrived/<key>")
def arrived(key: str) -> Response:
    """How many requests for ``key`` have arrived so far."""
    with _changed:
        return jsonify(count=_arrived.get(key, 0))


def _worker_stopping() -> bool:
    """True once gunicorn has told this worker to stop (SIGTERM, or SIGHUP/SIGQUIT of the master).

    gunicorn's worker installs its bound ``handle_exit`` for SIGTERM and clears ``alive`` there.
    """
    worker = getattr(signal.getsignal(signal.SIGTERM), "__self__", None)
    return worker is not None and not worker.alive


@app.get("/hold/<key>")
def hold(key: str) -> Response:
    """Arrive, then sleep (greenly) until the worker is told to stop; answer with HOLD_BODY.

    The answer is sent while the worker shuts down: a graceful stop lets it through.
    """
    _arrive(key)
    deadline = time.monotonic() + 60
    while not _worker_stopping() and time.monotonic() < deadline:
        time.sleep(0.02)
    return Response(HOLD_BODY if _worker_stopping() else b"never told to stop", mimetype="text/plain")
