"""A drop-in ``selectors`` module whose selectors wait on the hub.

The classes are the standard library's, with their underlying primitive swapped for the green one
from :mod:`eventlet.green.select`; so ``subprocess``, ``socketserver`` and anything else built on
``selectors`` runs unchanged in green threads.  ``DefaultSelector`` is the best green selector the
platform has (epoll, then poll, then select).  The kqueue and devpoll selectors are not offered:
they would block; ``monkey_patch()`` removes them from the standard ``selectors`` too.
"""

from __future__ import annotations

import selectors as _selectors
from selectors import EVENT_READ, EVENT_WRITE, BaseSelector, SelectorKey
from types import ModuleType
from typing import TYPE_CHECKING

from eventlet.green import select as _green_select

_HIDDEN = {"KqueueSelector", "DevpollSelector", "DefaultSelector"}

globals().update(
    {
        name: value
        for name, value in vars(_selectors).items()
        if not (name.startswith("__") or isinstance(value, ModuleType) or name in _HIDDEN)
    }
)

__all__ = [
    "EVENT_READ",
    "EVENT_WRITE",
    "BaseSelector",
    "DefaultSelector",
    "SelectSelector",
    "SelectorKey",
]
#: What monkey_patch() replaces in the standard ``selectors`` (those it has).
__patched__: list[str] = [
    name
    for name in ("DefaultSelector", "EpollSelector", "PollSelector", "SelectSelector")
    if hasattr(_selectors, name)
]
#: Blocking selectors that monkey_patch() removes from the standard ``selectors`` (those it has).
__deleted__: list[str] = ["DevpollSelector", "KqueueSelector"]


class SelectSelector(_selectors.SelectSelector):
    """``selectors.SelectSelector`` over the green ``select``."""

    _select = staticmethod(_green_select.select)


DefaultSelector: type[_selectors.BaseSelector] = SelectSelector

if hasattr(_selectors, "PollSelector"):  # pragma: no branch - absent only on Windows

    class PollSelector(_selectors.PollSelector):
        """``selectors.PollSelector`` over a green ``poll`` object."""

        _selector_cls = _green_select.poll

    __all__.append("PollSelector")
    DefaultSelector = PollSelector

if hasattr(_selectors, "EpollSelector"):  # pragma: no branch - Linux

    class EpollSelector(_selectors.EpollSelector):
        """``selectors.EpollSelector`` over a green ``epoll`` object."""

        _selector_cls = _green_select.epoll

    __all__.append("EpollSelector")
    DefaultSelector = EpollSelector


if TYPE_CHECKING:  # the standard module's names, copied in above, as type checkers can read them
    # (the green definitions above stay: an import does not replace a name already defined)
    from selectors import *  # type: ignore[assignment]  # noqa: F403
