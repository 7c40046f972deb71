"""Green ``http`` package: ``eventlet.green.http.client`` and ``eventlet.green.http.server``.

The package itself holds no I/O: its names (``HTTPStatus``, ``HTTPMethod``...) are the standard
ones.
"""

from __future__ import annotations

import http as _http

__all__ = list(getattr(_http, "__all__", ()))
globals().update({name: getattr(_http, name) for name in __all__})
