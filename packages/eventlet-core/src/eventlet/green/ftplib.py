"""Green ``ftplib``: the standard FTP client on green sockets (and green TLS for ``FTP_TLS``).

A private copy made with :func:`eventlet.patcher.import_patched`: the standard ``ftplib`` is left
alone.  ``FTP_TLS`` is green when eventlet-ssl is installed.  Its exceptions are the standard ones,
so ``except ftplib.all_errors`` works with either.
"""

from __future__ import annotations

import ftplib as _std_ftplib
from types import ModuleType
from typing import TYPE_CHECKING

from eventlet._patching import state as patcher_state
from eventlet.green import socket

if TYPE_CHECKING:  # pragma: no cover
    from ftplib import *  # noqa: F403


def _green_modules() -> list[tuple[str, ModuleType]]:
    pairs: list[tuple[str, ModuleType]] = [("socket", socket)]
    greens = patcher_state.STATE.load_green("ssl")
    if greens:
        pairs.append(("ssl", greens[0]))
    return pairs


_copy = patcher_state.import_patched("ftplib", *_green_modules())
for _name in ("Error", "error_reply", "error_temp", "error_perm", "error_proto", "all_errors"):
    setattr(_copy, _name, getattr(_std_ftplib, _name))
del _name
globals().update({key: value for key, value in vars(_copy).items() if not key.startswith("__")})
__all__ = list(_copy.__all__)
__patched__: list[str] = []
