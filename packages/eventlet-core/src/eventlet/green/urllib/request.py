"""Green ``urllib.request``: ``urlopen`` and the openers on green sockets.

A private copy made with :func:`eventlet.patcher.import_patched`; its ``http.client`` is
:mod:`eventlet.green.http.client` (it reaches it as ``http.client``, through the package, so the
copy's ``http`` is :mod:`eventlet.green.http`), and FTP goes through :mod:`eventlet.green.ftplib`.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from eventlet._patching import state as patcher_state
from eventlet.green import ftplib, http
from eventlet.green._stdlib_copies import io_modules
from eventlet.green.http import client

if TYPE_CHECKING:  # pragma: no cover
    from urllib.request import *  # noqa: F403


def _green_ssl() -> list[tuple[str, ModuleType]]:
    """``[("ssl", green ssl)]`` when eventlet-ssl is installed, else ``[]``."""
    greens = patcher_state.STATE.load_green("ssl")
    return [("ssl", greens[0])] if greens else []


_ssl = _green_ssl()
_copy = patcher_state.import_patched("urllib.request", *io_modules(), ("http.client", client), *_ssl)
setattr(http, "client", client)  # noqa: B010 - a plain module, typed as a package
setattr(_copy, "http", http)  # noqa: B010
setattr(_copy, "ftplib", ftplib)  # noqa: B010
globals().update({key: value for key, value in vars(_copy).items() if not key.startswith("__")})
__all__ = list(_copy.__all__)
__patched__: list[str] = []
