"""``eventlet.green.httplib``: upstream eventlet's Python-2 name for the green ``http.client``.

The very same module object's contents as :mod:`eventlet.green.http.client` (one copy of the standard
module's code, not two), for programs and libraries written against upstream eventlet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventlet.green.http import client as _client

if TYPE_CHECKING:  # pragma: no cover
    from http.client import *  # noqa: F403

globals().update({key: value for key, value in vars(_client).items() if not key.startswith("__")})
__all__ = list(_client.__all__)
__patched__: list[str] = []
