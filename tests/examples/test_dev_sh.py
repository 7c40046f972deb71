"""``./dev.sh``: the set-up is redone only when something it installs from has changed.

The script runs for real (bash) in a copy of its surroundings, with a stand-in interpreter that
records what it is asked to do instead of building virtualenvs, so the test checks dev.sh's own
logic in a second and never touches the repository's ``.venv``.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

from tests.clients._support import ROOT

FAKE_PYTHON = """#!/usr/bin/env bash
# Stands in for python3: "-m venv DIR" makes DIR/bin/python (this same script); "-m pip ..." and
# running a program are appended to $CALLS.
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
    mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && echo "venv $3" >> "$CALLS"
    exit 0
fi
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then
    echo "pip ${*:3}" >> "$CALLS"
    exit 0
fi
echo "run $*" >> "$CALLS"
"""


def make_tree(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    tree = tmp_path / "repo"
    tree.mkdir()
    shutil.copy2(ROOT / "dev.sh", tree / "dev.sh")
    for pyproject in (ROOT / "packages").glob("*/pyproject.toml"):
        target = tree / "packages" / pyproject.parent.name / "pyproject.toml"
        target.parent.mkdir(parents=True)
        shutil.copy2(pyproject, target)
    fake = tmp_path / "python3"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = dict(os.environ, PYTHON=str(fake), CALLS=str(tmp_path / "calls.log"))
    return tree, env


def run_demo(tree: Path, env: dict[str, str]) -> list[str]:
    calls = Path(env["CALLS"])
    calls.write_text("")
    subprocess.run(["bash", "dev.sh", "demo", "0"], cwd=tree, env=env, check=True, timeout=60)
    return calls.read_text().splitlines()


def test_demo_installs_once_then_starts_without_reinstalling(tmp_path: Path) -> None:
    tree, env = make_tree(tmp_path)
    first = run_demo(tree, env)
    assert first[0] == "venv .venv"
    assert first[1].startswith("pip install")
    assert "-e packages/eventlet-httpd" in first[1]
    assert first[2] == "run examples/demo.py --port 0"

    assert run_demo(tree, env) == ["run examples/demo.py --port 0"]


def test_a_changed_pyproject_reinstalls(tmp_path: Path) -> None:
    tree, env = make_tree(tmp_path)
    run_demo(tree, env)
    pyproject = tree / "packages" / "eventlet-core" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n# a new dependency, say\n")
    calls = run_demo(tree, env)
    assert [call.split()[0] for call in calls] == ["pip", "run"]
    assert run_demo(tree, env) == ["run examples/demo.py --port 0"]
