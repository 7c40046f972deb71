"""Functions defined in the parent's main script, found again in a ProcessPool worker.

A function defined in the script that the user ran is pickled by reference as ``__main__.name``.
In a worker, ``__main__`` is the worker's own module, so the reference cannot be resolved as it is.
The standard library's ``multiprocessing`` (spawn start method) solves this by running the parent's
main script again in the child under the name ``__mp_main__``, so that everything it defines at
module level exists there, while the code under ``if __name__ == "__main__":`` does not run.  This
module does the same, with two differences:

* The script is run lazily, the first time a pickle refers to ``__main__`` (or ``__mp_main__``):
  workers that only run functions from importable modules never execute the user's script.
* What the parent sends (:func:`describe_main`) is the script's path, or the module name when it was
  started with ``python -m``; nothing when the main module has no file (an interactive session,
  ``python -c``).  In that last case, and when the name is not defined at module level, the error
  says why and what to do instead of pickle's bare ``Can't get attribute``.

Values the worker sends back whose classes were defined in the script are pickled as
``__mp_main__.Name``; the parent reads them with :class:`ParentUnpickler`, which maps that name back
to its own ``__main__``.

A script that creates a pool at module level without the ``if __name__ == "__main__":`` guard would
start new workers from every worker that imports it; :func:`check_not_importing_main` stops that
with the same advice ``multiprocessing`` gives.
"""

from __future__ import annotations

import io
import os
import pickle
import runpy
import sys
import types
from typing import Any

__all__ = [
    "MainScriptError",
    "ParentUnpickler",
    "WorkerUnpickler",
    "check_not_importing_main",
    "describe_main",
    "loads_in_parent",
    "loads_in_worker",
    "set_main",
]

_MAIN_NAMES = ("__main__", "__mp_main__")


class MainScriptError(RuntimeError):
    """A task refers to something of the parent's main script that a worker cannot find."""


def describe_main() -> dict[str, str]:
    """What a worker needs to import the current process's main module: a path or a module name."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    name = getattr(spec, "name", None)
    if name:
        # A package's __main__.py is left alone, as multiprocessing does: it rarely has the guard.
        return {} if name == "__main__" or name.endswith(".__main__") else {"name": name}
    path = getattr(main, "__file__", None)
    if path:
        return {"path": os.path.abspath(path)}
    return {}


class _MainLoader:
    """Runs the parent's main module in this worker once, on first need."""

    def __init__(self) -> None:
        self.description: dict[str, str] = {}
        self.module: types.ModuleType | None = None
        self.importing = False

    def load(self) -> types.ModuleType:
        if self.module is not None:
            return self.module
        description = self.description
        if not description:
            raise MainScriptError(
                "the task refers to a function or class of the parent's __main__ module, which a worker "
                "process cannot import (an interactive session, python -c, or a package's __main__.py): "
                "define it in a module and import it from there"
            )
        self.importing = True
        try:
            if "name" in description:
                namespace = runpy.run_module(description["name"], run_name="__mp_main__", alter_sys=True)
            else:
                namespace = runpy.run_path(description["path"], run_name="__mp_main__")
        finally:
            self.importing = False
        module = types.ModuleType("__mp_main__")
        module.__dict__.update(namespace)
        sys.modules["__main__"] = sys.modules["__mp_main__"] = self.module = module
        return module

    def find(self, qualname: str) -> Any:
        module = self.load()
        value: Any = module
        try:
            for part in qualname.split("."):
                value = getattr(value, part)
        except AttributeError:
            where = self.description.get("path") or self.description.get("name")
            raise MainScriptError(
                f"{qualname!r} is not defined at module level of the parent's main script ({where}), "
                "as a worker process sees it: the worker runs the script under the name "
                "'__mp_main__', so code under 'if __name__ == \"__main__\":' does not run there. "
                "Define the function at module level (outside that block), or move it to a module"
            ) from None
        return value


_loader = _MainLoader()


def set_main(description: dict[str, str]) -> None:
    """Remember (in a worker) how to import the parent's main module when a task needs it."""
    _loader.description = dict(description)


def check_not_importing_main() -> None:
    """Refuse to start a pool while a worker is running the parent's main script."""
    if _loader.importing:
        raise RuntimeError(
            "a ProcessPool was created while a worker process was importing the parent's main "
            "script: the script creates its pool at module level. Start the pool under "
            "'if __name__ == \"__main__\":' so that workers, which run the script under the name "
            "'__mp_main__' to find its functions, do not start pools of their own"
        )


class WorkerUnpickler(pickle.Unpickler):
    """Reads tasks in a worker: references to ``__main__`` resolve in the parent's main script."""

    def find_class(self, module: str, name: str) -> Any:
        if module in _MAIN_NAMES:
            return _loader.find(name)
        return super().find_class(module, name)


class ParentUnpickler(pickle.Unpickler):
    """Reads replies in the parent: ``__mp_main__`` (the worker's name for it) is our ``__main__``."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "__mp_main__" and "__mp_main__" not in sys.modules:
            module = "__main__"
        return super().find_class(module, name)


def loads_in_worker(payload: bytes) -> Any:
    """Unpickle a task (or the initializer) in a worker."""
    return WorkerUnpickler(io.BytesIO(payload)).load()


def loads_in_parent(payload: bytes) -> Any:
    """Unpickle a worker's reply in the parent (the plain, faster unpickler unless it needs more)."""
    try:
        return pickle.loads(payload)
    except ModuleNotFoundError as exc:
        if exc.name != "__mp_main__":
            raise
    return ParentUnpickler(io.BytesIO(payload)).load()
