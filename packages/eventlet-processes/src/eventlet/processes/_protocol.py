"""The pool's wire format: length-prefixed pickles.  Standard library only (the worker imports it).

A frame is an 8-byte big-endian length followed by that many bytes of pickle.  The parent sends, in
order: the worker's settings (a dict: ``sys_path``, the parent's ``sys.path``, and ``main``, how to
import the parent's main module: see :mod:`eventlet.processes._mainmodule`), ``(initializer,
initargs)``, then one ``(function, args, kwargs)`` per task.  The worker answers the initializer
and every task, in order, with ``(ok, value)``: ``(True, result)`` or ``(False, (exception,
traceback_text))``.
"""

from __future__ import annotations

import os
import pickle
import traceback
from typing import Any, BinaryIO

__all__ = [
    "HEADER",
    "decode_header",
    "dump_error",
    "dump_result",
    "frame",
    "read_frame",
    "write_all",
]

HEADER = 8
PROTOCOL = pickle.HIGHEST_PROTOCOL


def frame(payload: bytes) -> bytes:
    """``payload`` with its length in front."""
    return len(payload).to_bytes(HEADER, "big") + payload


def decode_header(header: bytes) -> int:
    """The payload length a header announces."""
    return int.from_bytes(header, "big")


def read_frame(stream: BinaryIO) -> bytes | None:
    """The next payload from a blocking binary stream; None at a clean end of file."""
    header = stream.read(HEADER)
    if not header:
        return None
    if len(header) < HEADER:
        raise EOFError("the pipe closed in the middle of a frame header")
    size = decode_header(header)
    payload = stream.read(size)
    if len(payload) < size:
        raise EOFError("the pipe closed in the middle of a frame")
    return payload


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to the blocking ``fd``."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def dump_result(value: Any) -> bytes:
    """The reply for a task that returned ``value`` (an error reply if it cannot be pickled)."""
    try:
        return pickle.dumps((True, value), PROTOCOL)
    except Exception as exc:
        return dump_error(pickle.PicklingError(f"the task's result could not be pickled: {exc!r}"))


def dump_error(exc: BaseException) -> bytes:
    """The reply for a task that raised ``exc``: the exception and its formatted traceback.

    An exception that does not survive a pickle round trip is replaced by a ``RuntimeError``
    describing it, so the parent always gets something it can raise.
    """
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        payload = pickle.dumps((False, (exc, text)), PROTOCOL)
        pickle.loads(payload)
    except Exception as problem:
        stand_in = RuntimeError(
            f"{type(exc).__module__}.{type(exc).__qualname__}: {exc} "
            f"(the exception could not be sent back: {problem!r})"
        )
        payload = pickle.dumps((False, (stand_in, text)), PROTOCOL)
    return payload
