"""Green child processes for Eventlet: ``Process``, ``ProcessPool`` and a green ``subprocess``.

* :class:`Process` runs a command with green stdin/stdout/stderr streams (timeouts on every
  blocking call), waits for it without polling and signals it or its whole process group.
* :class:`ProcessPool` keeps worker processes that run Python callables for any number of green
  threads (``apply``, ``apply_async``, ``map``, ``imap``...).
* :mod:`eventlet.green.subprocess` is the standard ``subprocess`` with every blocking call green.

Names are imported lazily, so ``import eventlet.processes`` (and the pool's worker processes, which
import :mod:`eventlet.processes._worker`) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventlet import (
    _coinstall,  # noqa: F401  (fails if upstream eventlet's files are mixed in)
    _lazy_exports,
)

_EXPORTS = {
    "Process": "eventlet.processes._process",
    "ProcessPool": "eventlet.processes._pool",
    "AsyncResult": "eventlet.processes._results",
    "ProcessPoolError": "eventlet.processes._results",
    "PoolTerminated": "eventlet.processes._results",
    "RemoteTraceback": "eventlet.processes._results",
    "WorkerDied": "eventlet.processes._results",
    "PipeStream": "eventlet.processes._streams",
    "PipeTimeout": "eventlet.processes._streams",
    "TextStream": "eventlet.processes._text",
    "resolve_io_mode": "eventlet.processes._streams",
}

__all__ = [
    "AsyncResult",
    "PipeStream",
    "PipeTimeout",
    "PoolTerminated",
    "Process",
    "ProcessPool",
    "ProcessPoolError",
    "RemoteTraceback",
    "TextStream",
    "WorkerDied",
    "resolve_io_mode",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from collections.abc import Callable

    from eventlet.processes._pool import ProcessPool
    from eventlet.processes._process import Process
    from eventlet.processes._results import (
        AsyncResult,
        PoolTerminated,
        ProcessPoolError,
        RemoteTraceback,
        WorkerDied,
    )
    from eventlet.processes._streams import PipeStream, PipeTimeout, resolve_io_mode
    from eventlet.processes._text import TextStream


# A name of __all__ read for the first time imports the module that defines it (core's mechanism).
__dir__: Callable[[], list[str]]
_lazy_attribute, __dir__ = _lazy_exports(globals(), _EXPORTS)

# Hidden from type checkers, which read the imports above: a module __getattr__ would make every
# misspelt name type-check.
if not TYPE_CHECKING:
    __getattr__ = _lazy_attribute
