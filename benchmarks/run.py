"""Compare our eventlet with upstream eventlet 0.41.3 and gevent, one virtualenv each.

Usage::

    python benchmarks/run.py [--quick] [--rounds N] [--only WORKLOAD,...]
                             [--impl ours,eventlet,gevent]

Builds (once, cached) ``benchmarks/.venvs/{ours,eventlet,gevent}`` with the running
interpreter, runs every workload in ``benchmarks/workloads/`` in a fresh child process
per implementation and round, prints a markdown table of medians, gains and goal
verdicts, and writes ``benchmarks/results/latest.{md,json,png}``.  An implementation that
cannot be installed shows ``n/a``; a workload that fails on one shows ``ERR``.  The exit
status is 0 unless the command line is wrong or nothing at all could be measured (or,
with ``--strict``, ours failed somewhere).
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

from harness import registry, report, runner, venvs  # noqa: E402

log = logging.getLogger("eventlet.benchmarks")


def _csv(text: str) -> list[str]:
    """Split a comma-separated option into its non-empty items."""
    return [item.strip() for item in text.split(",") if item.strip()]


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 round with smaller sizes")
    parser.add_argument("--rounds", type=int, default=None, help="rounds (default 5; 1 with --quick)")
    parser.add_argument("--only", type=_csv, default=[], help="comma-separated workload names")
    parser.add_argument(
        "--impl",
        type=_csv,
        default=list(venvs.IMPLS),
        help="comma-separated implementations (default: ours,eventlet,gevent)",
    )
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results", help="results folder")
    parser.add_argument("--venvs", type=Path, default=venvs.VENV_ROOT, help="virtualenv cache folder")
    parser.add_argument("--strict", action="store_true", help="exit 1 if any workload fails (ERR) on ours")
    parser.add_argument("--list", action="store_true", help="list the workloads and exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    args = parser.parse_args(argv)
    if args.rounds is None:
        args.rounds = 1 if args.quick else 5
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    bad = [i for i in args.impl if i not in venvs.IMPLS]
    if bad or not args.impl:
        parser.error(f"--impl takes a subset of {','.join(venvs.IMPLS)}; got {','.join(bad)}")
    return args


def main(argv: list[str]) -> int:
    """Run the benchmarks; return the exit status."""
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(message)s",
        stream=sys.stderr,
    )
    specs = registry.discover()
    if args.list:
        for spec in specs:
            print(f"{spec.name:18} {spec.title}  [goal: {spec.goal_description()}]")
        return 0
    try:
        specs = registry.select(specs, args.only)
    except ValueError as exc:
        log.error("%s", exc)
        return 2
    started = time.perf_counter()
    ready, unavailable = venvs.ensure_all(args.impl, args.venvs)
    cores = runner.Cores.detect()
    log.info("%s; %d round(s)%s", cores.describe(), args.rounds, " (quick)" if args.quick else "")
    pythons = {name: ready[name].python for name in args.impl if name in ready}
    results = runner.run_all(specs, pythons, rounds=args.rounds, quick=args.quick, cores=cores)
    meta = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "pinning": cores.describe(),
        "rounds": args.rounds,
        "quick": args.quick,
        "impls": args.impl,
        "unavailable": unavailable,
        "elapsed_s": round(time.perf_counter() - started, 1),
    }
    text, notes = report.write_all(specs, results, meta, args.out)
    print(text)
    for note in notes:
        log.info("%s", note)
    log.info("done in %.0f s", time.perf_counter() - started)
    measured = any(cell.samples for cells in results.values() for cell in cells.values())
    if not measured:
        log.error("nothing could be measured")
        return 1
    if args.strict:
        failed = [name for name, cells in results.items() if "ours" in cells and cells["ours"].error]
        if failed or "ours" in unavailable:
            log.error("--strict: ours failed on %s", ", ".join(failed) or "installation")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
