"""``eventlet.green.builtin``: the builtins, with an ``open`` that tells the hub about new files.

A file descriptor number is reused as soon as it is free.  ``open`` here announces each file it
opens to the hub (:func:`eventlet.hubs.notify_opened`, looked up at each call), so a green thread
still waiting on the number's previous owner (a socket closed behind its back) is woken with
:class:`eventlet.hubs.IOClosed` instead of waiting for events of the new file, and a registration
the hub kept for the old file is dropped.  Everything else is the standard ``builtins`` (upstream
eventlet's module).

``monkey_patch(builtins=True)`` installs this ``open`` as ``builtins.open``; a bare
``monkey_patch()`` leaves ``builtins`` alone, as upstream eventlet does.
"""

from __future__ import annotations

import builtins as _builtins
from typing import Any

from eventlet import hubs

globals().update({key: value for key, value in vars(_builtins).items() if not key.startswith("__")})
__all__ = [name for name in dir(_builtins) if not name.startswith("__")]
#: What monkey_patch(builtins=True) replaces in the standard ``builtins``.
__patched__: list[str] = ["open"]

_original_open = _builtins.open


def open(file: Any, *args: Any, **kwargs: Any) -> Any:
    """``builtins.open``, then the hub is told the file descriptor names a new file."""
    result = _original_open(file, *args, **kwargs)
    hubs.notify_opened(result.fileno())
    return result
