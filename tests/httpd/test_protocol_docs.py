"""The examples in eventlet.httpd.protocol's documentation run (bytes only, no socket)."""

from __future__ import annotations

import doctest

import eventlet.httpd.protocol


def test_the_module_examples_run() -> None:
    failed, attempted = doctest.testmod(eventlet.httpd.protocol, raise_on_error=False, verbose=False)
    assert attempted >= 15
    assert failed == 0
