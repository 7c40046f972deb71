"""Green ``http.client``: the standard module's code on green sockets.

A private copy made with :func:`eventlet.patcher.import_patched` (with green ``ssl`` too when
eventlet-ssl is installed); its exceptions and ``HTTPMessage`` are the standard ones, so
``except http.client.HTTPException`` catches errors from either.
"""

from __future__ import annotations

import http.client as _std_client
from types import ModuleType
from typing import TYPE_CHECKING

from eventlet._patching import state as patcher_state
from eventlet.green import socket

if TYPE_CHECKING:  # pragma: no cover
    from http.client import *  # noqa: F403


def _green_modules() -> list[tuple[str, ModuleType]]:
    pairs: list[tuple[str, ModuleType]] = [("socket", socket)]
    greens = patcher_state.STATE.load_green("ssl")
    if greens:
        pairs.append(("ssl", greens[0]))
    return pairs


_copy = patcher_state.import_patched("http.client", *_green_modules())
# One exception hierarchy and one message class for both copies, so callers' except clauses and
# isinstance checks work whichever module raised.
for _name, _value in vars(_std_client).items():
    if isinstance(_value, type) and (issubclass(_value, Exception) or _name in ("HTTPMessage",)):
        setattr(_copy, _name, _value)
for _name in ("parse_headers", "_parse_header_lines", "_read_headers"):
    if hasattr(_std_client, _name):
        setattr(_copy, _name, getattr(_std_client, _name))
globals().update({key: value for key, value in vars(_copy).items() if not key.startswith("__")})
del _name, _value
__all__ = list(_copy.__all__)
__patched__: list[str] = []
