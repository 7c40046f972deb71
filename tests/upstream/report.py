"""The Markdown report of a run: one table row per group, then what needs attention."""

from __future__ import annotations

import re
from collections import defaultdict

from tests.upstream.results import GOAL, LISTED_LIMIT, Entry, FileResult, GroupReport

GOAL_TEXT = f">= {GOAL:.0%} of upstream, listed <= {LISTED_LIMIT:.0%}"
_ADDRESS = re.compile(r"0x[0-9a-f]{6,}")
_FD = re.compile(r"fd=\d+")
SUMMARISE = 5  # more unexpected failures than this with one message in one file: one line for all


def _status(report: GroupReport) -> str:
    if report.ok:
        return "ok"
    reasons = []
    if report.unexpected_failures or report.unexpected_passes or report.stale:
        reasons.append("unexpected")
    if report.ratio < GOAL:
        reasons.append(f"below {GOAL:.0%}")
    if report.listed_ratio > LISTED_LIMIT:
        reasons.append(f"listed > {LISTED_LIMIT:.0%}")
    return "**FAIL** (" + ", ".join(reasons) + ")"


def table(reports: dict[str, GroupReport]) -> list[str]:
    """The summary table, one row per group and a total."""
    lines = [
        "| group | files | upstream passes | ours passes | listed differences | % of upstream "
        "| unexpected | goal | status |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    totals = GroupReport("total")
    for report in reports.values():
        unexpected = len(report.unexpected_failures) + len(report.unexpected_passes) + len(report.stale)
        lines.append(
            f"| {report.group} | {report.files} | {report.upstream_passes} | {report.passes} "
            f"| {len(report.listed)} ({report.listed_ratio:.1%}) | {report.ratio:.1%} | {unexpected} "
            f"| {GOAL_TEXT} | {_status(report)} |"
        )
        totals.files += report.files
        totals.upstream_passes += report.upstream_passes
        totals.passes += report.passes
        totals.listed += report.listed
    lines.append(
        f"| **total** | {totals.files} | {totals.upstream_passes} | {totals.passes} "
        f"| {len(totals.listed)} ({totals.listed_ratio:.1%}) | {totals.ratio:.1%} | | | |"
    )
    return lines


def _failures(report: GroupReport, logs: dict[str, str]) -> list[str]:
    by_file: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for test, why in report.unexpected_failures:
        by_file[test.split("::", 1)[0]].append((test, why))
    lines: list[str] = []
    for name, failures in sorted(by_file.items()):
        log = logs.get(name)
        lines += ["", f"{name}" + (f" (log: {log})" if log else "")]
        by_message: dict[str, list[str]] = defaultdict(list)
        for test, why in failures:
            # Addresses and descriptor numbers differ between otherwise identical messages.
            by_message[_FD.sub("fd=N", _ADDRESS.sub("0x...", why))].append(test)
        for why, tests in by_message.items():
            if len(tests) > SUMMARISE:
                shown = ", ".join(f"`{test.split('::', 1)[1]}`" for test in tests[:3])
                lines.append(f"- {len(tests)} tests ({shown}, ...): {why}")
            else:
                lines += [f"- `{test}`: {why}" for test in tests]
    return lines


def details(
    reports: dict[str, GroupReport], results: list[FileResult], expected: dict[str, Entry]
) -> list[str]:
    """What needs attention, group by group: unexpected failures, unexpected passes, stale entries."""
    logs = {result.name: str(result.log) for result in results if result.log is not None}
    lines: list[str] = []
    for report in reports.values():
        where = f"tests/upstream/expected/{report.group}.txt"
        if report.unexpected_failures:
            lines += [
                "",
                f"### {report.group}: {len(report.unexpected_failures)} unexpected failures "
                f"(fix them, or list a documented difference in {where})",
            ]
            lines += _failures(report, logs)
        if report.unexpected_passes:
            lines += ["", f"### {report.group}: listed tests that pass now (remove their lines)", ""]
            lines += [f"- `{test}` ({expected[test].where})" for test in report.unexpected_passes]
        if report.stale:
            lines += ["", f"### {report.group}: listed tests upstream does not pass (remove their lines)", ""]
            lines += [f"- `{test}` ({expected[test].where})" for test in report.stale]
    return lines


def markdown(
    title: str,
    reports: dict[str, GroupReport],
    results: list[FileResult],
    expected: dict[str, Entry],
) -> str:
    """The whole report."""
    lines = [f"## {title}", "", *table(reports), *details(reports, results, expected)]
    return "\n".join(lines)
