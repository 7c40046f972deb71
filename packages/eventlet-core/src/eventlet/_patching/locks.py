"""Replace the OS-level locks that exist when ``_thread`` is monkey patched by green ones.

Patching ``_thread`` changes what *new* locks are, but ``logging`` made its module lock and every
handler's lock at import, a ``queue.Queue`` made its mutex when it was created, and so on.  Such a
lock, held by one green thread across a switch, would block the whole OS thread when another green
thread asks for it (a plain lock) or let it in (an RLock, whose owner is the OS thread).

Lock objects are not tracked by the garbage collector, but everything that refers to them is: this
module walks ``gc.get_objects()`` and, in dicts (module namespaces, instance ``__dict__``s, class
namespaces through ``setattr``), lists, deques, closure cells, the attribute values that 3.11+ keeps
inline in objects, and ``__slots__``, swaps each free OS lock (plain or C ``RLock``) for a green one.
One OS lock maps to one green lock wherever it is found, and bound methods of it (``Condition``
keeps ``lock.acquire``) become the same methods of its green lock.  A lock that is held at that
moment is left alone (it may belong to another OS thread, or be a thread's "alive" sentinel) and
reported.  Objects of eventlet's own types are skipped: they hold OS locks on purpose, and so do
the modules kept unpatched (the originals, and ``asyncio`` under the asyncio hub), their namespaces
and the objects of the classes they define (the threads and conditions of the original
``threading``, the asyncio hub's thread pool).
"""

from __future__ import annotations

import functools
import gc
import logging
import sys
import types
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["green_existing_locks"]

logger = logging.getLogger("eventlet.patcher")

_HEAPTYPE = 1 << 9
_SENTINEL_KEYS = frozenset({"_tstate_lock", "wakeup"})


class _Converter:
    """Maps each OS lock (by identity) to its green replacement, or to None if it must stay."""

    def __init__(self, saved: dict[str, Any], green: types.ModuleType) -> None:
        self.lock_type: Any = saved["LockType"]
        rlock = saved.get("RLock")
        self.rlock_type: Any = type(rlock()) if rlock is not None else None
        self.green = green
        self.memo: dict[int, Any] = {}
        self.keep: list[Any] = []  # keeps originals alive so that ids stay unique during the walk
        self.held: list[str] = []
        self.count = 0

    def is_target(self, obj: Any) -> bool:
        kind = type(obj)
        if kind is self.lock_type or kind is self.rlock_type:
            return True
        if kind is types.BuiltinMethodType:
            owner = getattr(obj, "__self__", None)
            return type(owner) is self.lock_type or type(owner) is self.rlock_type
        return False

    def convert(self, obj: Any, where: Callable[[], str]) -> Any:
        """The green replacement of lock (or lock method) ``obj``; None to leave it."""
        if type(obj) is types.BuiltinMethodType:
            owner = self.convert(obj.__self__, where)
            return None if owner is None else getattr(owner, obj.__name__, None)
        key = id(obj)
        if key in self.memo:
            return self.memo[key]
        self.keep.append(obj)
        new: Any = None
        if type(obj) is self.lock_type:
            if not obj.locked():
                new = self.green.LockType()
        elif obj._is_owned():
            pass  # held by this very thread: it cannot be handed over
        elif obj.acquire(False):
            obj.release()
            new = self.green.RLock()
        if new is None:
            self.held.append(where())
        else:
            self.count += 1
        self.memo[key] = new
        return new

    # ------------------------------------------------------------------ containers
    def fix_dict(self, namespace: dict[Any, Any], owner: Any = None) -> None:
        for key, value in list(namespace.items()):
            if not self.is_target(value):
                continue
            if key in _SENTINEL_KEYS and type(value) is self.lock_type and value.locked():
                continue  # a thread's liveness sentinel: held by design, not worth reporting

            def where(key: Any = key) -> str:
                name = getattr(owner, "__name__", None) or type(owner).__name__
                return f"{name}.{key}" if owner is not None else f"[{key!r}]"

            new = self.convert(value, where)
            if new is None:
                continue
            if isinstance(owner, type):
                try:
                    setattr(owner, key, new)
                except (TypeError, AttributeError):  # pragma: no cover - a static type
                    logger.debug("Cannot green lock %s.%s", owner.__name__, key)
            else:
                namespace[key] = new

    def fix_sequence(self, items: list[Any] | deque[Any]) -> None:
        for index, value in enumerate(list(items)):
            if self.is_target(value):
                new = self.convert(value, functools.partial("{}[{}]".format, type(items).__name__, index))
                if new is not None:
                    items[index] = new

    def fix_instance(self, obj: Any) -> None:
        """An object whose referents include a lock: its ``__dict__`` and ``__slots__``."""
        namespace = getattr(obj, "__dict__", None)
        if type(namespace) is dict:
            self.fix_dict(namespace, obj)
        for klass in type(obj).__mro__:
            slots = vars(klass).get("__slots__", ())
            for slot in (slots,) if isinstance(slots, str) else slots:
                value = getattr(obj, slot, None)
                if slot not in ("__dict__", "__weakref__") and self.is_target(value):
                    new = self.convert(value, functools.partial("{}.{}".format, type(obj).__name__, slot))
                    if new is not None:
                        setattr(obj, slot, new)


def _excluded_namespaces(kept: Iterable[types.ModuleType]) -> set[int]:
    """Namespaces of eventlet's modules and of the ``kept`` ones: their OS locks are deliberate."""
    excluded = {
        id(vars(module))
        for name, module in list(sys.modules.items())
        if (name == "eventlet" or name.startswith("eventlet.")) and module is not None
    }
    excluded.update(id(vars(module)) for module in kept)
    return excluded


def _kept_classes(kept: Iterable[types.ModuleType]) -> set[int]:
    """The classes that the ``kept`` modules define: their objects keep their OS locks."""
    return {
        id(value)
        for module in kept
        for value in list(vars(module).values())
        if isinstance(value, type) and value.__module__ == module.__name__
    }


def _is_own_type(kind: type) -> bool:
    module = getattr(kind, "__module__", "")
    if not isinstance(module, str):  # a metaclass may make __module__ a descriptor (psycopg does)
        return False
    return module == "eventlet" or module.startswith("eventlet.")


def green_existing_locks(
    saved: dict[str, Any], green: types.ModuleType, kept: Iterable[types.ModuleType] = ()
) -> list[str]:
    """Swap every free OS lock reachable from a tracked object for a green one.

    ``saved`` maps ``_thread`` attribute names to their original values; ``green`` is
    ``eventlet.green.thread``; the ``kept`` modules stay unpatched (see the module notes).
    Returns a description of each lock left alone because it was held.
    """
    converter = _Converter(saved, green)
    kept = list(kept)
    excluded = _excluded_namespaces(kept)
    objects = gc.get_objects()
    kept_classes = _kept_classes(kept)
    kept_namespaces = [vars(module) for module in kept]
    if kept_classes:
        for obj in objects:
            if id(type(obj)) in kept_classes:
                namespace = getattr(obj, "__dict__", None)
                if type(namespace) is dict:
                    excluded.add(id(namespace))
                    kept_namespaces.append(namespace)
    # Their lists and deques too (a Condition's waiters, held by their OS threads).
    excluded.update(
        id(value)
        for namespace in kept_namespaces
        for value in list(namespace.values())
        if type(value) is list or type(value) is deque
    )
    class_of: dict[int, type] = {}
    for obj in objects:
        if isinstance(obj, type):
            for ref in gc.get_referents(obj):
                if type(ref) is dict:
                    class_of[id(ref)] = obj
    module_of = {id(vars(m)): m for m in list(sys.modules.values()) if isinstance(m, types.ModuleType)}
    for obj in objects:
        kind = type(obj)
        if kind is dict:
            if id(obj) in excluded:
                continue
            owner = class_of.get(id(obj)) or module_of.get(id(obj))
            if isinstance(owner, type) and (_is_own_type(owner) or id(owner) in kept_classes):
                continue
            converter.fix_dict(obj, owner)
        elif kind is list or kind is deque:
            if id(obj) not in excluded:
                converter.fix_sequence(obj)
        elif kind is types.CellType:
            try:
                value = obj.cell_contents
            except ValueError:
                continue
            if converter.is_target(value):
                new = converter.convert(value, lambda: "a closure variable")
                if new is not None:
                    obj.cell_contents = new
        elif (
            kind.__flags__ & _HEAPTYPE
            and not isinstance(obj, type)
            and not _is_own_type(kind)
            and id(kind) not in kept_classes
        ):
            for ref in gc.get_referents(obj):
                if converter.is_target(ref):
                    converter.fix_instance(obj)
                    break
                if type(ref) is dict and not gc.is_tracked(ref):
                    converter.fix_dict(ref, obj)
    del objects
    logger.debug("Greened %d existing locks; %d held ones left", converter.count, len(converter.held))
    return converter.held
