"""monkey_patch() skips a green module whose third-party library is not installed (pyOpenSSL...).

The real case, eventlet-ssl without pyOpenSSL, is tests/clients/test_without_pyopenssl.py.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from eventlet._patching.state import PatchState


@pytest.fixture
def green_modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PatchState:
    """A patcher whose table names two green modules that fail to import."""
    (tmp_path / "green_of_absent.py").write_text("import absent_library.sub\n")
    (tmp_path / "green_with_bug.py").write_text("import another_absent_module\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    state = PatchState()
    table = {"absent_library": ["green_of_absent"], "present_library": ["green_with_bug"]}
    monkeypatch.setattr(state, "_green_names", table)
    return state


def test_green_module_of_an_absent_library_is_skipped(
    green_modules: PatchState, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="eventlet.patcher"):
        assert green_modules.load_green("absent_library") == []
    assert "green_of_absent skipped: 'absent_library' is not installed" in caplog.text


def test_any_other_missing_module_is_an_error(green_modules: PatchState) -> None:
    with pytest.raises(ModuleNotFoundError, match="another_absent_module"):
        green_modules.load_green("present_library")
