"""Green ``socketserver``: the standard module's code on green sockets, selectors and threads.

A private copy made with :func:`eventlet.patcher.import_patched`; the standard ``socketserver``
is left alone.  ``ThreadingMixIn`` servers start a green thread per request; ``serve_forever``
waits in the hub.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventlet._patching import state as patcher_state
from eventlet.green._stdlib_copies import io_modules

if TYPE_CHECKING:  # pragma: no cover
    from socketserver import *  # noqa: F403

_copy = patcher_state.import_patched("socketserver", *io_modules())
globals().update({key: value for key, value in vars(_copy).items() if not key.startswith("__")})
__all__ = list(_copy.__all__)
#: Nothing of it goes into the standard module under monkey_patch (it is green already then).
__patched__: list[str] = []
