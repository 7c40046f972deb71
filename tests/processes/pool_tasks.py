"""Functions the pool tests run in worker processes (importable by name, light to import)."""

from __future__ import annotations

import os
import signal
import sys
import time
from typing import Any

STATE: dict[str, Any] = {}


def add(a: int, b: int) -> int:
    """a + b."""
    return a + b


def concat(a: bytes, b: bytes) -> bytes:
    """a + b, of bytes."""
    return a + b


def square(x: int) -> int:
    """x squared."""
    return x * x


def pid() -> int:
    """The worker's process id."""
    return os.getpid()


def fail(message: str) -> None:
    """Raise ValueError(message)."""
    raise ValueError(message)


def die() -> None:
    """Kill the worker mid-task."""
    os.kill(os.getpid(), signal.SIGKILL)


def exit_now(status: int) -> None:
    """Leave the worker without answering."""
    os._exit(status)


def nap(seconds: float) -> float:
    """Sleep (really: this is a worker), then return ``seconds``."""
    time.sleep(seconds)
    return seconds


def wait_for_path(path: str) -> str:
    """Return ``path`` once it exists (the test decides when the task may finish)."""
    while not os.path.exists(path):
        time.sleep(0.005)
    return path


def unpicklable_result() -> Any:
    """A lambda cannot be pickled."""
    return lambda: None


class Picky(Exception):
    """An exception that pickles but cannot be rebuilt from its args."""

    def __init__(self, a: int, b: int) -> None:
        super().__init__(f"{a}-{b}")


def raise_picky() -> None:
    """Raise an exception that does not survive pickling."""
    raise Picky(1, 2)


def remember(key: str, value: Any) -> None:
    """The pool initializer: store a value in the worker."""
    STATE[key] = value


def recall(key: str) -> Any:
    """Read what the initializer stored."""
    return STATE.get(key)


def talk() -> str:
    """Print on stdout and stderr (must not disturb the protocol)."""
    print("noise on stdout")
    print("noise on stderr", file=sys.stderr)
    return "fine"


class BadReply:
    """Pickles fine, fails to unpickle in the parent."""

    def __reduce__(self) -> Any:
        return (fail, ("cannot rebuild",))


def bad_reply() -> BadReply:
    """A result the parent cannot unpickle."""
    return BadReply()
