"""Type-check user programs against our wheels, as a new user would: ``python -m tests.typing.run``.

1. Builds the four wheels and installs them (with pyOpenSSL and ``types-greenlet``) into a fresh
   virtualenv, so that the checkers see the installed namespace package, not the source trees
   (pyright cannot follow the other distributions' portions of an editable install).
2. Runs ``mypy --strict`` and ``pyright`` in strict mode over copies of ``tests/typing/*.py``:
   ``ok_*.py`` must get no error at all; in ``bad_*.py`` every line marked ``# expect-error`` must
   get an error from EACH checker, and no other line may get one (a checker that accepts a mistake
   fails the run, and so does one that reports a line nobody marked).
3. Runs ``pyright --verifytypes eventlet --ignoreexternal`` and fails below ``--min-score``.

Exit status 0 when everything holds; the report says what did not.  Needs ``mypy``, ``pyright``
(the PyPI wrapper, which fetches pyright itself on first use) and network access to PyPI for the
virtualenv's dependencies.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
DISTRIBUTIONS = ("eventlet-core", "eventlet-httpd", "eventlet-processes", "eventlet-ssl")
#: what the virtualenv gets besides our wheels: the (typed) extras pyOpenSSL and dnspython, greenlet's stubs
EXTRAS = ("pyOpenSSL>=24", "dnspython>=2", "types-greenlet")
MARKER = re.compile(r"#\s*expect-error\b")

Errors = dict[str, set[int]]  # program file name -> lines with an error


def _run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload, no-any-return]


def build_venv(work: Path, python: str) -> Path:
    """The virtualenv with our wheels installed; returns its interpreter."""
    dist = work / "dist"
    for name in DISTRIBUTIONS:
        done = _run(
            [python, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(ROOT / "packages" / name)]
        )
        if done.returncode:
            raise SystemExit(f"building the {name} wheel failed:\n{done.stdout}{done.stderr}")
    venv = work / "venv"
    done = _run([python, "-m", "venv", "--clear", str(venv)])
    if done.returncode:
        raise SystemExit(f"creating the virtualenv failed:\n{done.stderr}")
    venv_python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    wheels = sorted(str(path) for path in dist.glob("*.whl"))
    done = _run(
        [str(venv_python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *wheels, *EXTRAS]
    )
    if done.returncode:
        raise SystemExit(f"installing the wheels failed:\n{done.stdout}{done.stderr}")
    return venv_python


def expected_errors(programs: list[Path]) -> Errors:
    """The marked lines of each program (none for ``ok_*.py``)."""
    expected: Errors = {}
    for path in programs:
        lines = path.read_text(encoding="utf-8").splitlines()
        expected[path.name] = {number for number, line in enumerate(lines, 1) if MARKER.search(line)}
        if path.name.startswith("ok_") and expected[path.name]:
            raise SystemExit(f"{path.name}: an ok_ program cannot expect errors")
    return expected


def run_mypy(work: Path, venv_python: Path, programs: list[Path]) -> tuple[Errors, str]:
    """mypy --strict over the programs: the lines with errors, and the raw output."""
    config = work / "mypy.ini"
    config.write_text("[mypy]\n", encoding="utf-8")  # nothing from the repository's configuration
    cmd = [sys.executable, "-m", "mypy", "--strict", "--config-file", str(config)]
    cmd += ["--python-executable", str(venv_python), "--cache-dir", str(work / ".mypy_cache")]
    done = _run(cmd + [str(path) for path in programs], cwd=work)
    errors: Errors = {}
    for line in done.stdout.splitlines():
        match = re.match(r"(.+?):(\d+): error:", line)
        if match:
            errors.setdefault(Path(match[1]).name, set()).add(int(match[2]))
    if done.returncode not in (0, 1) or "error: " in done.stderr:
        raise SystemExit(f"mypy did not run:\n{done.stdout}{done.stderr}")
    return errors, done.stdout


def run_pyright(work: Path, venv_python: Path, programs: list[Path]) -> tuple[Errors, str]:
    """pyright in strict mode over the programs: the lines with errors, and a readable report."""
    config = work / "pyrightconfig.json"
    config.write_text(
        json.dumps(
            {"typeCheckingMode": "strict", "include": [str(path.relative_to(work)) for path in programs]}
        ),
        encoding="utf-8",
    )
    cmd = ["pyright", "--outputjson", "-p", str(config), "--pythonpath", str(venv_python)]
    done = _run(cmd, cwd=work)
    try:
        report = json.loads(done.stdout)
    except ValueError:
        raise SystemExit(f"pyright did not run:\n{done.stdout}{done.stderr}") from None
    errors: Errors = {}
    text = []
    for diagnostic in report["generalDiagnostics"]:
        if diagnostic["severity"] != "error":
            continue
        name = Path(diagnostic["file"]).name
        line = diagnostic["range"]["start"]["line"] + 1
        errors.setdefault(name, set()).add(line)
        text.append(f"{name}:{line}: {diagnostic['message'].splitlines()[0]}")
    return errors, "\n".join(text)


def compare(checker: str, expected: Errors, found: Errors) -> list[str]:
    """What ``checker`` got wrong: marked lines it accepted, other lines it rejected."""
    problems = []
    for name, lines in sorted(expected.items()):
        got = found.get(name, set())
        problems += [
            f"{checker}: {name}:{line}: a deliberate mistake was accepted" for line in sorted(lines - got)
        ]
        problems += [
            f"{checker}: {name}:{line}: an error where none was expected" for line in sorted(got - lines)
        ]
    return problems


def verify_types(venv_python: Path) -> tuple[float, str]:
    """``pyright --verifytypes eventlet --ignoreexternal`` in the virtualenv: the score and the report."""
    env = dict(os.environ, PATH=os.pathsep.join([str(venv_python.parent), os.environ.get("PATH", "")]))
    done = _run(["pyright", "--verifytypes", "eventlet", "--ignoreexternal", "--outputjson"], env=env)
    try:
        report = json.loads(done.stdout)
    except ValueError:
        raise SystemExit(f"pyright --verifytypes did not run:\n{done.stdout}{done.stderr}") from None
    completeness = report["typeCompleteness"]
    score = 100.0 * completeness["completenessScore"]
    lines = [
        f"{symbol['name']}: {diagnostic['message'].splitlines()[0]}"
        for symbol in completeness["symbols"]
        if not symbol["isTypeKnown"]
        for diagnostic in symbol["diagnostics"]
        if diagnostic["severity"] == "error"
    ]
    return score, "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the checks; 0 if they all hold."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--work", type=Path, help="folder for the wheels and the virtualenv (default: temporary)"
    )
    parser.add_argument(
        "--min-score", type=float, default=100.0, help="least verifytypes score accepted (%%)"
    )
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="eventlet-typing-"))
    work.mkdir(parents=True, exist_ok=True)
    venv_python = build_venv(work, sys.executable)
    programs_dir = work / "programs"
    shutil.rmtree(programs_dir, ignore_errors=True)
    programs_dir.mkdir()
    programs = [
        Path(shutil.copy(source, programs_dir))
        for source in sorted(HERE.glob("*.py"))
        if source.name.startswith(("ok_", "bad_"))
    ]
    expected = expected_errors(programs)
    problems = []
    for checker, run in (("mypy", run_mypy), ("pyright", run_pyright)):
        found, output = run(work, venv_python, programs)
        wrong = compare(checker, expected, found)
        if wrong:
            print(f"--- {checker} output\n{output}")
        problems += wrong
    marked = sum(len(lines) for lines in expected.values())
    print(f"{len(programs)} programs, {marked} deliberate mistakes, checked by mypy --strict and pyright")
    score, unknown = verify_types(venv_python)
    print(f"pyright --verifytypes eventlet --ignoreexternal: {score:.1f}% of the public symbols known")
    if score < args.min_score:
        print(unknown)
        problems.append(f"verifytypes: {score:.1f}% is below {args.min_score:.1f}%")
    for problem in problems:
        print(problem)
    print(f"{len(problems)} failed" if problems else "typing checks passed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
