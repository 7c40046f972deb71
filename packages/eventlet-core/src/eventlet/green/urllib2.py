"""``eventlet.green.urllib2``: Python 2's ``urllib2`` names, on the green ``urllib.request``.

Python 3 split ``urllib2`` into ``urllib.request`` and ``urllib.error``: this module holds the names
of both, from :mod:`eventlet.green.urllib.request` (green) and the standard ``urllib.error`` (whose
exceptions are the standard ones, so ``except HTTPError`` works with either).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventlet.green.urllib import error as _error
from eventlet.green.urllib import request as _request

if TYPE_CHECKING:  # pragma: no cover
    from urllib.error import *  # noqa: F403
    from urllib.request import *  # noqa: F403

globals().update({key: value for key, value in vars(_request).items() if not key.startswith("__")})
globals().update({key: value for key, value in vars(_error).items() if not key.startswith("__")})
__all__ = [*_request.__all__, *_error.__all__]
__patched__: list[str] = []
