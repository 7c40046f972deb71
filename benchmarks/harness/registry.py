"""Discovery of workloads: every ``benchmarks/workloads/<name>.py`` with a ``SPEC``.

Adding a workload means adding one file there; its ``SPEC`` carries the title, sizes,
unit and goal, and its ``main(impl, size)`` does the work in a child process.
"""

from __future__ import annotations

import importlib
import pkgutil

import workloads
from workloads._spec import WorkloadSpec


def discover() -> list[WorkloadSpec]:
    """All workload specs, in table order."""
    specs: list[WorkloadSpec] = []
    for info in pkgutil.iter_modules(workloads.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"workloads.{info.name}")
        spec = getattr(module, "SPEC", None)
        if not isinstance(spec, WorkloadSpec):
            raise TypeError(f"workloads/{info.name}.py has no WorkloadSpec named SPEC")
        if spec.name != info.name:
            raise ValueError(f"workloads/{info.name}.py declares SPEC.name={spec.name!r}")
        if not callable(getattr(module, "main", None)):
            raise TypeError(f"workloads/{info.name}.py has no main(impl, size)")
        specs.append(spec)
    return sorted(specs, key=lambda s: (s.order, s.name))


def select(specs: list[WorkloadSpec], only: list[str]) -> list[WorkloadSpec]:
    """The specs named in ``only`` (all when empty); unknown names raise ``ValueError``."""
    if not only:
        return specs
    known = {s.name: s for s in specs}
    unknown = [name for name in only if name not in known]
    if unknown:
        raise ValueError(f"unknown workload(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return [s for s in specs if s.name in only]
