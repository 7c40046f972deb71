"""Run CPython's own test modules under ``eventlet.monkey_patch()`` and compare with a plain run.

::

    python -m tests.stdlib.run [--python PY] [--modules test_socket,test_queue] [--jobs 2]

Each module runs twice, in subprocesses of the chosen interpreter (which must have eventlet and
greenlet installed): once plain, once patched.  A test that passes plain but not patched is an
*unexpected failure* unless ``known_failures.txt`` lists it with a reason; a listed test that now
passes is an *unexpected pass* (remove its entry).  A test that hangs ends its process (after
``--test-timeout`` seconds), is recorded as ``hang`` and the module is run again without it.  The
markdown table printed at the end gives, per module, the counts and the share of the plain passes
that also pass patched.  The exit status is 1 if anything was unexpected.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHILD = HERE / "_child.py"
KNOWN = HERE / "known_failures.txt"

DEFAULT_MODULES = (
    "test_socket",
    "test_selectors",
    "test_select",
    "test_threading",
    "test_thread",
    "test_threading_local",
    "test_queue",
    "test_socketserver",
    "test_httplib",
    "test_httpservers",
    "test_urllib2_localnet",
    "test_wsgiref",
    "test_timeout",
    "test_context",
)
PASSING = frozenset({"pass", "xfail"})


@dataclass
class Known:
    """An entry of the known-failures table."""

    reason: str
    versions: frozenset[str] = frozenset()  # empty: every version

    @property
    def hangs(self) -> bool:
        return self.reason.startswith("hangs")


def load_known(path: Path, version: str) -> dict[str, Known]:
    """Parse ``<test id> [3.12 3.13]: <reason>`` lines, keeping those for Python ``version``."""
    table: dict[str, Known] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        head, sep, reason = line.partition(": ")
        if not sep or not reason.strip():
            raise ValueError(f"{path}:{number}: expected '<test id>: <reason>'")
        test_id, _, rest = head.partition(" [")
        versions = frozenset(rest.rstrip("]").split()) if rest else frozenset()
        if not versions or version in versions:
            table[test_id.strip()] = Known(reason.strip(), versions)
    return table


def run_child(
    python: str,
    module: str,
    patched: bool,
    timeout: float,
    test_timeout: float,
    skip: Iterable[str],
    log: Path | None = None,
) -> dict[str, str]:
    """Run ``module`` in a subprocess until it completes; return test id -> outcome."""
    outcomes: dict[str, str] = {}
    skipped = set(skip)
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryDirectory(prefix="eventlet-stdlib-") as tmp:
        out = Path(tmp) / "results.jsonl"
        skip_file = Path(tmp) / "skip.txt"
        for _attempt in range(25):
            skip_file.write_text("\n".join(sorted(skipped)), encoding="utf-8")
            command = [python, str(CHILD), module, str(out), "--skip-file", str(skip_file)]
            command += ["--test-timeout", str(test_timeout)] + (["--patched"] if patched else [])
            remaining = max(deadline - time.monotonic(), 1.0)
            with open(log or os.devnull, "a", encoding="utf-8") as stream:
                try:
                    subprocess.run(
                        command,
                        cwd=tmp,
                        stdin=subprocess.DEVNULL,
                        stdout=stream,
                        stderr=stream,
                        timeout=remaining,
                        check=False,
                    )
                    timed_out = False
                except subprocess.TimeoutExpired:
                    timed_out = True
            started, finished = _read_results(out, outcomes)
            unfinished = started - finished
            if not unfinished or (timed_out and time.monotonic() >= deadline):
                for test_id in unfinished:
                    outcomes[test_id] = "hang"
                break
            for test_id in unfinished:
                outcomes[test_id] = "hang"
                skipped.add(test_id)
    return outcomes


def _read_results(path: Path, outcomes: dict[str, str]) -> tuple[set[str], set[str]]:
    started: set[str] = set()
    finished: set[str] = set()
    if not path.exists():
        return started, finished
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if "start" in record:
            started.add(record["start"])
        else:
            finished.add(record["id"])
            previous = outcomes.get(record["id"])
            # A test with a failing subtest reports twice: keep the worst outcome.
            if previous not in ("fail", "error"):
                outcomes[record["id"]] = record["outcome"]
    return started, finished


@dataclass
class ModuleReport:
    """The comparison of one module's plain and patched runs."""

    module: str
    plain: dict[str, str]
    patched: dict[str, str]
    known: dict[str, Known]
    seconds: float = 0.0
    unexpected_failures: list[str] = field(default_factory=list)
    unexpected_passes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for test_id, outcome in sorted(self.patched.items()):
            known = self.known.get(test_id)
            passed = outcome in PASSING
            if known is not None and passed:
                self.unexpected_passes.append(test_id)
            elif known is None and not passed and outcome != "skip" and self.plain.get(test_id) in PASSING:
                self.unexpected_failures.append(test_id)
        # A plain pass that the patched run never reported: it crashed or hung before getting there.
        for test_id in sorted(self.plain_passing - set(self.patched)):
            if test_id not in self.known:
                self.unexpected_failures.append(test_id)

    def count(self, outcomes: Iterable[str]) -> int:
        wanted = set(outcomes)
        return sum(1 for outcome in self.patched.values() if outcome in wanted)

    @property
    def plain_passing(self) -> set[str]:
        return {test for test, outcome in self.plain.items() if outcome in PASSING}

    @property
    def ratio(self) -> float:
        base = self.plain_passing
        if not base:
            return 1.0
        return sum(1 for test in base if self.patched.get(test) in PASSING) / len(base)


def run_module(python: str, module: str, known: dict[str, Known], args: argparse.Namespace) -> ModuleReport:
    start = time.monotonic()
    prefix = f"test.{module}."
    hangs = [test for test, entry in known.items() if entry.hangs and test.startswith(prefix)]
    logs = Path(args.logs) if getattr(args, "logs", None) else None
    plain_log = logs / f"{module}.plain.log" if logs else None
    patched_log = logs / f"{module}.patched.log" if logs else None
    plain = run_child(python, module, False, args.timeout, args.test_timeout, (), plain_log)
    # A test that hangs even unpatched (e.g. AF_VSOCK in a sandbox) says nothing about eventlet:
    # do not wait for it a second time.
    hangs += [test for test, outcome in plain.items() if outcome == "hang"]
    patched = run_child(python, module, True, args.timeout, args.test_timeout, hangs, patched_log)
    mine = {test: entry for test, entry in known.items() if test.startswith(prefix)}
    return ModuleReport(module, plain, patched, mine, time.monotonic() - start)


def markdown(reports: list[ModuleReport], python_version: str, seconds: float) -> str:
    lines = [
        f"## CPython {python_version} test suite under eventlet.monkey_patch() ({seconds:.0f} s)",
        "",
        "| module | run | passed | failed | skipped | known failures | plain passes kept "
        "| unexpected failures | unexpected passes | seconds |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    total_base = total_kept = 0
    for report in reports:
        base = report.plain_passing
        kept = sum(1 for test in base if report.patched.get(test) in PASSING)
        total_base += len(base)
        total_kept += kept
        known_failed = sum(1 for test in report.known if report.patched.get(test) not in PASSING)
        lines.append(
            f"| {report.module} | {len(report.patched)} | {report.count(PASSING)} "
            f"| {report.count(('fail', 'error', 'hang', 'xpass'))} | {report.count(('skip',))} "
            f"| {known_failed} | {kept}/{len(base)} ({report.ratio:.1%}) "
            f"| {len(report.unexpected_failures)} | {len(report.unexpected_passes)} "
            f"| {report.seconds:.0f} |"
        )
    ratio = total_kept / total_base if total_base else 1.0
    lines.append(f"| **total** | | | | | | {total_kept}/{total_base} ({ratio:.1%}) | | | |")
    for report in reports:
        for title, tests in (
            ("Unexpected failures (fix them or add them to known_failures.txt)", report.unexpected_failures),
            ("Unexpected passes (remove them from known_failures.txt)", report.unexpected_passes),
        ):
            if tests:
                lines += ["", f"### {report.module}: {title}", ""]
                lines += [f"- `{test}`: {report.patched.get(test, 'never ran')}" for test in tests]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--python", default=sys.executable, help="interpreter to test (default: this one)")
    parser.add_argument("--modules", default=",".join(DEFAULT_MODULES), help="comma-separated")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=float, default=600.0, help="per module and mode, seconds")
    parser.add_argument("--test-timeout", type=float, default=30.0, help="per test, seconds")
    parser.add_argument("--json", help="also write the raw outcomes to this file")
    parser.add_argument("--logs", help="directory for the children's output (default: discarded)")
    args = parser.parse_args(argv)
    version = subprocess.run(
        [args.python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    known = load_known(KNOWN, version)
    modules = [name.strip() for name in args.modules.split(",") if name.strip()]
    if args.logs:
        Path(args.logs).mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    with ThreadPoolExecutor(max(args.jobs, 1)) as pool:
        reports = list(pool.map(lambda m: run_module(args.python, m, known, args), modules))
    print(markdown(reports, version, time.monotonic() - start))
    if args.json:
        raw = {r.module: {"plain": r.plain, "patched": r.patched} for r in reports}
        Path(args.json).write_text(json.dumps(raw, indent=1), encoding="utf-8")
    unexpected = any(r.unexpected_failures or r.unexpected_passes for r in reports)
    return 1 if unexpected else 0


if __name__ == "__main__":
    raise SystemExit(main())
