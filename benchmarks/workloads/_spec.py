"""Workload descriptions and goals, shared by the harness and the child processes.

Every workload file in this folder declares one module-level ``SPEC`` built from the
classes below, and one ``main(impl, size) -> dict`` function.  The harness discovers the
files, reads ``SPEC`` (this module imports only the standard library, so reading it never
pulls in a green-thread library) and runs ``main`` in a fresh child process per
implementation.

The primary metric of every workload is a *cost*: lower is better (CPU microseconds per
operation, KiB per thread, milliseconds per import).  Comparisons are therefore expressed
as ``peer cost / our cost``: a factor above 1 means ours is better, 2.0 means "twice as
cheap".  A goal is a tuple of criteria, each either relative to a peer or an absolute cap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PEERS = ("eventlet", "gevent")
"""Implementations we compare ours against (names of cached virtualenvs)."""


@dataclass(frozen=True)
class Criterion:
    """One clause of a goal.

    With ``peer`` set: ``peer_cost / our_cost >= factor`` (``> factor`` when ``strict``).
    Without: ``our_cost < limit``.
    """

    peer: str = ""
    factor: float = 1.0
    limit: float = 0.0
    strict: bool = False

    def describe(self, unit: str) -> str:
        """Human text such as ``>= 2x eventlet`` or ``< 30 ms``."""
        if not self.peer:
            return f"< {self.limit:g} {unit.split('/')[0]}"
        op = ">" if self.strict else ">="
        return f"{op} {self.factor:g}x {self.peer}"

    def holds(self, ours: float, peer_value: float | None) -> bool | None:
        """Whether the clause holds; ``None`` when it cannot be judged (missing data)."""
        if not self.peer:
            return ours < self.limit
        if peer_value is None or ours <= 0:
            return None
        gain = peer_value / ours
        return gain > self.factor if self.strict else gain >= self.factor


def beats(peer: str, factor: float = 1.0, *, strict: bool = False) -> Criterion:
    """Ours must cost at most ``1/factor`` of ``peer`` (a ``factor``-times improvement)."""
    return Criterion(peer=peer, factor=factor, strict=strict)


def below(limit: float) -> Criterion:
    """Ours must stay strictly below ``limit`` (in the workload's unit)."""
    return Criterion(limit=limit)


@dataclass(frozen=True)
class WorkloadSpec:
    """What a workload measures, how big it is and what we aim for.

    ``metric`` names the key of the result dict that holds the cost (lower is better);
    ``throughput`` adds an ops-per-CPU-second column (the child computes
    ``ops_per_cpu_s`` and ``cpu_us_per_op`` from ``ops`` and ``cpu_s``).  ``details``
    are other result keys worth showing under the table.  ``reference`` marks workloads
    whose ``main`` also accepts ``impl="reference"`` (the same job without a green library,
    run with ours' virtualenv interpreter, the harness's CPython: a ceiling or a floor),
    which ``reference_text`` describes.  Empty ``goals`` means "report only".
    """

    name: str
    title: str
    issue: str
    metric: str
    unit: str
    size: int
    quick_size: int
    order: int
    goals: tuple[Criterion, ...] = ()
    goal_text: str = ""
    throughput: bool = False
    reference: bool = False
    #: what the ``reference`` column runs (shown under the table)
    reference_text: str = ""
    details: tuple[str, ...] = ()
    timeout_s: float = 180.0
    notes: str = field(default="", compare=False)

    def goal_description(self) -> str:
        """The goal as one short line (``report`` when there is none)."""
        if self.goal_text:
            return self.goal_text
        if not self.goals:
            return "report"
        return ", ".join(c.describe(self.unit) for c in self.goals)
