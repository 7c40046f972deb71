"""Helpers that upstream eventlet kept under ``eventlet.support``, for programs that import them.

New code has better spellings: ``exc.errno``, ``data.decode()``, and the ``greenlet`` package itself.
"""

from __future__ import annotations

from eventlet.support import greenlets

__all__ = ["bytes_to_str", "get_errno", "greenlets"]


def get_errno(exc: BaseException) -> object:
    """Return the error number of ``exc``: its ``errno`` attribute, else its first argument.

    The first argument is returned whatever it is, as upstream does (``get_errno(OSError("text"))`` is
    ``"text"``), so the result is an ``object`` to compare, not necessarily an ``int``; ``None`` when
    ``exc`` has neither (an exception raised without arguments).
    """
    number: int | None = getattr(exc, "errno", None)
    if number is not None:
        return number
    args = exc.args
    first: object = args[0] if args else None
    return first


def bytes_to_str(data: bytes, encoding: str = "ascii") -> str:
    """Decode ``data`` with ``encoding`` (ASCII unless told otherwise)."""
    return data.decode(encoding)
