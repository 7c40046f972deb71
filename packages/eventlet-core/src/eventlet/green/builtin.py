"""Green ``builtins``: an ``open`` that tells the hub about every file descriptor it opens.

A file descriptor can be closed behind the hub's back (by a C library, by ``os.close`` on a
number, by the garbage collector) and the kernel then hands the same number out again.  If the hub
still keeps a registration for the old file under that number, a green thread could later wait on
the wrong file.  :func:`open` reports each new descriptor with
:func:`eventlet.hubs.notify_opened`, which drops such a stale registration (it does nothing if the
thread has no hub yet).

Only ``monkey_patch(builtins=True)`` installs it (a bare ``monkey_patch()`` leaves ``builtins``
alone, as upstream eventlet does).  Everything else of ``builtins`` is the standard module's.
"""

from __future__ import annotations

import builtins as _builtins
from typing import Any

from eventlet import hubs

__all__ = ["open"]

#: What monkey_patch(builtins=True) replaces in the standard ``builtins``.
__patched__ = ["open"]

_original_open = _builtins.open


def open(*args: Any, **kwargs: Any) -> Any:
    """``builtins.open``, then :func:`eventlet.hubs.notify_opened` with the new file's descriptor."""
    result = _original_open(*args, **kwargs)
    hubs.notify_opened(result.fileno())
    return result


def __getattr__(name: str) -> Any:
    """Every other name is the standard ``builtins``' own."""
    if not name.startswith("__"):
        try:
            return getattr(_builtins, name)
        except AttributeError:
            pass
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
