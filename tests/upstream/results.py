"""Outcomes of upstream's tests, the baseline, the expected differences, and the comparison.

Test ids are pytest node ids relative to upstream's ``tests/`` folder: ``file.py::Class::test``.

* **baseline** (``baseline.txt``): per test, what it does on upstream eventlet itself, one
  ``<outcome> <test id>`` line each (``passed``, ``failed`` or ``skipped``).  Only its ``passed``
  tests count.
* **expected differences** (``expected/<group>.txt``): the tests upstream passes that may fail here
  on purpose, ``<test id> | <section> | <reason>`` (format at the top of each file).
* the **comparison**, per group: upstream's passes, how many pass here, the listed differences,
  unexpected failures (an upstream pass failing here without an entry), unexpected passes (a
  listed test passing: remove the entry) and stale entries (a listed test upstream does not pass).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tests.upstream.suite import GROUPS, group_of_test

OUTCOMES = ("passed", "failed", "skipped")
GOAL = 0.95  # share of upstream's passes that must pass here, per group
LISTED_LIMIT = 0.05  # share of upstream's passes that listed differences may take, per group


@dataclass
class Outcome:
    """How one test ended, with the first line of its error when it did not pass."""

    status: str
    message: str = ""


@dataclass
class FileResult:
    """What one pytest process reported for one test file."""

    name: str
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    error: str = ""  # a collection error, a crash or a timeout: why tests may be missing
    seconds: float = 0.0
    log: Path | None = None


def first_line(text: str, limit: int = 200) -> str:
    """The first non-blank line of ``text``, shortened to ``limit`` characters."""
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line if len(line) <= limit else line[: limit - 3] + "..."
    return ""


def _error_line(element: ET.Element) -> str:
    """The most telling line of a junit failure/error: its message, else the last ``E`` line."""
    message = first_line(element.get("message") or "")
    if message and message not in ("collection failure", "internal error"):
        return message
    text = [line for line in (element.text or "").splitlines() if line.strip()]
    lines = [line[1:] for line in text if line.startswith("E ")] or text[-1:]
    return first_line(lines[-1]) if lines else message or "error"


def test_id(classname: str, name: str) -> str:
    """The node id of a junit testcase (``tests.api_test.TestApi`` + ``test_x``)."""
    parts = classname.split(".")
    if len(parts) < 2 or parts[0] != "tests":
        raise ValueError(f"unexpected junit classname {classname!r}")
    return "::".join([parts[1] + ".py", *parts[2:], name])


def parse_junit(path: Path, result: FileResult) -> None:
    """Add the outcomes of a pytest junit XML file to ``result``."""
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        classname, name = case.get("classname") or "", case.get("name") or ""
        problems = [child for child in case if child.tag in ("failure", "error")]
        if not classname:  # a file that failed to import: its tests are missing
            result.error = "collection error: " + (_error_line(problems[0]) if problems else name)
            continue
        if classname == "pytest":  # pytest itself failed ("internal"): the file's tests are missing
            result.error = "pytest internal error: " + (_error_line(problems[0]) if problems else name)
            continue
        if problems:
            outcome = Outcome("failed", _error_line(problems[0]))
        elif (skip := case.find("skipped")) is not None:
            outcome = Outcome("skipped", first_line(skip.get("message") or ""))
        else:
            outcome = Outcome("passed")
        result.outcomes[test_id(classname, name)] = outcome


def read_baseline(path: Path) -> dict[str, str]:
    """Test id -> upstream's outcome, from a baseline file."""
    table: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        status, _, test = line.partition(" ")
        if status not in OUTCOMES or not test.strip():
            raise ValueError(f"{path}:{number}: expected '<{'|'.join(OUTCOMES)}> <test id>'")
        table[test.strip()] = status
    return table


def baseline_about(path: Path) -> str:
    """The header line of a baseline file that says where it was measured (``Python ...``)."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# Python "):
            return line[2:].rstrip(";")
    return "where it was measured is not recorded"


def write_baseline(path: Path, header: Iterable[str], outcomes: dict[str, str]) -> None:
    """Write a baseline file: ``header`` lines as comments, then one line per test, sorted."""
    lines = [f"# {line}".rstrip() for line in header]
    lines += [f"{outcomes[test]} {test}" for test in sorted(outcomes)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class Entry:
    """One expected difference: a test upstream passes that fails here on purpose."""

    test: str
    section: str
    reason: str
    where: str  # file:line, for messages


def differs_section(docs_text: str) -> str:
    """The "What differs" section of the migration guide (up to the next section heading)."""
    start = docs_text.find("\nWhat differs\n")
    if start < 0:
        raise ValueError("the migration guide has no 'What differs' section")
    lines = docs_text[start + 1 :].splitlines()
    end = len(lines)
    for index in range(2, len(lines) - 1):
        underline = lines[index + 1]
        if lines[index].strip() and underline and set(underline) <= set("-=~^") and len(underline) > 3:
            end = index
            break
    return "\n".join(lines[:end])


def load_expected(directory: Path, docs_text: str) -> dict[str, Entry]:
    """Read every ``<group>.txt`` in ``directory``; check each entry's group and docs section."""
    section_text = " ".join(differs_section(docs_text).split())
    entries: dict[str, Entry] = {}
    for path in sorted(directory.glob("*.txt")):
        group = path.stem
        if group not in GROUPS:
            raise ValueError(f"{path}: no group is named {group!r} (groups: {', '.join(GROUPS)})")
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            where = f"{path.name}:{number}"
            fields = [part.strip() for part in line.split(" | ")]
            if len(fields) != 3 or not all(fields):
                raise ValueError(f"{where}: expected '<test id> | <docs section> | <reason>'")
            test, section, reason = fields
            if "::" not in test:
                raise ValueError(f"{where}: {test!r} is not a test id (file.py::...)")
            if group_of_test(test) != group:
                raise ValueError(f"{where}: {test} belongs in {group_of_test(test)}.txt")
            if test in entries:
                raise ValueError(f"{where}: {test} is listed twice (first at {entries[test].where})")
            if " ".join(section.split()) not in section_text:
                raise ValueError(
                    f"{where}: section {section!r} is not in docs/migrating/from-eventlet.rst, 'What differs'"
                )
            entries[test] = Entry(test, section, reason, where)
    return entries


@dataclass
class GroupReport:
    """The comparison of one group's run on ours with upstream's baseline."""

    group: str
    files: int = 0
    upstream_passes: int = 0
    passes: int = 0
    listed: list[str] = field(default_factory=list)
    unexpected_failures: list[tuple[str, str]] = field(default_factory=list)  # (test id, why)
    unexpected_passes: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # listed, but upstream does not pass it

    @property
    def ratio(self) -> float:
        """Share of upstream's passes that pass here."""
        return self.passes / self.upstream_passes if self.upstream_passes else 1.0

    @property
    def listed_ratio(self) -> float:
        """Share of upstream's passes taken by listed differences."""
        return len(self.listed) / self.upstream_passes if self.upstream_passes else 0.0

    @property
    def ok(self) -> bool:
        """True when nothing is unexpected and the group meets its goal."""
        clean = not (self.unexpected_failures or self.unexpected_passes or self.stale)
        return clean and self.ratio >= GOAL and self.listed_ratio <= LISTED_LIMIT


def compare(
    baseline: dict[str, str], results: list[FileResult], expected: dict[str, Entry]
) -> dict[str, GroupReport]:
    """Compare ours with the baseline over the files in ``results``, group by group."""
    by_file = {result.name: result for result in results}
    groups_run = [group_of_test(result.name) for result in results]
    reports = {group: GroupReport(group) for group in GROUPS if group in groups_run}
    for group in groups_run:
        reports[group].files += 1
    for test, status in sorted(baseline.items()):
        result = by_file.get(test.split("::", 1)[0])
        if result is None:
            continue  # a file that was not run this time
        report = reports[group_of_test(test)]
        ours = result.outcomes.get(test)
        listed = test in expected
        if status != "passed":
            if listed:
                report.stale.append(test)
            continue
        report.upstream_passes += 1
        if ours is not None and ours.status == "passed":
            report.passes += 1
            if listed:
                report.unexpected_passes.append(test)
        elif listed:
            report.listed.append(test)
        elif ours is None:
            report.unexpected_failures.append((test, result.error or "did not run"))
        elif ours.status == "skipped":
            report.unexpected_failures.append((test, f"skipped: {ours.message}".rstrip(": ")))
        else:
            report.unexpected_failures.append((test, ours.message or ours.status))
    for test in sorted(expected):
        result = by_file.get(test.split("::", 1)[0])
        if result is not None and test not in baseline:
            reports[group_of_test(test)].stale.append(test)
    return reports
