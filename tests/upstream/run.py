"""Run upstream eventlet 0.41.3's own test suite against our packages: the conformance gate.

::

    python -m tests.upstream.run [--jobs 2] [--groups core,ssl] [--files hub_test,tpool_test]
    python -m tests.upstream.run --baseline     # re-measure upstream itself (network, a temp venv)

The pinned sdist is fetched into a cache (``--cache``; its sha256 is checked), only its ``tests/``
folder is extracted into a temporary directory, and each test file runs in its own pytest process
(failures would otherwise cascade through leftover hub registrations), ``--jobs`` at a time, with
``CI=true``, a junit XML file and a log per file in ``--output``.  The TEST-NET-1 tests are
deselected: nothing leaves the loopback.

The default mode tests the interpreter running this script (``--python`` for another), which must
have our packages and NOT upstream eventlet.  Each group's upstream passes are compared with
``baseline.txt``; an upstream pass failing here must be listed in ``expected/<group>.txt``
(a documented, deliberate difference), a listed test must not pass, and each group must reach 95%
of upstream's passes with at most 5% listed.  Exit status: 0 when every group meets that, 1 when
not, 2 when the run could not happen.

``--baseline`` creates a throwaway virtualenv with ``eventlet==0.41.3`` and the test tools (the
versions this interpreter has), runs the same files the same way, and rewrites ``baseline.txt``.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.upstream import report, results, sdist, suite

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BASELINE = HERE / "baseline.txt"
EXPECTED = HERE / "expected"
DOCS = REPO / "docs" / "migrating" / "from-eventlet.rst"

#: What upstream's tests import besides eventlet, installed (at this interpreter's versions) next to
#: upstream in the baseline's virtualenv.
BASELINE_TOOLS = ("pytest", "pytest-timeout", "greenlet", "pyOpenSSL", "dnspython")

#: Environment variables that would change how the files run; the run sets its own.
_DROPPED_ENV = ("PYTHONPATH", "PYTHONDEVMODE", "PYTHONWARNINGS", "PYTEST_ADDOPTS", "COVERAGE_PROCESS_START")

# The interpreter under test must have eventlet-core, and no distribution named "eventlet" that
# ships files of the package (the stand-in of docs/migrating/eventlet-shim ships none).
PROBE_OURS = """
import importlib.metadata as metadata
try:
    files = metadata.distribution("eventlet").files or ()
except metadata.PackageNotFoundError:
    files = ()
if any(str(f).replace("\\\\", "/") == "eventlet/__init__.py" for f in files):
    raise SystemExit("upstream eventlet is installed in this environment: the run would test it")
metadata.distribution("eventlet-core")
"""


def child_env(extra: dict[str, str]) -> dict[str, str]:
    """The environment of a test process: ours minus eventlet's settings, plus ``CI=true``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.upper().startswith("EVENTLET") and key not in _DROPPED_ENV
    }
    env.update(CI="true", PYTHONDONTWRITEBYTECODE="1")
    env.update(extra)
    return env


def pytest_command(python: str, run: suite.FileRun, junit: Path, timeout: float) -> list[str]:
    """The pytest command line for one file, run from the extracted root."""
    command = [python, "-m", "pytest", f"tests/{run.name}", "-q", "-rfE", f"--junitxml={junit}"]
    # No plugin of ours (eventlet's pytest11 entry point) or of the environment's cache or
    # random ordering: the files run as they do in upstream's own environment.
    command += ["-p", "no:cacheprovider", "-p", "no:eventlet", "-p", "no:randomly"]
    command += [f"--timeout={timeout:g}", "-o", "junit_family=xunit2"]
    for test in run.deselected():
        command += ["--deselect", test]
    return command


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill a test process and whatever it started (its own session)."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            process.kill()
    except ProcessLookupError:  # pragma: no cover - it ended on its own meanwhile
        pass
    process.wait()


def run_file(
    python: str, root: Path, run: suite.FileRun, output: Path, timeout: float, file_timeout: float
) -> results.FileResult:
    """Run one test file in its own pytest process; parse its junit XML."""
    junit, log = output / f"{run.stem}.xml", output / f"{run.stem}.log"
    junit.unlink(missing_ok=True)
    start = time.monotonic()
    with open(log, "wb") as stream:
        process = subprocess.Popen(
            pytest_command(python, run, junit, timeout),
            cwd=root,
            env=child_env(run.env),
            stdin=subprocess.DEVNULL,
            stdout=stream,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            code = process.wait(file_timeout)
        except subprocess.TimeoutExpired:
            _stop(process)
            code = None
    result = results.FileResult(run.name, seconds=time.monotonic() - start, log=log)
    if junit.exists():
        results.parse_junit(junit, result)
    if code is None:
        result.error = f"the file's pytest ran over {file_timeout:g} s and was killed"
    elif not junit.exists():
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:]
        result.error = f"pytest exited with {code} without a report: {results.first_line(''.join(tail))}"
    return result


def run_all(
    python: str, root: Path, runs: list[suite.FileRun], output: Path, args: argparse.Namespace
) -> list[results.FileResult]:
    """Run every planned file, ``--jobs`` at a time, and return their results in plan order."""
    output.mkdir(parents=True, exist_ok=True)

    def one(run: suite.FileRun) -> results.FileResult:
        result = run_file(python, root, run, output, args.timeout, args.file_timeout)
        counts = dict.fromkeys(results.OUTCOMES, 0)
        for outcome in result.outcomes.values():
            counts[outcome.status] += 1
        summary = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
        print(f"  {run.name}: {summary or 'no tests'} in {result.seconds:.1f} s", file=sys.stderr, flush=True)
        return result

    with ThreadPoolExecutor(max(args.jobs, 1)) as pool:
        return list(pool.map(one, runs))


def make_baseline_env(directory: Path) -> str:
    """A virtualenv with upstream eventlet and the test tools; return its interpreter."""
    subprocess.run([sys.executable, "-m", "venv", str(directory)], check=True)
    bindir = "Scripts" if os.name == "nt" else "bin"
    python = str(directory / bindir / ("python.exe" if os.name == "nt" else "python"))
    wanted = [f"eventlet=={sdist.VERSION}"]
    for name in BASELINE_TOOLS:
        try:
            wanted.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            wanted.append(name)
    print(f"baseline: installing {' '.join(wanted)}", file=sys.stderr, flush=True)
    command = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *wanted]
    subprocess.run(command, check=True)
    return python


def describe(python: str) -> str:
    """``Python 3.11.7, Linux x86_64`` for the interpreter ``python``."""
    code = "import platform, sys; print(sys.version.split()[0], platform.system(), platform.machine())"
    version, system, machine = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    return f"Python {version}, {system} {machine}"


def baseline_mode(
    root: Path, runs: list[suite.FileRun], output: Path, args: argparse.Namespace, scratch: Path
) -> int:
    python = make_baseline_env(scratch / "venv")
    start = time.monotonic()
    found = run_all(python, root, runs, output, args)
    outcomes = {test: o.status for result in found for test, o in result.outcomes.items()}
    broken = [f"{result.name}: {result.error}" for result in found if result.error]
    freeze = subprocess.run(
        [python, "-m", "pip", "freeze", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    header = [
        f"What upstream eventlet {sdist.VERSION}'s own tests do on upstream itself: '<outcome> <test id>'.",
        "Written by `python -m tests.upstream.run --baseline` (do not edit by hand); only 'passed' counts.",
        f"{describe(python)}, {datetime.date.today().isoformat()}, {time.monotonic() - start:.0f} s;",
        "packages: " + " ".join(freeze),
        *(f"problem: {line}" for line in broken),
    ]
    target = Path(args.baseline_file)
    if target.exists():  # a narrowed run (--groups, --files) keeps what it did not re-measure
        ran = {run.name for run in runs}
        kept = {t: s for t, s in results.read_baseline(target).items() if t.split("::", 1)[0] not in ran}
        outcomes = kept | outcomes
    results.write_baseline(target, header, outcomes)
    passed = [test for test, status in outcomes.items() if status == "passed"]
    per_group: dict[str, int] = {}
    for test in passed:
        per_group[suite.group_of_test(test)] = per_group.get(suite.group_of_test(test), 0) + 1
    print(f"wrote {target}: {len(outcomes)} tests, {len(passed)} pass on upstream: {per_group}")
    for line in broken:
        print(f"problem: {line}", file=sys.stderr)
    return 1 if broken else 0


def ours_mode(root: Path, runs: list[suite.FileRun], output: Path, args: argparse.Namespace) -> int:
    probe = subprocess.run([args.python, "-c", PROBE_OURS], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        print(f"cannot test {args.python}: {probe.stderr.strip()}", file=sys.stderr)
        return 2
    baseline = results.read_baseline(Path(args.baseline_file))
    expected = results.load_expected(EXPECTED, DOCS.read_text(encoding="utf-8"))
    start = time.monotonic()
    found = run_all(args.python, root, runs, output, args)
    reports = results.compare(baseline, found, expected)
    title = (
        f"Upstream eventlet {sdist.VERSION}'s own tests on ours ({describe(args.python)}, "
        f"{time.monotonic() - start:.0f} s)"
    )
    print(report.markdown(title, reports, found, expected))
    measured = results.baseline_about(Path(args.baseline_file))
    print(f"\nUpstream's passes are those of {Path(args.baseline_file).name} ({measured}).")
    print(f"\njunit XML and logs: {output}")
    return 0 if all(r.ok for r in reports.values()) else 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--python", default=sys.executable, help="interpreter to test (default: this one)")
    parser.add_argument("--jobs", type=int, default=2, help="files run at a time (default 2)")
    parser.add_argument("--groups", help=f"comma-separated, of: {', '.join(suite.GROUPS)}")
    parser.add_argument("--files", help="comma-separated file names (hub_test or hub_test.py)")
    parser.add_argument("--cache", type=Path, default=sdist.default_cache(), help="where the sdist is kept")
    parser.add_argument("--output", type=Path, help="junit XML and logs (default: a new temporary folder)")
    parser.add_argument("--timeout", type=float, default=60.0, help="per test, seconds (pytest-timeout)")
    parser.add_argument("--file-timeout", type=float, default=900.0, help="per file, seconds")
    parser.add_argument(
        "--baseline", action="store_true", help="measure upstream itself, rewrite the baseline"
    )
    parser.add_argument("--baseline-file", default=str(BASELINE), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _names(text: str | None) -> set[str] | None:
    return {name.strip() for name in text.split(",") if name.strip()} if text else None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    groups = _names(args.groups)
    if groups and not groups <= set(suite.GROUPS):
        print(f"unknown groups: {', '.join(sorted(groups - set(suite.GROUPS)))}", file=sys.stderr)
        return 2
    try:
        archive = sdist.fetch(args.cache)
    except sdist.SdistError as exc:
        print(exc, file=sys.stderr)
        return 2
    output = args.output or Path(tempfile.mkdtemp(prefix="eventlet-upstream-results-"))
    with tempfile.TemporaryDirectory(prefix="eventlet-upstream-") as tmp:
        scratch = Path(tmp)
        tests_dir = sdist.extract_tests(archive, scratch / "suite")
        runs = suite.plan(suite.test_files(tests_dir), groups, _names(args.files))
        if not runs:
            print("no test file matches the selection", file=sys.stderr)
            return 2
        print(f"running {len(runs)} files of eventlet {sdist.VERSION}'s tests", file=sys.stderr, flush=True)
        if args.baseline:
            return baseline_mode(scratch / "suite", runs, output, args, scratch)
        return ours_mode(scratch / "suite", runs, output, args)


if __name__ == "__main__":
    raise SystemExit(main())
