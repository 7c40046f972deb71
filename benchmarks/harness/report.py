"""Turning the samples into verdicts, a markdown table, JSON and an optional chart.

The figure for a cell is the median over its rounds.  The "gain" against a peer is
``peer cost / our cost`` (every primary metric is a cost), so 2.0x reads "ours needs half
of what the peer needs" whatever the unit.  A workload's status is PASS when every
clause of its goal holds, MISS when any clause fails, ``n/a`` when ours has no figure or
a clause cannot be judged for lack of a figure (and nothing failed), ``ERR`` when ours
failed on it, and ``report`` for workloads without a goal.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness.runner import REFERENCE, Cell, Results
from workloads._spec import PEERS, WorkloadSpec

log = logging.getLogger("eventlet.benchmarks")

OURS = "ours"
COLUMN_TITLES = {
    OURS: "ours",
    "eventlet": "eventlet 0.41.3",
    "gevent": "gevent",
    REFERENCE: "reference",
}


@dataclass
class Verdict:
    """The evaluated goal of one workload."""

    status: str
    clauses: list[tuple[str, bool | None]]
    gains: dict[str, float | None]


def _cell(results: Results, spec: WorkloadSpec, impl: str) -> Cell:
    """The cell, or an empty one when the implementation was not run."""
    return results.get(spec.name, {}).get(impl, Cell())


def evaluate(spec: WorkloadSpec, results: Results) -> Verdict:
    """Apply the goal of ``spec`` to the medians in ``results``."""
    ours = _cell(results, spec, OURS).median(spec.metric)
    gains: dict[str, float | None] = {}
    for peer in PEERS:
        value = _cell(results, spec, peer).median(spec.metric)
        gains[peer] = value / ours if (value is not None and ours) else None
    if not spec.goals:
        return Verdict("report", [], gains)
    clauses: list[tuple[str, bool | None]] = []
    for crit in spec.goals:
        peer_value = _cell(results, spec, crit.peer).median(spec.metric) if crit.peer else None
        verdict = None if ours is None else crit.holds(ours, peer_value)
        clauses.append((crit.describe(spec.unit), verdict))
    outcomes = [v for _, v in clauses]
    if ours is None and _cell(results, spec, OURS).error:
        status = "ERR"
    elif False in outcomes:
        status = "MISS"
    elif None in outcomes:
        status = "n/a"
    else:
        status = "PASS"
    return Verdict(status, clauses, gains)


def _num(value: float | None) -> str:
    """Three significant figures, thousands grouped; ``-`` for nothing."""
    if value is None or math.isnan(value):
        return "-"
    if math.isinf(value):
        return "inf"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _show(cell: Cell | None, key: str, ran: bool) -> str:
    """Table text for one cell: its median, ``ERR`` or ``n/a``."""
    if cell is None or not ran:
        return "n/a"
    if cell.error and not cell.samples:
        return "ERR"
    return _num(cell.median(key))


def _gain(value: float | None) -> str:
    """``2.31x`` or ``n/a``."""
    return "n/a" if value is None else f"{value:.2f}x"


def _clause_text(clauses: list[tuple[str, bool | None]], fallback: str) -> str:
    """Goal clauses with a mark each: ok, MISS or ? (cannot judge)."""
    if not clauses:
        return fallback
    marks = {True: "ok", False: "MISS", None: "?"}
    return "; ".join(f"{text} ({marks[v]})" for text, v in clauses)


def markdown(specs: list[WorkloadSpec], results: Results, meta: dict[str, Any]) -> str:
    """The full markdown report: main table, throughput table, details and notes."""
    impls: list[str] = meta["impls"]
    ran = set(impls) - set(meta["unavailable"])
    has_ref = any(s.reference for s in specs)
    cols = [OURS, *PEERS] + ([REFERENCE] if has_ref else [])
    head = ["workload", "unit", *(COLUMN_TITLES[c] for c in cols)]
    head += ["vs eventlet", "vs gevent", "goal", "status"]
    lines = [
        f"Median of {meta['rounds']} round(s){' (quick sizes)' if meta['quick'] else ''}; "
        "cost columns, lower is better; `vs peer` = peer cost / our cost (> 1: ours wins).",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "|".join(["---"] * 2 + ["---:"] * (len(cols) + 2) + ["---", "---"]) + "|",
    ]
    for spec in specs:
        verdict = evaluate(spec, results)
        row = [spec.title, spec.unit]
        for impl in cols:
            runs = impl in ran or (impl == REFERENCE and spec.reference)
            row.append(_show(results[spec.name].get(impl), spec.metric, runs))
        row += [_gain(verdict.gains[p]) for p in PEERS]
        row += [_clause_text(verdict.clauses, spec.goal_description()), f"**{verdict.status}**"]
        lines.append("| " + " | ".join(row) + " |")
    lines += _throughput(specs, results, cols, ran)
    lines += _details(specs, results, cols, ran)
    lines += _notes(specs, results, meta)
    return "\n".join(lines) + "\n"


def _throughput(specs: list[WorkloadSpec], results: Results, cols: list[str], ran: set[str]) -> list[str]:
    """Operations per CPU-second for the workloads that count operations."""
    rows = [s for s in specs if s.throughput]
    if not rows:
        return []
    out = ["", "Operations per CPU-second (higher is better):", ""]
    out.append("| workload | " + " | ".join(COLUMN_TITLES[c] for c in cols) + " |")
    out.append("|---|" + "|".join(["---:"] * len(cols)) + "|")
    for spec in rows:
        cells = [
            _show(results[spec.name].get(c), "ops_per_cpu_s", c in ran or (c == REFERENCE and spec.reference))
            for c in cols
        ]
        out.append(f"| {spec.title} | " + " | ".join(cells) + " |")
    return out


def _details(specs: list[WorkloadSpec], results: Results, cols: list[str], ran: set[str]) -> list[str]:
    """Secondary figures named by each spec's ``details``."""
    out: list[str] = []
    for spec in specs:
        for key in spec.details:
            parts = []
            for impl in cols:
                cell = results[spec.name].get(impl)
                if cell is None or (impl == REFERENCE and not spec.reference):
                    continue
                parts.append(f"{COLUMN_TITLES[impl]} {_show(cell, key, impl in ran or impl == REFERENCE)}")
            if parts:
                out.append(f"- {spec.name}, `{key}` (median): " + ", ".join(parts))
    return ["", "Details:", "", *out] if out else []


def _notes(specs: list[WorkloadSpec], results: Results, meta: dict[str, Any]) -> list[str]:
    """Method, versions and every error, so a reader can judge the table."""
    out = ["", "Notes:", ""]
    out.append(f"- {meta['pinning']}; Python {meta['python']}; {meta['cpus']} CPU(s).")
    versions = []
    for spec in specs:
        for impl, cell in results[spec.name].items():
            lib = cell.first("library")
            if lib and impl != REFERENCE and f"{impl}: {lib}" not in versions:
                versions.append(f"{impl}: {lib}")
    if versions:
        out.append("- Libraries: " + "; ".join(versions) + ".")
    out.extend(
        f"- `reference` of {spec.name}: {spec.reference_text}"
        for spec in specs
        if spec.reference and spec.reference_text and REFERENCE in results[spec.name]
    )
    for name, err in meta["unavailable"].items():
        lines = [ln.strip() for ln in err.splitlines() if ln.strip()]
        why = f"{lines[0]} ... {lines[-1]}" if len(lines) > 1 else (lines or ["unknown error"])[0]
        out.append(f"- `{name}` unavailable (columns n/a): {why}")
    for spec in specs:
        for impl, cell in results[spec.name].items():
            if cell.error:
                out.append(f"- ERR {spec.name} on {impl}: {cell.error}")
    return out


def to_json(specs: list[WorkloadSpec], results: Results, meta: dict[str, Any]) -> dict[str, Any]:
    """Everything measured, with medians and verdicts, as a JSON-ready dict."""
    workloads: dict[str, Any] = {}
    for spec in specs:
        verdict = evaluate(spec, results)
        cells: dict[str, Any] = {}
        for impl, cell in results[spec.name].items():
            keys = sorted({k for s in cell.samples for k, v in s.items() if isinstance(v, (int, float))})
            cells[impl] = {
                "median": {k: cell.median(k) for k in keys},
                "samples": cell.samples,
                "error": cell.error or None,
            }
        workloads[spec.name] = {
            "spec": {**asdict(spec), "goal": spec.goal_description()},
            "cells": cells,
            "gain_vs": verdict.gains,
            "clauses": [{"goal": t, "holds": v} for t, v in verdict.clauses],
            "status": verdict.status,
        }
    return {"meta": meta, "workloads": workloads}


def _gain_label(gain: float) -> str:
    """Short bar label: ``0.87x``, ``2.4x``, ``460x``; empty for a missing figure."""
    if math.isnan(gain):
        return ""
    return f"{gain:.0f}x" if gain >= 10 else f"{gain:.2g}x"


def write_png(specs: list[WorkloadSpec], results: Results, path: Path) -> str:
    """Bar chart of our gain against each peer; returns a note (written or skipped)."""
    if importlib.util.find_spec("matplotlib") is None:
        return "matplotlib not importable in this interpreter: no chart written"
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names: list[str] = []
    gains: dict[str, list[float]] = {peer: [] for peer in PEERS}
    for spec in specs:
        verdict = evaluate(spec, results)
        if all(verdict.gains[p] is None for p in PEERS):
            continue
        names.append(spec.name)
        for peer in PEERS:
            gains[peer].append(verdict.gains[peer] or math.nan)
    if not names:
        return "no workload has both ours and a peer measured: no chart written"
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(names) + 2), 4.5))
    width = 0.8 / len(PEERS)
    for i, peer in enumerate(PEERS):
        xs = [x + (i - (len(PEERS) - 1) / 2) * width for x in range(len(names))]
        bars = ax.bar(xs, gains[peer], width, label=f"vs {COLUMN_TITLES[peer]}")
        ax.bar_label(bars, labels=[_gain_label(g) for g in gains[peer]], fontsize=7)
    ax.set_yscale("log")
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=30, ha="right")
    ax.set_ylabel("peer cost / our cost, log scale (> 1: ours better)")
    ax.set_title("Eventlet (ours) against its peers, medians")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"chart written to {path}"


def write_all(
    specs: list[WorkloadSpec], results: Results, meta: dict[str, Any], out_dir: Path
) -> tuple[str, list[str]]:
    """Write latest.json, latest.md and (if possible) latest.png; return (markdown, notes)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    text = markdown(specs, results, meta)
    (out_dir / "latest.md").write_text(text, encoding="utf-8")
    data = to_json(specs, results, meta)
    (out_dir / "latest.json").write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    notes = [f"wrote {out_dir / 'latest.md'} and {out_dir / 'latest.json'}"]
    try:
        notes.append(write_png(specs, results, out_dir / "latest.png"))
    except Exception as exc:  # a broken matplotlib must not lose the measured numbers
        log.warning("chart failed: %s", exc)
        notes.append(f"chart failed: {exc}")
    return text, notes
