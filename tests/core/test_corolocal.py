"""eventlet.corolocal.local: attributes private to each green thread."""

from __future__ import annotations

import gc
import sys
import threading
import weakref
from typing import Any

import pytest

import eventlet
from eventlet.corolocal import get_ident, local

pytestmark = pytest.mark.usefixtures("any_hub")


def test_attributes_are_per_green_thread() -> None:
    data = local()
    data.value = "main"

    def worker(tag: str) -> tuple[bool, str]:
        had = hasattr(data, "value")
        data.value = tag
        eventlet.sleep(0)
        return had, data.value

    threads = [eventlet.spawn(worker, t) for t in "ab"]
    assert [t.wait() for t in threads] == [(False, "a"), (False, "b")]
    assert data.value == "main"


def test_missing_attribute_and_delete() -> None:
    data = local()
    with pytest.raises(AttributeError):
        _ = data.nothing
    data.x = 1
    assert data.__dict__ == {"x": 1}
    assert data._local__args == ((), {})
    del data.x
    with pytest.raises(AttributeError):
        del data.x
    with pytest.raises(AttributeError):
        data.__dict__ = {}
    with pytest.raises(AttributeError):
        del data.__dict__


def test_constructor_arguments_need_init() -> None:
    with pytest.raises(TypeError):
        local(1)


class Settings(local):
    """A subclass with defaults, a property, a method and ``__init__`` arguments."""

    kind = "class attribute"
    inits = 0

    def __init__(self, name: str, *, level: int = 0) -> None:
        type(self).inits += 1
        self.name = name
        self.level = level
        self._secret = "hidden"

    @property
    def secret(self) -> str:
        return self._secret.upper()

    @secret.setter
    def secret(self, value: str) -> None:
        self._secret = value

    @secret.deleter
    def secret(self) -> None:
        self._secret = "deleted"

    def describe(self) -> str:
        return f"{self.name}:{self.level}"


def test_subclass_init_runs_once_per_green_thread() -> None:
    Settings.inits = 0
    settings = Settings("cfg", level=2)
    assert Settings.inits == 1
    settings.level = 5

    def worker() -> tuple[str, int]:
        return settings.describe(), Settings.inits

    assert eventlet.spawn(worker).wait() == ("cfg:2", 2)
    assert settings.describe() == "cfg:5"
    assert Settings.inits == 2


def test_descriptors_and_class_attributes() -> None:
    settings = Settings("x")
    assert settings.kind == "class attribute"
    settings.kind = "instance value"  # shadows the class attribute for this green thread
    assert settings.kind == "instance value"
    assert settings.secret == "HIDDEN"
    settings.secret = "new"
    assert settings.secret == "NEW"
    del settings.secret
    assert settings.secret == "DELETED"
    assert settings.__class__ is Settings
    assert eventlet.spawn(lambda: settings.kind).wait() == "class attribute"


def test_getattr_hook() -> None:
    class Fallback(local):
        def __getattr__(self, name: str) -> str:
            return f"default-{name}"

    data = Fallback()
    data.real = "r"
    assert data.real == "r"
    assert data.other == "default-other"


def test_slots_of_subclass_are_shared_descriptors() -> None:
    class Slotted(local):
        __slots__ = ("shared",)

    data = Slotted()
    data.shared = 1  # a slot is a data descriptor on the object itself, like in threading.local
    assert eventlet.spawn(lambda: data.shared).wait() == 1


def test_failed_init_is_retried() -> None:
    class Flaky(local):
        calls = 0

        def __init__(self) -> None:
            type(self).calls += 1
            if type(self).calls == 2:
                raise RuntimeError("init failed")
            self.ok = True

    data = Flaky()

    def worker() -> bool:
        with pytest.raises(RuntimeError):
            _ = data.ok
        return data.ok  # second access initialises again

    assert eventlet.spawn(worker).wait() is True


def test_separate_os_threads() -> None:
    data = local()
    data.v = "main"
    seen: list[bool] = []

    def run() -> None:
        seen.append(hasattr(data, "v"))
        data.v = "thread"

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert seen == [False]
    assert data.v == "main"


@pytest.mark.skipif(sys.gettrace() is not None, reason="a tracer (coverage) keeps greenlets alive")
def test_values_released_with_their_green_thread() -> None:
    data = local()

    class Value:
        pass

    refs: list[weakref.ref[Any]] = []

    def worker() -> None:
        value = Value()
        refs.append(weakref.ref(value))
        data.value = value

    thread = eventlet.spawn(worker)
    thread.wait()
    del thread
    eventlet.sleep(0)  # the hub loop may still hold the arguments of the last callback it ran
    eventlet.sleep(0)
    gc.collect()
    assert refs[0]() is None


def test_get_ident_differs_between_green_threads() -> None:
    mine = get_ident()
    assert mine == get_ident()
    assert eventlet.spawn(get_ident).wait() != mine
