"""Green ``urllib`` package: ``eventlet.green.urllib.request`` opens URLs on green sockets.

``error``, ``parse`` and ``response`` do no I/O of their own: they hold the standard modules'
contents (the same classes and functions).
"""

from __future__ import annotations

from eventlet.green.urllib import error, parse, response

__all__ = ["error", "parse", "request", "response"]
