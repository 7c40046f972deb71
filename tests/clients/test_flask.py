"""Flask behind ``eventlet.wsgi.server(eventlet.listen(...), app)``, queried with ``requests``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("flask")
pytest.importorskip("requests")

import flask
import requests

from tests.clients._support import ThreadedServer


def make_app() -> flask.Flask:
    """A small Flask application exercising the usual WSGI paths."""
    from eventlet.event import Event

    app = flask.Flask("eventlet-test")
    gate: dict[str, Any] = {"event": Event(), "waiting": 0}

    @app.get("/")
    def index() -> str:
        return "hello from flask"

    @app.post("/echo")
    def echo() -> flask.Response:
        return flask.jsonify(got=flask.request.get_json(), length=flask.request.content_length)

    @app.get("/stream")
    def stream() -> flask.Response:
        def lines() -> Iterator[str]:
            for i in range(5):
                yield f"line {i}\n"

        return flask.Response(lines(), mimetype="text/plain")

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("the handler failed")

    @app.get("/wait")
    def wait() -> str:
        # Blocks this green thread until /release: only a concurrent server gets there.
        gate["waiting"] += 1
        gate["event"].wait()
        return "released"

    @app.get("/release")
    def release() -> str:
        waiting = gate["waiting"]
        gate["event"].send(None)
        return str(waiting)

    @app.get("/waiting")
    def waiting() -> str:
        return str(gate["waiting"])

    return app


@pytest.fixture
def server() -> Iterator[ThreadedServer]:
    with ThreadedServer(make_app(), debug=False) as running:
        yield running


def test_get_post_and_keepalive(server: ThreadedServer) -> None:
    with requests.Session() as session:
        first = session.get(server.url + "/")
        assert first.status_code == 200
        assert first.text == "hello from flask"
        assert first.headers["Content-Type"].startswith("text/html")
        payload: dict[str, str | list[int]] = {"name": "eventlet", "items": list(range(100))}
        second = session.post(server.url + "/echo", json=payload)
        assert second.status_code == 200
        assert second.json()["got"] == payload
        assert isinstance(second.request.body, bytes)
        assert second.json()["length"] == len(second.request.body)
        assert session.get(server.url + "/missing").status_code == 404


def test_streamed_response(server: ThreadedServer) -> None:
    response = requests.get(server.url + "/stream", stream=True, timeout=10)
    assert response.status_code == 200
    assert list(response.iter_lines()) == [f"line {i}".encode() for i in range(5)]


def test_handler_error_is_a_500_and_the_server_goes_on(server: ThreadedServer) -> None:
    response = requests.get(server.url + "/boom", timeout=10)
    assert response.status_code == 500
    assert "the handler failed" not in response.text  # no traceback without debug
    assert requests.get(server.url + "/", timeout=10).text == "hello from flask"


def test_requests_are_served_concurrently(server: ThreadedServer) -> None:
    count = 5
    answers: list[str] = []

    def blocked() -> None:
        answers.append(requests.get(server.url + "/wait", timeout=20).text)

    threads = [threading.Thread(target=blocked) for _ in range(count)]
    for thread in threads:
        thread.start()
    # Every /wait request is parked in the server at the same time before one is released.
    while requests.get(server.url + "/waiting", timeout=10).text != str(count):
        threading.Event().wait(0.01)
    assert requests.get(server.url + "/release", timeout=10).text == str(count)
    for thread in threads:
        thread.join(20)
    assert answers == ["released"] * count
