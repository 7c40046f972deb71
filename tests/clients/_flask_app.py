"""The Flask application that gunicorn serves in test_gunicorn (``tests.clients._flask_app:app``).

gunicorn's eventlet worker monkey-patches before it imports this module, so the ``threading``
primitives here are green: ``/gate/N`` answers only once N requests are inside it at once.
"""

from __future__ import annotations

import os
import threading

from flask import Flask, Response, jsonify, request

app = Flask(__name__)
_arrived = threading.Condition()
_inside = {"count": 0}


@app.get("/")
def index() -> str:
    """A plain-text greeting."""
    return "hello from flask under gunicorn\n"


@app.post("/json")
def echo_json() -> Response:
    """Echo the JSON body with the worker's pid."""
    return jsonify(got=request.get_json(), pid=os.getpid())


@app.get("/gate/<int:count>")
def gate(count: int) -> str:
    """Wait (greenly) until ``count`` requests are inside at once, then say how many arrived."""
    with _arrived:
        _inside["count"] += 1
        _arrived.notify_all()
        if not _arrived.wait_for(lambda: _inside["count"] >= count, timeout=15):
            return "timed out"
    return "all in"
