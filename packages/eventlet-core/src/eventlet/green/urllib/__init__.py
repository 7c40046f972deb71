"""Green ``urllib`` package: ``eventlet.green.urllib.request`` opens URLs on green sockets.

``error``, ``parse`` and ``response`` do no I/O of their own and are the standard modules.
"""

from __future__ import annotations

from urllib import error, parse, response

__all__ = ["error", "parse", "request", "response"]
