"""Upstream eventlet's files mixed into our ``eventlet`` package are refused, with the repair.

The real thing (our wheels, then ``pip install eventlet==0.41.3`` in a throwaway virtualenv) is
``tests/upstream/test_beside_upstream.py``; these tests drive the same checks with marker files.
"""

from __future__ import annotations

import os
import subprocess
import sys
import types
from importlib import metadata
from pathlib import Path

import pytest

import eventlet
from eventlet import _coinstall

ROOT = Path(__file__).resolve().parents[2]
OURS = sorted(ROOT.glob("packages/*/src/eventlet"))


def test_no_distribution_of_ours_ships_a_marker() -> None:
    assert len(OURS) == 4
    for package in OURS:
        assert _coinstall.upstream_files([str(package)]) == [], package


def test_the_package_init_checks_every_marker() -> None:
    # eventlet/__init__.py repeats the markers inline (importing _coinstall there would cost time).
    source = (ROOT / "packages/eventlet-core/src/eventlet/__init__.py").read_text(encoding="utf-8")
    for marker in _coinstall.UPSTREAM_MARKERS:
        assert f'_exists(__path__[0] + "/{marker}")' in source


@pytest.mark.parametrize("marker", _coinstall.UPSTREAM_MARKERS)
def test_the_package_init_refuses_upstream_files_in_its_folder(
    tmp_path: Path, marker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Our __init__.py run as the package of a folder that also holds one of upstream's files (what
    # installing ours over upstream leaves): it raises before defining anything.
    (tmp_path / marker).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / marker).write_text("# upstream's\n")
    init = ROOT / "packages/eventlet-core/src/eventlet/__init__.py"
    package = types.ModuleType("eventlet")
    package.__path__ = [str(tmp_path)]
    package.__file__ = str(tmp_path / "__init__.py")
    monkeypatch.setitem(sys.modules, "eventlet", package)
    code = compile(init.read_text(encoding="utf-8"), str(init), "exec")
    with pytest.raises(_coinstall.MixedInstallError, match="files are installed here"):
        exec(code, vars(package))
    assert "_EXPORTS" not in vars(package)


def test_our_subpackages_refuse_upstream_files_in_any_folder_of_the_package(tmp_path: Path) -> None:
    # A folder named eventlet holding upstream's files on sys.path (an upstream checkout, say): our
    # __init__ adds it to the package's path, as it does for our other distributions' folders,
    # and only checks its own folder (to stay fast); our subpackages check every folder.
    leftover = tmp_path / "eventlet" / "_version.py"
    leftover.parent.mkdir(parents=True)
    leftover.write_text("# upstream's\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), *sys.path]))
    code = "import eventlet\nprint('imported')\nimport eventlet.testing"  # core's own subpackage
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert done.stdout == "imported\n", done.stderr
    assert "MixedInstallError: Upstream eventlet's files are installed here" in done.stderr
    assert str(leftover) in done.stderr
    core = f"eventlet-core=={metadata.version('eventlet-core')}"
    assert "    pip uninstall -y eventlet\n" in done.stderr
    assert f"    pip install --force-reinstall --no-deps {core}" in done.stderr


def fake_package(monkeypatch: pytest.MonkeyPatch, path: list[str], file: str | None) -> None:
    package = types.ModuleType("eventlet")
    package.__path__ = path
    if file is not None:
        package.__file__ = file
    monkeypatch.setitem(sys.modules, "eventlet", package)


def test_check_package_accepts_ours() -> None:
    assert eventlet.__file__ is not None
    _coinstall.check_package()


def test_check_package_refuses_upstream_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "_version.py").write_text("__version__ = '0.41.3'\n")
    fake_package(monkeypatch, [str(tmp_path)], str(tmp_path / "__init__.py"))
    with pytest.raises(_coinstall.MixedInstallError, match="files are installed here") as caught:
        _coinstall.check_package()
    assert isinstance(caught.value, RuntimeError)
    assert not isinstance(caught.value, ImportError)


def test_check_package_refuses_a_package_without_init(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_package(monkeypatch, [str(tmp_path)], None)  # what pip leaves after uninstalling one of the two
    with pytest.raises(_coinstall.MixedInstallError, match=r"no __init__\.py"):
        _coinstall.check_package()


def test_repair_commands_name_the_installed_distributions(monkeypatch: pytest.MonkeyPatch) -> None:
    commands = _coinstall.repair_commands()
    installed = [name for name in _coinstall.DISTRIBUTIONS if _installed(name)]
    assert commands[0] == "pip uninstall -y eventlet"
    assert commands[1].split()[4:] == [f"{name}=={metadata.version(name)}" for name in installed]

    def missing(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    assert _coinstall.repair_commands()[1] == "pip install --force-reinstall --no-deps eventlet-core"


def _installed(name: str) -> bool:
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def test_message_says_how_to_avoid_it() -> None:
    text = _coinstall.message("Something is wrong.")
    assert text.startswith("Something is wrong.\n")
    assert "celery[eventlet]" in text
    assert "without their 'eventlet' extra" in text
    assert "Living beside upstream eventlet" in text
