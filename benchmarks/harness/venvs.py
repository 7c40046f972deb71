"""One cached virtualenv per implementation under ``benchmarks/.venvs/``.

Ours, upstream eventlet and gevent all install a top-level ``eventlet`` or share
``greenlet``, so each lives in its own virtualenv built from the interpreter that runs
the harness.  A stamp file records what a virtualenv was built from (the interpreter's
version and base prefix, the requirement list and, for ours, a hash of the packages'
``pyproject.toml`` files); a matching stamp means "reuse", anything else means
"rebuild".  A failed build leaves no stamp, so the next run tries again; the caller
turns the failure into ``n/a`` columns rather than an abort.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("eventlet.benchmarks")

BENCH_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BENCH_DIR.parent
VENV_ROOT = BENCH_DIR / ".venvs"
OUR_PACKAGES = ("eventlet-core", "eventlet-httpd", "eventlet-processes", "eventlet-ssl")

PEER_REQUIREMENTS: dict[str, tuple[str, ...]] = {
    "eventlet": ("eventlet==0.41.3",),
    "gevent": ("gevent",),
}
IMPLS = ("ours", "eventlet", "gevent")


class VenvError(RuntimeError):
    """A virtualenv could not be created or populated."""


@dataclass(frozen=True)
class Venv:
    """A ready virtualenv: its name and the interpreter inside it."""

    name: str
    python: Path


def _requirements(name: str) -> list[str]:
    """pip arguments that install implementation ``name``."""
    if name == "ours":
        args = ["greenlet>=3.0"]
        for pkg in OUR_PACKAGES:
            path = REPO_DIR / "packages" / pkg
            if path.is_dir():
                args += ["-e", str(path)]
        return args
    if name in PEER_REQUIREMENTS:
        return list(PEER_REQUIREMENTS[name])
    raise VenvError(f"unknown implementation {name!r}; expected one of {', '.join(IMPLS)}")


def _stamp(name: str) -> str:
    """A string that changes whenever the virtualenv must be rebuilt."""
    digest = hashlib.sha256()
    if name == "ours":
        for pkg in OUR_PACKAGES:
            project = REPO_DIR / "packages" / pkg / "pyproject.toml"
            if project.is_file():
                digest.update(project.read_bytes())
    return json.dumps(
        {
            "python": sys.version,
            "base_prefix": sys.base_prefix,
            "requirements": _requirements(name),
            "projects": digest.hexdigest(),
        },
        sort_keys=True,
    )


def _python_in(path: Path) -> Path:
    """The interpreter of the virtualenv at ``path``."""
    return path / "bin" / "python"


def _run_quiet(cmd: list[str], what: str, timeout: float) -> None:
    """Run ``cmd`` with its output captured; raise :class:`VenvError` with the tail on failure."""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise VenvError(f"{what}: timed out after {timeout:.0f} s") from None
    except OSError as exc:
        raise VenvError(f"{what}: {exc}") from exc
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-8:])
        raise VenvError(f"{what} failed (exit {proc.returncode}):\n{tail}")


def ensure(name: str, root: Path = VENV_ROOT, *, timeout: float = 600.0) -> Venv:
    """Return the virtualenv for ``name`` under ``root``, building it if missing or stale."""
    path = root / name
    stamp_file = path / ".bench-stamp"
    stamp = _stamp(name)
    python = _python_in(path)
    if python.exists() and stamp_file.is_file() and stamp_file.read_text() == stamp:
        return Venv(name, python)
    if path.exists():
        shutil.rmtree(path)
    log.info("creating virtualenv %s (once; cached in %s)", name, path)
    root.mkdir(parents=True, exist_ok=True)
    _run_quiet([sys.executable, "-m", "venv", str(path)], f"venv {name}", timeout)
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    _run_quiet(pip + _requirements(name), f"pip install for {name}", timeout)
    stamp_file.write_text(stamp)
    return Venv(name, python)


def ensure_all(names: list[str], root: Path = VENV_ROOT) -> tuple[dict[str, Venv], dict[str, str]]:
    """Build what can be built: ``(ready venvs, {name: error text})``."""
    ready: dict[str, Venv] = {}
    errors: dict[str, str] = {}
    for name in names:
        try:
            ready[name] = ensure(name, root)
        except VenvError as exc:
            log.warning("implementation %s unavailable: %s", name, exc)
            errors[name] = str(exc)
    return ready, errors
