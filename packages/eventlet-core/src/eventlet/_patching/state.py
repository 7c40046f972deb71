"""The process's patching state, and the unpatched standard library for the rest of eventlet.

This is the low part of the patcher: what the hubs, :mod:`eventlet.tpool` and the green modules need
from it, without importing :mod:`eventlet.patcher` (which sits above everything, since
``monkey_patch()`` reaches every layer).  It imports nothing of eventlet but
:mod:`eventlet._patching.green`, :mod:`~eventlet._patching.imports` and
:mod:`~eventlet._patching.originals`, which import nothing of eventlet at all.

* :data:`STATE`, the one :class:`PatchState` of the process: which green modules exist (loaded on
  demand), what was patched and the saved original values, the unpatched modules handed out.
* :func:`original` and :func:`original_attr`: the blocking standard library, whatever was patched.
* :func:`inject` and :func:`import_patched`: private copies of a module built on green modules
  (how most green modules are made).

:mod:`eventlet.patcher` publishes these four functions; they are documented there.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from types import ModuleType
from typing import Any

from eventlet._patching.green import GreenModules
from eventlet._patching.imports import MISSING, OwnModuleFinder, import_fresh
from eventlet._patching.originals import Unpatched

__all__ = ["STATE", "PatchState", "import_patched", "inject", "original", "original_attr"]

#: Standard modules that eventlet's own code gets as fresh unpatched imports (see protect_own_modules).
_FRESH = frozenset({"threading", "queue"})


class PatchState(GreenModules, Unpatched):
    """The process's patching state: what was patched, the original values, the original modules."""

    def __init__(self) -> None:
        GreenModules.__init__(self)
        Unpatched.__init__(self)
        self.keywords: dict[str, bool] = {}  # monkey_patch keywords applied -> True
        self.warned: set[str] = set()
        #: modules first imported by eventlet itself (asyncio, and ssl that it imports, for the
        #: asyncio hub): what they took from a module before it was patched is not warned about
        self.imported_for_hub: set[str] = set()
        self.finder: OwnModuleFinder | None = None

    def protect_own_modules(self, modules: Iterable[ModuleType]) -> None:
        """Point eventlet's own modules at unpatched views of the standard modules they import.

        Eventlet's code must reach the blocking originals (``select.epoll``, ``os.read``,
        OS threads): each global of an eventlet module that is a patched standard module becomes
        that module's :meth:`shadow`, or for ``threading`` and ``queue``, whose classes reach the
        patched ``_thread`` through their module's globals, the :meth:`original` module.
        """
        stdlib = {id(sys.modules[name]): name for name in self.patched if name in sys.modules}
        if not stdlib:
            return
        for module in modules:
            namespace = vars(module)
            for key, value in list(namespace.items()):
                name = stdlib.get(id(value)) or self.shadow_names.get(id(value))
                if name is not None and not key.startswith("__"):
                    namespace[key] = self.original(name) if name in _FRESH else self.shadow(name)


#: The process's patching state (``eventlet.patcher._state``).
STATE = PatchState()


def original(name: str) -> ModuleType:
    """The unpatched module ``name``: imported afresh (a shadow, for built-ins), once, for good.

    It stays unpatched after later ``monkey_patch()`` calls too, and is also registered as
    ``sys.modules["__original_module_<name>"]``, as upstream eventlet does.
    """
    return STATE.original(name)


def original_attr(module_name: str, attr: str, default: Any = MISSING) -> Any:
    """The original (unpatched) value of ``module_name.attr``; ``default`` if it has none."""
    return STATE.original_attr(module_name, attr, default)


def inject(
    module_name: str, new_globals: dict[str, Any] | None, *additional_modules: tuple[str, ModuleType]
) -> ModuleType:
    """Import a private copy of ``module_name`` whose imports of the named modules get the given ones.

    ``additional_modules`` are ``(name, module)`` pairs (default: every green module installed).
    If ``new_globals`` is a dict, the copy's names are copied into it too.
    """
    pairs = additional_modules or tuple(STATE.default_green_modules())
    module = import_fresh(module_name, dict(pairs))
    if new_globals is not None:
        for key, value in vars(module).items():
            if not (key.startswith("__") and key.endswith("__")):
                new_globals[key] = value
    return module


def import_patched(
    module_name: str, *additional_modules: tuple[str, ModuleType], **kw_additional_modules: ModuleType
) -> ModuleType:
    """A private copy of ``module_name`` built on green modules; the process stays unpatched.

    ``import_patched("http.client")`` uses every green module installed; give ``(name, module)``
    pairs or ``name=module`` keywords to choose which standard modules are replaced.
    """
    pairs = tuple(additional_modules) + tuple(kw_additional_modules.items())
    return inject(module_name, None, *pairs)
