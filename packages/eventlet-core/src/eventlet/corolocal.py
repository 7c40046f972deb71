"""Green-thread-local storage: :class:`local`, the green counterpart of :class:`threading.local`.

Each green thread sees its own set of attributes on a :class:`local` object.  The attributes live in
one dictionary per green thread, kept in a :class:`weakref.WeakKeyDictionary` keyed by the greenlet,
so a finished green thread's values go away with it.

Attribute access is resolved by hand against that dictionary instead of swapping the object's
``__dict__`` before each access: swapping is not safe when real OS threads share the object (another
thread may swap in between), and resolving directly costs about the same.  The lookup follows
Python's own rules: data descriptors of the class (properties, slots) first, then the green thread's
dictionary, then other class attributes (methods bind as usual), then ``__getattr__`` if defined.

A subclass's ``__init__`` runs once per green thread, on its first access, with the arguments given
to the constructor (as in :class:`threading.local`).
"""

from __future__ import annotations

import weakref
from typing import Any

from greenlet import getcurrent, greenlet

__all__ = ["get_ident", "local"]

_MISSING: Any = object()
_object_getattribute = object.__getattribute__
_object_setattr = object.__setattr__


def get_ident() -> int:
    """An integer identifying the current green thread (the ``id`` of its greenlet)."""
    return id(getcurrent())


def _class_attribute(cls: type, name: str) -> Any:
    """``name`` as found in the class's MRO dictionaries (without invoking descriptors)."""
    for klass in cls.__mro__:
        value = klass.__dict__.get(name, _MISSING)
        if value is not _MISSING:
            return value
    return _MISSING


def _is_data_descriptor(value: Any) -> bool:
    kind = type(value)
    return hasattr(kind, "__set__") or hasattr(kind, "__delete__")


def _local_dict(obj: local) -> dict[str, Any]:
    """The current green thread's attribute dictionary of ``obj``, initialising it on first use."""
    dicts: dict[greenlet, dict[str, Any]] = _object_getattribute(obj, "_local__dicts")
    current = getcurrent()
    namespace = dicts.get(current)
    if namespace is None:
        namespace = dicts[current] = {}
        cls = type(obj)
        if cls.__init__ is not object.__init__:
            args, kwargs = _object_getattribute(obj, "_local__args")
            try:
                cls.__init__(obj, *args, **kwargs)
            except BaseException:
                del dicts[current]  # not initialised: try again on the next access
                raise
    return namespace


class local:
    """An object whose attributes are private to each green thread.

    Subclass it to give defaults or methods; ``__init__`` runs again in each green thread that uses
    the object, with the constructor's arguments.
    """

    __slots__ = ("__weakref__", "_local__args", "_local__dicts")

    def __new__(cls, *args: Any, **kwargs: Any) -> local:
        if (args or kwargs) and cls.__init__ is object.__init__:
            raise TypeError("Initialization arguments are not supported")
        self = object.__new__(cls)
        _object_setattr(self, "_local__args", (args, kwargs))
        dicts: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()
        # The creating green thread's dictionary exists already: Python calls __init__ for it.
        dicts[getcurrent()] = {}
        _object_setattr(self, "_local__dicts", dicts)
        return self

    def __getattribute__(self, name: str) -> Any:
        if name in ("_local__args", "_local__dicts"):
            return _object_getattribute(self, name)
        namespace = _local_dict(self)
        if name == "__dict__":
            return namespace
        cls = type(self)
        attr = _class_attribute(cls, name)
        if attr is not _MISSING and _is_data_descriptor(attr):
            return type(attr).__get__(attr, self, cls)
        value = namespace.get(name, _MISSING)
        if value is not _MISSING:
            return value
        if attr is not _MISSING:
            getter = getattr(type(attr), "__get__", None)
            if getter is not None:
                return getter(attr, self, cls)
            return attr
        raise AttributeError(f"{cls.__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "__dict__":
            raise AttributeError(f"{type(self).__name__!r} object attribute '__dict__' is read-only")
        namespace = _local_dict(self)
        attr = _class_attribute(type(self), name)
        if attr is not _MISSING and hasattr(type(attr), "__set__"):
            type(attr).__set__(attr, self, value)
            return
        namespace[name] = value

    def __delattr__(self, name: str) -> None:
        if name == "__dict__":
            raise AttributeError(f"{type(self).__name__!r} object attribute '__dict__' is read-only")
        namespace = _local_dict(self)
        attr = _class_attribute(type(self), name)
        if attr is not _MISSING and hasattr(type(attr), "__delete__"):
            type(attr).__delete__(attr, self)
            return
        try:
            del namespace[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}") from None
