"""The import contracts (pyproject.toml, checked by .ci/import_contracts.py) hold, and catch breaches.

The breaches are made in a copy of the tree: one import per contract, each of a kind the
contract exists for (I/O in a sans-IO core, a component imported by core, an extra imported at
module level, a lazy import cycle, a hub importing a primitive, a module of core in no layer).
The checker must report every one of them, and an allowed cycle that no longer exists.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("importlinter")

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPT = Path(".ci") / "import_contracts.py"
SRC = "packages/{}/src/eventlet"

# file (relative to the tree) -> the line appended to it, and what the checker must then report
BREACHES = {
    Path(SRC.format("eventlet-httpd")) / "httpd/protocol/_writer.py": (
        "import socket\n",
        "eventlet.httpd.protocol._writer imports socket",
    ),
    Path(SRC.format("eventlet-httpd")) / "httpd/websocket/_frames.py": (
        "from eventlet.hubs import get_hub\n",
        "eventlet.httpd.websocket._frames imports eventlet.hubs",
    ),
    Path(SRC.format("eventlet-httpd")) / "httpd/_log.py": (
        "import eventlet.ssl\n",
        "eventlet.httpd._log (eventlet-httpd) imports eventlet.ssl (eventlet-ssl)",
    ),
    Path(SRC.format("eventlet-httpd")) / "httpd/_stats.py": (
        "def _lazy():\n    import eventlet.processes\n",
        "eventlet.httpd._stats (eventlet-httpd) imports eventlet.processes (eventlet-processes)",
    ),
    Path(SRC.format("eventlet-core")) / "greenpool.py": (
        "def _lazy():\n    import eventlet.httpd\n",
        "eventlet.greenpool (eventlet-core) imports eventlet.httpd (eventlet-httpd)",
    ),
    Path(SRC.format("eventlet-httpd")) / "httpd/_workers.py": (
        "def _lazy():\n    from ._cli import main\n",
        "._workers -> ._cli",
    ),
    # core's layers: a hub reaching up to the primitives, lazily (a cycle too: greenthread -> hubs)
    Path(SRC.format("eventlet-core")) / "hubs/_wakeup.py": (
        "def _lazy():\n    import eventlet.greenthread\n",
        "eventlet.hubs is not allowed to import eventlet.greenthread",
    ),
    # core's layers are exhaustive: a new module must be placed in one
    Path(SRC.format("eventlet-core")) / "unplaced.py": ("VALUE = 1\n", "- eventlet.unplaced"),
    # a lazy cycle inside one layer (event <-> greenpool), which only the acyclic contract sees
    Path(SRC.format("eventlet-core")) / "event.py": (
        "def _lazy():\n    import eventlet.greenpool\n",
        "eventlet.event -> eventlet.greenpool",
    ),
}


def _copy_tree(dest: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    for dist in ("eventlet-core", "eventlet-httpd", "eventlet-processes", "eventlet-ssl"):
        shutil.copytree(ROOT / "packages" / dist, dest / "packages" / dist, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    (dest / ".ci").mkdir()
    shutil.copy(ROOT / SCRIPT, dest / SCRIPT)


def _check(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(tree / SCRIPT)],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "300"},
    )


@pytest.mark.slow
def test_the_contracts_hold_and_every_breach_is_reported(tmp_path: Path) -> None:
    _copy_tree(tmp_path)
    clean = _check(tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "6 kept, 0 broken" in clean.stdout
    assert "the analysis sees the imports of eventlet-httpd" in clean.stdout

    for path, (line, _) in BREACHES.items():
        with open(tmp_path / path, "a", encoding="utf-8") as source:
            source.write("\n\n" + line)
    broken = _check(tmp_path)
    assert broken.returncode == 1
    assert "0 kept, 6 broken" in broken.stdout
    for path, (_, report) in BREACHES.items():
        assert report in broken.stdout, (path, broken.stdout)
    assert "only an extra brings it: import it in a function" in broken.stdout


@pytest.mark.slow
def test_an_allowed_cycle_that_is_gone_breaks_the_acyclic_contract(tmp_path: Path) -> None:
    _copy_tree(tmp_path)
    config = tmp_path / "pyproject.toml"
    text = config.read_text(encoding="utf-8")
    allowed = "allowed_cycles = [\n"
    assert allowed in text
    config.write_text(
        text.replace(allowed, allowed + '    "eventlet.event, eventlet.queue",\n'), encoding="utf-8"
    )
    broken = _check(tmp_path)
    assert broken.returncode == 1
    assert "5 kept, 1 broken" in broken.stdout
    assert "allowed cycle eventlet.event, eventlet.queue is no longer a cycle: remove it" in broken.stdout
