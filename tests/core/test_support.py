"""``eventlet.support``: the helpers upstream programs import from there, and a listener's greenlet."""

from __future__ import annotations

import errno
import socket

import greenlet

import eventlet
from eventlet import hubs
from eventlet.support import bytes_to_str, get_errno, greenlets


def test_get_errno_prefers_the_errno_attribute() -> None:
    assert get_errno(OSError(errno.ECONNRESET, "reset")) == errno.ECONNRESET


def test_get_errno_falls_back_to_the_first_argument() -> None:
    assert get_errno(ValueError(42, "not an OSError")) == 42
    # upstream's quirk: the first argument, whatever it is
    assert get_errno(OSError("no number")) == "no number"


def test_get_errno_of_an_exception_without_arguments_is_none() -> None:
    assert get_errno(RuntimeError()) is None


def test_bytes_to_str_decodes_ascii_by_default_and_honours_the_encoding() -> None:
    assert bytes_to_str(b"GET") == "GET"
    assert bytes_to_str("é".encode(), "utf-8") == "é"


def test_greenlets_module_re_exports_greenlet() -> None:
    assert greenlets.greenlet is greenlet.greenlet
    assert greenlets.getcurrent is greenlet.getcurrent
    assert greenlets.GreenletExit is greenlet.GreenletExit


def test_a_waiting_listener_names_the_green_thread_that_waits() -> None:
    a, b = socket.socketpair()
    with a, b:
        waiter = eventlet.spawn(hubs.trampoline, a, read=True)
        eventlet.sleep(0)
        [listener] = hubs.get_hub().get_readers()
        assert listener.greenlet is waiter
        b.send(b"x")
        waiter.wait()
        assert hubs.get_hub().get_readers() == []


def test_a_callback_listener_names_its_callback() -> None:
    a, b = socket.socketpair()
    with a, b:
        hub = hubs.get_hub()

        def on_ready(fd: int) -> None:
            pass

        listener = hub.add(hub.READ, a.fileno(), on_ready, lambda exc: None)
        try:
            assert listener.greenlet is on_ready
        finally:
            hub.remove(listener)


def test_green_httplib_is_the_green_http_client() -> None:
    from eventlet.green import httplib
    from eventlet.green.http import client

    assert httplib.HTTPConnection is client.HTTPConnection
    assert httplib.HTTPException is client.HTTPException
    assert set(httplib.__all__) == set(client.__all__)
