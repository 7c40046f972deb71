"""``monkey_patch(psycopg=True)``: make the PostgreSQL drivers wait on their sockets through the hub.

Neither driver does its network waiting through the ``socket`` module, so patching ``socket``
does not reach it; each offers a hook instead:

* **psycopg2** calls a process-wide *wait callback*, if one is set, whenever a query would block.
  :func:`psycopg_wait` polls the connection and waits for its socket with
  :func:`eventlet.hubs.trampoline`, so only the calling green thread waits.
* **psycopg 3** waits in C (blocking the OS thread) unless told otherwise.  Its pure-Python
  ``wait_poll`` uses ``select.poll``, which is green once ``select`` is patched; it is chosen by
  replacing ``psycopg.waiting.wait`` if psycopg is already imported, or by setting
  ``PSYCOPG_WAIT_FUNC`` (read by psycopg at import) otherwise, unless the user set it.

Neither driver is a dependency: a missing one is simply skipped.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from typing import Any

__all__ = ["patch_psycopg", "psycopg_wait"]

logger = logging.getLogger("eventlet.patcher")


def psycopg_wait(conn: Any, timeout: float | None = None) -> None:
    """psycopg2's wait callback: poll the connection, waiting greenly on its socket."""
    extensions = importlib.import_module("psycopg2.extensions")
    operational_error = importlib.import_module("psycopg2").OperationalError

    from eventlet.hubs import trampoline

    while True:
        state = conn.poll()
        if state == extensions.POLL_OK:
            return
        if state == extensions.POLL_READ:
            trampoline(conn.fileno(), read=True)
        elif state == extensions.POLL_WRITE:
            trampoline(conn.fileno(), write=True)
        else:
            raise operational_error(f"Bad result from poll: {state!r}")


def patch_psycopg() -> bool:
    """Make psycopg2 and psycopg 3 wait on their sockets through the hub; True if either is there."""
    patched = _patch_psycopg3()
    try:
        extensions = importlib.import_module("psycopg2.extensions")
    except ImportError:
        logger.debug("psycopg2 is not installed: nothing to patch")
        return patched
    extensions.set_wait_callback(psycopg_wait)
    return True


def _patch_psycopg3() -> bool:
    """Choose psycopg 3's poll() waiter; True if psycopg was imported already (else set the env)."""
    waiting: Any = sys.modules.get("psycopg.waiting")
    if waiting is None:
        os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_poll")
        return False
    waiting.wait = waiting.wait_poll
    if hasattr(waiting, "_ready_poll"):
        waiting._ready = waiting._ready_poll
    return True
