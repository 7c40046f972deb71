"""Green ``http.server``: the standard request handlers and servers on green sockets.

A private copy made with :func:`eventlet.patcher.import_patched` over
:mod:`eventlet.green.socketserver`; ``ThreadingHTTPServer`` serves each request in a green thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventlet._patching import state as patcher_state
from eventlet.green import socketserver
from eventlet.green._stdlib_copies import io_modules
from eventlet.green.http import client

if TYPE_CHECKING:  # pragma: no cover
    from http.server import *  # noqa: F403

_copy = patcher_state.import_patched(
    "http.server", *io_modules(), ("socketserver", socketserver), ("http.client", client)
)
globals().update({key: value for key, value in vars(_copy).items() if not key.startswith("__")})
__all__ = list(_copy.__all__)
__patched__: list[str] = []
