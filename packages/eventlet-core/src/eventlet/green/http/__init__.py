"""Green ``http`` package: ``eventlet.green.http.client`` and ``eventlet.green.http.server``.

The package itself holds no I/O: its names (``HTTPStatus``, ``HTTPMethod``...) are the standard
ones.
"""

from __future__ import annotations

import http as _http
from typing import TYPE_CHECKING

__all__ = list(getattr(_http, "__all__", ()))
globals().update({name: getattr(_http, name) for name in __all__})


if TYPE_CHECKING:  # the standard module's names, copied in above, as type checkers can read them
    from http import *  # noqa: F403
