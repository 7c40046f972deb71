"""Upstream eventlet installed next to ours, for real, in a throwaway virtualenv.

The one place upstream eventlet is ever installed by our tests: our four wheels go into a
temporary virtualenv, then ``pip install eventlet==0.41.3`` (as ``celery[eventlet]`` would pull it
in), then ours again over it; each time the import must fail with the repair, and the repair it
prints must work.  Then the documented ways of living beside packages that want upstream: the
stand-in distribution of ``docs/migrating/eventlet-shim`` and a constraints file.

It needs the package index (wheels are built with hatchling, upstream comes from PyPI) and takes a
minute, so it runs in the ``upstream`` tox environment, which sets ``RUN_BESIDE_UPSTREAM=1``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from tests.upstream.run import PROBE_OURS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("RUN_BESIDE_UPSTREAM"), reason="needs the package index (tox -e upstream runs it)"
    ),
    pytest.mark.timeout(900),
]

ROOT = Path(__file__).resolve().parents[2]
SHIM = ROOT / "docs" / "migrating" / "eventlet-shim"
OURS = ("eventlet-core", "eventlet-httpd", "eventlet-processes", "eventlet-ssl")
OUR_ONLY = ("eventlet.httpd", "eventlet.ssl", "eventlet.processes", "eventlet.testing")
UPSTREAM = "eventlet==0.41.3"


class Venv:
    """A throwaway virtualenv."""

    def __init__(self, path: Path) -> None:
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
        self.python = str(path / ("Scripts" if os.name == "nt" else "bin") / "python")

    def pip(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [self.python, "-m", "pip", "--disable-pip-version-check", "--no-input", *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        assert not check or done.returncode == 0, done.stdout + done.stderr
        return done

    def run(self, code: str) -> subprocess.CompletedProcess[str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
        return subprocess.run(
            [self.python, "-c", code], capture_output=True, text=True, timeout=120, env=env, check=False
        )

    def package_dir(self) -> Path:
        done = self.run("import sysconfig; print(sysconfig.get_paths()['purelib'])")
        return Path(done.stdout.strip()) / "eventlet"


def assert_refused(done: subprocess.CompletedProcess[str], wheels: list[str]) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    assert "MixedInstallError" in done.stderr, done.stderr
    assert "    pip uninstall -y eventlet\n" in done.stderr
    versions = " ".join(f"{name}=={metadata.version(name)}" for name in OURS)
    assert f"    pip install --force-reinstall --no-deps {versions}\n" in done.stderr, done.stderr
    assert len(wheels) == len(OURS)


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Our four wheels, built once."""
    out = tmp_path_factory.mktemp("wheels")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out)]
    command += [str(ROOT / "packages" / name) for name in OURS]
    subprocess.run(command, check=True, timeout=600)
    return sorted(str(path) for path in out.glob("*.whl"))


def test_upstream_over_ours_and_ours_over_upstream_are_refused(tmp_path: Path, wheels: list[str]) -> None:
    venv = Venv(tmp_path / "venv")
    venv.pip("install", *wheels)
    assert venv.run("import eventlet.httpd, eventlet.ssl, eventlet.processes").returncode == 0

    # Upstream over ours: its eventlet/__init__.py replaces ours, so `import eventlet` is upstream's
    # (nothing of ours runs); our modules that upstream lacks refuse to import.
    venv.pip("install", UPSTREAM)
    done = venv.run("import eventlet; print(eventlet.__version__)")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == "0.41.3\n", done.stdout + done.stderr
    for module in OUR_ONLY:
        assert_refused(venv.run(f"import {module}"), wheels)
    # The upstream-suite runner would not test such an environment.
    probe = venv.run(PROBE_OURS)
    assert probe.returncode == 1, probe.stderr
    assert "upstream eventlet is installed" in probe.stderr, probe.stderr

    # Ours over upstream: our __init__ finds upstream's leftovers.
    venv.pip("install", "--force-reinstall", "--no-deps", *wheels)
    assert_refused(venv.run("import eventlet"), wheels)

    # The repair the message prints (with our local wheels for the index's versions).
    venv.pip("uninstall", "-y", "eventlet")
    venv.pip("install", "--force-reinstall", "--no-deps", *wheels)
    done = venv.run("import eventlet, eventlet.httpd; print(eventlet.__version__)")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{metadata.version('eventlet-core')}\n", done.stderr
    package = venv.package_dir()
    assert not (package / "_version.py").exists()
    assert not (package / "zipkin").exists()


def test_the_stand_in_distribution_keeps_upstream_out(tmp_path: Path, wheels: list[str]) -> None:
    venv = Venv(tmp_path / "venv")
    venv.pip("install", *wheels)
    shim = tmp_path / "eventlet-shim"
    shutil.copytree(SHIM, shim)
    venv.pip("install", str(shim))
    # gunicorn[eventlet] asks for eventlet>=0.24.1: the stand-in satisfies it.
    installed = venv.pip("install", "gunicorn[eventlet]==23.0.0").stdout
    assert "eventlet-0.41" not in installed, installed
    assert venv.pip("check").returncode == 0
    assert venv.run(PROBE_OURS).returncode == 0  # the runner accepts the stand-in
    assert not (venv.package_dir() / "_version.py").exists()
    done = venv.run("import eventlet, eventlet.httpd; print(eventlet.__version__)")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{metadata.version('eventlet-core')}\n", done.stderr


def test_a_constraints_file_makes_pip_refuse_upstream(tmp_path: Path, wheels: list[str]) -> None:
    venv = Venv(tmp_path / "venv")
    venv.pip("install", *wheels)
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("eventlet<0\n")
    done = venv.pip("install", "-c", str(constraints), "gunicorn[eventlet]==23.0.0", check=False)
    assert done.returncode != 0, done.stdout + done.stderr
    assert "eventlet" in done.stderr, done.stdout + done.stderr
    assert not (venv.package_dir() / "_version.py").exists()
    assert venv.run("import eventlet.httpd").returncode == 0
