"""Ctrl-C for the example servers: always interrupt the main green thread.

Python raises ``KeyboardInterrupt`` in whatever green thread happens to run when the signal comes,
and a connection handler may be that thread.  Handing the interrupt to the hub, which throws it into
the main green thread (the one running ``eventlet.serve``), makes Ctrl-C stop the server every time.
"""

from __future__ import annotations

import signal
from typing import Any

from greenlet import getcurrent

from eventlet.hubs import get_hub


def interrupt_main_on_ctrl_c() -> None:
    """From now on, Ctrl-C raises KeyboardInterrupt in the calling (main) green thread."""
    main = getcurrent()
    hub = get_hub()

    def on_sigint(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C: at once
        hub.call_threadsafe(main.throw, KeyboardInterrupt())

    signal.signal(signal.SIGINT, on_sigint)
