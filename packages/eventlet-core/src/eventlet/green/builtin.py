"""``eventlet.green.builtin``: the builtins, with an ``open`` that tells the hub about new files.

A file descriptor number is reused as soon as it is free.  ``open`` here announces each file it
opens to the hub (:func:`eventlet.hubs.notify_opened`), so a green thread still waiting on the
number's previous owner (a socket closed behind its back) is woken with
:class:`eventlet.hubs.IOClosed` instead of waiting for events of the new file.  Everything else is
the standard ``builtins`` (upstream eventlet's module).
"""

from __future__ import annotations

import builtins as _builtins
from typing import Any

from eventlet.hubs import notify_opened

globals().update({key: value for key, value in vars(_builtins).items() if not key.startswith("__")})
__all__ = [name for name in dir(_builtins) if not name.startswith("__")]
__patched__: list[str] = ["open"]


def open(file: Any, *args: Any, **kwargs: Any) -> Any:
    """``builtins.open``, then the hub is told the file descriptor names a new file."""
    result = _builtins.open(file, *args, **kwargs)  # noqa: SIM115 - returned to the caller open
    notify_opened(result.fileno())
    return result
