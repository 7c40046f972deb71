"""The top-level package: its version, lazy names and submodules, and upstream's deprecated names."""

from __future__ import annotations

import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import greenlet
import pytest

import eventlet
from eventlet import _deprecated, greenthread, hubs


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_version_is_above_upstreams_and_matches_the_distributions() -> None:
    from importlib import metadata

    assert eventlet.__version__ == "1.0.0"
    assert eventlet.version_info == (1, 0, 0)
    assert tuple(int(part) for part in eventlet.__version__.split(".")) > (0, 41, 3)
    try:
        installed = metadata.version("eventlet-core")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a bare source tree
        pytest.skip("eventlet-core is not installed")
    assert installed == eventlet.__version__


def test_submodules_are_attributes_after_import_eventlet() -> None:
    """What gunicorn's eventlet worker and oslo.utils rely on, in a fresh interpreter."""
    code = """
import sys
import eventlet
assert "eventlet.greenpool" not in sys.modules  # nothing imported yet...
pool = eventlet.greenpool.GreenPool  # ...until it is used
assert eventlet.hubs.get_hub is not None and eventlet.timeout.Timeout is eventlet.Timeout
assert eventlet.event.Event is eventlet.Event and eventlet.tpool.execute
assert eventlet.greenlet is __import__("greenlet")
from eventlet import greenlet
assert greenlet.getcurrent
print("ok")
"""
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok\n", result.stderr


def test_other_distributions_subpackages_are_attributes() -> None:
    pytest.importorskip("eventlet.httpd")
    assert eventlet.wsgi.__name__ == "eventlet.wsgi"  # type: ignore[attr-defined]
    assert eventlet.httpd.__name__ == "eventlet.httpd"  # type: ignore[attr-defined]


def test_unknown_and_private_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'no_such_thing'"):
        eventlet.no_such_thing  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(AttributeError, match="'_private'"):
        eventlet._private  # type: ignore[attr-defined]  # noqa: B018
    assert not hasattr(eventlet, "__wrapped__")
    assert "spawn" in dir(eventlet)
    assert "GreenPool" in eventlet.__all__


def test_a_missing_distribution_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(eventlet, "processes", raising=False)
    monkeypatch.setitem(sys.modules, "eventlet.processes", None)  # as if not installed
    with pytest.raises(AttributeError, match=r"install eventlet-processes"):
        eventlet.processes  # type: ignore[attr-defined]  # noqa: B018


def test_a_submodule_that_fails_to_import_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(eventlet, "corolocal", raising=False)
    monkeypatch.delitem(sys.modules, "eventlet.corolocal", raising=False)
    monkeypatch.setitem(sys.modules, "greenlet", None)  # what corolocal imports
    with pytest.raises(ModuleNotFoundError, match="greenlet"):
        eventlet.corolocal  # type: ignore[attr-defined]  # noqa: B018 - a submodule, loaded on access


def test_deprecated_top_level_names_work_and_warn(any_hub: hubs.BaseHub) -> None:
    with pytest.warns(DeprecationWarning, match="eventlet.Timeout"):
        timeout = eventlet.TimeoutError(0.001)  # type: ignore[attr-defined]
    assert isinstance(timeout, eventlet.Timeout)
    with pytest.raises(eventlet.Timeout):
        eventlet.sleep(0.1)

    with pytest.warns(DeprecationWarning, match="exc_after"):
        timer = eventlet.exc_after(0.001, ValueError("late"))  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="late"):
        eventlet.sleep(0.1)
    assert not timer.pending
    with pytest.warns(DeprecationWarning, match="exc_after"):
        never = eventlet.exc_after(None)  # type: ignore[attr-defined]
    assert not never.pending

    seen: list[object] = []
    with pytest.warns(DeprecationWarning, match="spawn_after"):
        started = eventlet.call_after_global(0, lambda *a, **k: seen.append((a, k)), 1, x=2)  # type: ignore[attr-defined]
    assert isinstance(started, greenlet.greenlet)
    eventlet.sleep(0.001)
    assert seen == [((1,), {"x": 2})]


def test_deprecated_greenthread_names(any_hub: hubs.BaseHub) -> None:
    seen: list[int] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert greenthread.TimeoutError is _deprecated.TimeoutError
        assert greenthread.with_timeout(1, lambda: 5) == 5
        assert greenthread.call_after is greenthread.call_after_local
        timer = greenthread.call_after_local(0, seen.append, 1)
        eventlet.sleep(0.001)
        assert seen == [1]
        assert not timer.pending
        greenthread.call_after_global(0, seen.append, 2)
        eventlet.sleep(0.001)
    assert seen == [1, 2]
    with pytest.raises(AttributeError, match="no_such_name"):
        greenthread.no_such_name  # noqa: B018


def test_import_eventlet_imports_nothing_more() -> None:
    # What keeps ``import eventlet`` cheap (its time is measured by the import_time benchmark).
    code = """
import sys
before = set(sys.modules)
import eventlet
new = sorted(m for m in set(sys.modules) - before)
assert new == ["eventlet"], new
print("ok")
"""
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok\n", result.stderr


def test_all_is_the_lazy_names() -> None:
    """``__all__`` is written out for type checkers: it must list exactly what __getattr__ serves."""
    assert sorted(eventlet.__all__) == sorted(eventlet._EXPORTS)
    assert eventlet.__all__ == sorted(eventlet.__all__)


def _copy_core_tree(target: Path) -> None:
    """Copy eventlet-core's own files of the ``eventlet`` package to ``target``.

    Installed from wheels, the four distributions share one ``eventlet`` directory: the files of
    eventlet-core are those its metadata lists.  Editable, eventlet-core's source tree is its own.
    """
    from importlib import metadata

    try:
        files = metadata.distribution("eventlet-core").files or []
    except metadata.PackageNotFoundError:  # run from a bare source tree
        files = []
    owned = [f for f in files if f.parts[0] == "eventlet" and f.suffix in {".py", ".typed"}]
    if not owned:  # an editable install: the directory of eventlet/__init__.py is core's alone
        core = Path(eventlet.__file__).parent
        shutil.copytree(core, target, ignore=shutil.ignore_patterns("__pycache__"))
        return
    for file in owned:
        destination = target.parent / str(file)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(str(file.locate())), destination)


def test_a_component_that_is_not_installed_names_its_distribution(tmp_path: Path) -> None:
    """Only eventlet-core's tree on the path (no site-packages): each other component is missing."""
    _copy_core_tree(tmp_path / "eventlet")
    greenlet_dir = Path(greenlet.__file__).parent  # what the upstream fallbacks import
    shutil.copytree(greenlet_dir, tmp_path / "greenlet", ignore=shutil.ignore_patterns("__pycache__"))
    code = """
import importlib, sys
sys.path[:0] = [sys.argv[1]]
import eventlet
assert sys.meta_path[-1] is eventlet._MissingComponentFinder
importlib.reload(eventlet)
assert sum(getattr(f, "_eventlet_missing_component", False) for f in sys.meta_path) == 1
for name, distribution in sorted(eventlet._COMPONENT_MODULES.items()):
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as exc:
        assert exc.name == name, (exc.name, name)
        assert f"pip install {distribution}" in str(exc), exc
        print(name, "->", distribution)
    else:
        raise AssertionError(f"{name} imported")
try:
    import eventlet.no_such_module
except ModuleNotFoundError as exc:
    assert "pip install" not in str(exc) and exc.name == "eventlet.no_such_module", exc
try:
    eventlet.httpd
except AttributeError as exc:
    assert "install eventlet-httpd" in str(exc), exc
try:
    eventlet.wrap_ssl
except ImportError as exc:
    assert "pip install eventlet-ssl" in str(exc), exc
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-S", "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.endswith("ok\n"), done.stdout + done.stderr
    assert done.stdout.count("->") == len(eventlet._COMPONENT_MODULES) == 8


def test_the_missing_component_finder_finds_nothing_else() -> None:
    finder = eventlet._MissingComponentFinder
    assert finder.find_spec("eventlet.greenpool") is None
    assert finder.find_spec("json", None, None) is None
    with pytest.raises(ModuleNotFoundError, match=r"pip install eventlet-processes") as info:
        finder.find_spec("eventlet.green.subprocess")
    assert info.value.name == "eventlet.green.subprocess"
