"""A cheap slice of the CPython conformance run (the full one: ``python -m tests.stdlib.run``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

from tests.stdlib import run

CHEAP = ("test_thread", "test_threading_local")


def _has_test_package() -> bool:
    try:
        import test.support  # noqa: F401
    except ImportError:  # pragma: no cover - distributions that strip the test package
        return False
    return True


pytestmark = pytest.mark.skipif(not _has_test_package(), reason="no CPython test package")


@pytest.mark.parametrize("module", CHEAP)
def test_cheap_modules_conform(module: str) -> None:
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    known = run.load_known(run.KNOWN, version)
    args = argparse.Namespace(timeout=120.0, test_timeout=30.0)
    report = run.run_module(sys.executable, module, known, args)
    assert report.plain_passing, "the plain run found no passing test"
    assert not report.unexpected_failures, report.unexpected_failures
    assert not report.unexpected_passes, report.unexpected_passes
    assert report.ratio >= 0.95


def test_known_failures_table_is_well_formed(tmp_path: Path) -> None:
    table = run.load_known(run.KNOWN, "3.11")
    assert all(entry.reason for entry in table.values())
    sample = tmp_path / "known.txt"
    sample.write_text(
        "# comment\n\ntest.a.B.c: reason one\ntest.a.B.d [3.12 3.13]: hangs: reason two\n",
        encoding="utf-8",
    )
    assert set(run.load_known(sample, "3.11")) == {"test.a.B.c"}
    newer = run.load_known(sample, "3.13")
    assert newer["test.a.B.d"].hangs
    assert newer["test.a.B.d"].versions == frozenset({"3.12", "3.13"})
    sample.write_text("test.a.B.c\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expected"):
        run.load_known(sample, "3.11")


def test_report_classifies_outcomes() -> None:
    known = {"t.known_fail": run.Known("reason"), "t.known_now_passes": run.Known("reason")}
    report = run.ModuleReport(
        "t",
        plain={"t.ok": "pass", "t.broken": "pass", "t.known_fail": "pass", "t.env": "fail"},
        patched={
            "t.ok": "pass",
            "t.broken": "hang",
            "t.known_fail": "fail",
            "t.known_now_passes": "pass",
            "t.env": "fail",
            "t.skipped": "skip",
        },
        known=known,
    )
    assert report.unexpected_failures == ["t.broken"]
    assert report.unexpected_passes == ["t.known_now_passes"]
    assert report.ratio == pytest.approx(1 / 3)
    text = run.markdown([report], "3.11", 1.0)
    assert "| t | 6 | 2 |" in text
    assert "`t.broken`: hang" in text
    assert "known_now_passes" in text
