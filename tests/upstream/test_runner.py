"""The upstream-suite runner itself, on a small fake suite: no network, no upstream eventlet."""

from __future__ import annotations

import io
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest

from tests.upstream import report, results, run, sdist, suite

DOCS = textwrap.dedent(
    """\
    Intro
    =====

    What differs
    ------------

    **Sockets are strict.**  Explained here.

    New here
    --------

    **Not a difference.**
    """
)

FAKE_FILES = {
    "__init__.py": "",
    "api_test.py": """
        import pytest

        def test_ok():
            pass

        def test_broken():
            assert 1 == 2, "one is not two"

        def test_listed():
            raise RuntimeError("differs on purpose")

        def test_skipped():
            pytest.skip("not here")

        class TestCase:
            def test_method(self):
                pass
        """,
    "hub_test.py": """
        import pytest

        @pytest.fixture
        def leftovers():
            yield
            raise AssertionError("left a reader at 0x7f00deadbeef fd=12")

        def test_teardown(leftovers):
            pass
        """,
    "greendns_test.py": "import a_module_that_does_not_exist\n",
    "zmq_test.py": "raise SystemExit('excluded files never run')\n",
    "helper.py": "raise SystemExit('not collected')\n",
}

BASELINE = {
    "api_test.py::test_ok": "passed",
    "api_test.py::test_broken": "passed",
    "api_test.py::test_listed": "passed",
    "api_test.py::test_skipped": "passed",
    "api_test.py::TestCase::test_method": "passed",
    "hub_test.py::test_teardown": "passed",
    "greendns_test.py::test_resolve": "passed",
    "greendns_test.py::test_other": "failed",
}


def make_archive(path: Path, files: dict[str, str], root: str = sdist.ROOT) -> Path:
    """A .tar.gz laid out as the sdist is: ``root/tests/...`` plus a package that must not be extracted."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        members = {f"{root}/tests/{name}": text for name, text in files.items()}
        members[f"{root}/eventlet/__init__.py"] = "raise SystemExit('upstream itself')\n"
        for name, text in members.items():
            data = textwrap.dedent(text).encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def fake_python(path: Path, archive_bytes: bytes | None) -> str:
    """An executable standing in for ``python -m pip download``: writes ``archive_bytes`` or fails."""
    body = f"""\
        #!{sys.executable}
        import sys
        from pathlib import Path
        data = {archive_bytes!r}
        if data is None:
            sys.exit("no network here")
        dest = Path(sys.argv[sys.argv.index("--dest") + 1])
        (dest / {sdist.ARCHIVE!r}).write_bytes(data)
        """
    path.write_text(textwrap.dedent(body))
    path.chmod(0o755)
    return str(path)


# -- the sdist -------------------------------------------------------------------------------------


def test_verify_refuses_an_archive_with_another_digest(tmp_path: Path) -> None:
    archive = make_archive(tmp_path / sdist.ARCHIVE, FAKE_FILES)
    with pytest.raises(sdist.SdistError, match="refusing"):
        sdist.verify(archive)  # the pinned digest is that of the real sdist
    sdist.verify(archive, sdist.sha256_of(archive))


def test_fetch_reuses_a_cached_archive_whose_digest_matches(tmp_path: Path) -> None:
    archive = make_archive(tmp_path / sdist.ARCHIVE, FAKE_FILES)
    no_pip = fake_python(tmp_path / "python", None)
    assert sdist.fetch(tmp_path, no_pip, sdist.sha256_of(archive)) == archive


def test_fetch_replaces_a_corrupt_cached_archive(tmp_path: Path) -> None:
    good = make_archive(tmp_path / "good.tar.gz", FAKE_FILES)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / sdist.ARCHIVE).write_bytes(b"truncated")
    pip = fake_python(tmp_path / "python", good.read_bytes())
    fetched = sdist.fetch(cache, pip, sdist.sha256_of(good))
    assert fetched.read_bytes() == good.read_bytes()


def test_fetch_refuses_a_download_with_another_digest(tmp_path: Path) -> None:
    pip = fake_python(tmp_path / "python", b"not the sdist")
    cache = tmp_path / "cache"
    with pytest.raises(sdist.SdistError, match="refusing"):
        sdist.fetch(cache, pip)
    assert not (cache / sdist.ARCHIVE).exists()


def test_fetch_reports_a_failed_download(tmp_path: Path) -> None:
    with pytest.raises(sdist.SdistError, match="no network here"):
        sdist.fetch(tmp_path / "cache", fake_python(tmp_path / "python", None))


def test_extract_takes_only_the_tests_folder(tmp_path: Path) -> None:
    archive = make_archive(tmp_path / sdist.ARCHIVE, FAKE_FILES)
    tests_dir = sdist.extract_tests(archive, tmp_path / "out")
    assert sorted(p.name for p in tests_dir.iterdir()) == sorted(FAKE_FILES)
    assert not (tmp_path / "out" / "eventlet").exists()


def test_extract_refuses_links_and_archives_without_tests(tmp_path: Path) -> None:
    linked = tmp_path / "linked.tar.gz"
    with tarfile.open(linked, "w:gz") as tar:
        info = tarfile.TarInfo(f"{sdist.ROOT}/tests/evil")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(info)
    with pytest.raises(sdist.SdistError, match="unexpected member"):
        sdist.extract_tests(linked, tmp_path / "a")
    empty = make_archive(tmp_path / "empty.tar.gz", {"api_test.py": ""})
    with pytest.raises(sdist.SdistError, match=r"no tests/__init__\.py"):
        sdist.extract_tests(empty, tmp_path / "b")


# -- the plan ------------------------------------------------------------------------------------


def test_plan_groups_orders_and_narrows() -> None:
    files = ["api_test.py", "asyncio_test.py", "new_test.py", "patcher_test.py", "zmq_test.py"]
    runs = suite.plan(files)
    assert [r.name for r in runs] == ["patcher_test.py", "api_test.py", "asyncio_test.py", "new_test.py"]
    assert {r.name: r.group for r in runs}["new_test.py"] == "other"  # unknown files are not hidden
    assert {r.name: r.env for r in runs}["asyncio_test.py"] == {"EVENTLET_HUB": "asyncio"}
    assert [r.name for r in suite.plan(files, groups={"core"})] == ["api_test.py"]
    assert [r.name for r in suite.plan(files, files={"new_test", "api_test.py"})] == [
        "api_test.py",
        "new_test.py",
    ]


def test_test_net_tests_are_deselected() -> None:
    greenio = suite.FileRun("greenio_test.py", "core")
    assert greenio.deselected() == [
        "tests/greenio_test.py::TestGreenSocket::test_connect_timeout",
        "tests/greenio_test.py::TestGreenSocket::test_connect_ex_timeout",
    ]
    command = run.pytest_command("py", suite.FileRun("socket_test.py", "core"), Path("x.xml"), 60)
    assert command[command.index("--deselect") + 1] == "tests/socket_test.py::test_create_connection_error"
    assert "no:eventlet" in command


def test_child_environment_drops_eventlet_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTLET_HUB", "poll")
    monkeypatch.setenv("eventlet_test_ipv6", "1")
    monkeypatch.setenv("PYTHONPATH", "/somewhere")
    env = run.child_env({"EVENTLET_HUB": "asyncio"})
    assert env["EVENTLET_HUB"] == "asyncio"
    assert env["CI"] == "true"
    assert "eventlet_test_ipv6" not in env
    assert "PYTHONPATH" not in env


# -- files on disk ---------------------------------------------------------------------------------


def test_baseline_round_trip_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "baseline.txt"
    results.write_baseline(path, ["made here", ""], BASELINE)
    text = path.read_text()
    assert text.startswith("# made here\n#\n")
    assert "passed api_test.py::test_ok\n" in text
    assert results.read_baseline(path) == BASELINE
    path.write_text("maybe api_test.py::test_ok\n")
    with pytest.raises(ValueError, match=r"baseline\.txt:1"):
        results.read_baseline(path)


def write_expected(directory: Path, group: str, *lines: str) -> Path:
    directory.mkdir(exist_ok=True)
    (directory / f"{group}.txt").write_text("# header\n\n" + "\n".join(lines) + "\n")
    return directory


@pytest.mark.parametrize(
    ("group", "line", "error"),
    [
        ("core", "api_test.py::test_ok | Sockets are strict.", "expected '<test id>"),
        ("core", "api_test.py::test_ok | Sockets are strict. | ", "expected '<test id>"),
        ("core", "api_test.py | Sockets are strict. | why", "not a test id"),
        ("wsgi", "api_test.py::test_ok | Sockets are strict. | why", "belongs in core.txt"),
        ("core", "api_test.py::test_ok | Not a difference. | why", "is not in docs"),
        ("nogroup", "api_test.py::test_ok | Sockets are strict. | why", "no group is named"),
    ],
)
def test_expected_entries_are_checked(tmp_path: Path, group: str, line: str, error: str) -> None:
    directory = write_expected(tmp_path / "expected", group, line)
    with pytest.raises(ValueError, match=error):
        results.load_expected(directory, DOCS)


def test_expected_entries_load_and_duplicates_are_refused(tmp_path: Path) -> None:
    line = "api_test.py::test_listed | Sockets   are strict. | the reason"
    entries = results.load_expected(write_expected(tmp_path / "ok", "core", line), DOCS)
    assert entries["api_test.py::test_listed"].reason == "the reason"
    assert entries["api_test.py::test_listed"].where == "core.txt:3"
    with pytest.raises(ValueError, match="listed twice"):
        results.load_expected(write_expected(tmp_path / "dup", "core", line, line), DOCS)
    with pytest.raises(ValueError, match="no 'What differs'"):
        results.load_expected(tmp_path / "ok", "Nothing\n")


def test_the_repository_lists_are_well_formed() -> None:
    entries = results.load_expected(run.EXPECTED, run.DOCS.read_text(encoding="utf-8"))
    baseline = results.read_baseline(run.BASELINE)
    assert all(baseline.get(test) == "passed" for test in entries)
    assert sum(status == "passed" for status in baseline.values()) > 600
    assert not any(test.split("::")[0] in suite.EXCLUDED for test in baseline)


# -- the comparison --------------------------------------------------------------------------------


def result_of(name: str, error: str = "", **outcomes: str) -> results.FileResult:
    found = results.FileResult(name, error=error)
    for test, status in outcomes.items():
        found.outcomes[f"{name}::{test}"] = results.Outcome(status, "why" if status != "passed" else "")
    return found


def entry(test: str) -> results.Entry:
    return results.Entry(test, "Sockets are strict.", "on purpose", "core.txt:1")


def test_compare_finds_unexpected_failures_and_passes() -> None:
    baseline = {f"api_test.py::t{i}": "passed" for i in range(40)}
    baseline |= {"api_test.py::up_fails": "failed", "ssl_test.py::t": "passed"}
    ours = {f"t{i}": "passed" for i in range(37)} | {"t37": "failed", "t38": "skipped", "up_fails": "failed"}
    expected = {
        test: entry(test) for test in ("api_test.py::t38", "api_test.py::t0", "api_test.py::up_fails")
    }
    expected["api_test.py::gone"] = entry("api_test.py::gone")
    reports = results.compare(baseline, [result_of("api_test.py", **ours)], expected)
    core = reports["core"]
    assert list(reports) == ["core"]  # ssl_test.py did not run: not counted
    assert (core.files, core.upstream_passes, core.passes) == (1, 40, 37)
    assert core.listed == ["api_test.py::t38"]
    assert core.unexpected_failures == [("api_test.py::t37", "why"), ("api_test.py::t39", "did not run")]
    assert core.unexpected_passes == ["api_test.py::t0"]
    assert core.stale == ["api_test.py::up_fails", "api_test.py::gone"]
    assert not core.ok
    assert core.ratio == pytest.approx(37 / 40)


def test_a_group_below_the_goal_fails_even_when_everything_is_listed() -> None:
    baseline = {f"api_test.py::t{i}": "passed" for i in range(20)}
    failing = {"t0": "failed", "t1": "failed"}
    expected = {f"api_test.py::{t}": entry(f"api_test.py::{t}") for t in failing}
    ours = {f"t{i}": "passed" for i in range(2, 20)} | failing
    core = results.compare(baseline, [result_of("api_test.py", **ours)], expected)["core"]
    assert not core.unexpected_failures
    assert core.listed_ratio == 0.1
    assert core.ratio == 0.9
    assert not core.ok
    text = "\n".join(report.table({"core": core}))
    assert "below 95%, listed > 5%" in text
    one = {"api_test.py::t0": expected["api_test.py::t0"]}
    ours["t1"] = "passed"
    baseline |= {f"api_test.py::more{i}": "passed" for i in range(20)}
    ours |= {f"more{i}": "passed" for i in range(20)}
    core = results.compare(baseline, [result_of("api_test.py", **ours)], one)["core"]
    assert core.ok
    assert core.ratio == pytest.approx(39 / 40)
    assert "| core | 1 | 40 | 39 | 1 (2.5%) | 97.5% | 0 |" in "\n".join(report.table({"core": core}))


def test_report_summarises_repeated_failures() -> None:
    tests = {f"t{i}": "failed" for i in range(7)} | {"lone": "skipped"}
    found = result_of("api_test.py", **tests)
    for index, outcome in enumerate(found.outcomes.values()):
        outcome.message = f"AssertionError: reader at 0x7f00000{index}abc fd={index}"
    found.outcomes["api_test.py::lone"].message = "no module"
    baseline = dict.fromkeys(found.outcomes, "passed")
    reports = results.compare(baseline, [found], {})
    text = report.markdown("title", reports, [found], {})
    assert "- 7 tests (`t0`, `t1`, `t2`, ...): AssertionError: reader at 0x... fd=N" in text
    assert "- `api_test.py::lone`: skipped: no module" in text


# -- running files -----------------------------------------------------------------------------------


@pytest.fixture
def fake_suite(tmp_path: Path) -> Path:
    archive = make_archive(tmp_path / sdist.ARCHIVE, FAKE_FILES)
    return sdist.extract_tests(archive, tmp_path / "suite").parent


def run_one(root: Path, name: str, output: Path, file_timeout: float = 120) -> results.FileResult:
    """Run one file of the fake suite with this interpreter."""
    return run.run_file(
        sys.executable, root, suite.FileRun(name, suite.group_of(name)), output, 60, file_timeout
    )


def test_run_file_reads_pytests_junit(fake_suite: Path, tmp_path: Path) -> None:
    api = run_one(fake_suite, "api_test.py", tmp_path)
    statuses = {test: o.status for test, o in api.outcomes.items()}
    assert statuses == {
        "api_test.py::test_ok": "passed",
        "api_test.py::test_broken": "failed",
        "api_test.py::test_listed": "failed",
        "api_test.py::test_skipped": "skipped",
        "api_test.py::TestCase::test_method": "passed",
    }
    assert api.outcomes["api_test.py::test_broken"].message.startswith("AssertionError: one is not two")
    assert api.outcomes["api_test.py::test_skipped"].message == "not here"
    assert api.log is not None
    assert "1 skipped" in api.log.read_text()
    hub = run_one(fake_suite, "hub_test.py", tmp_path)
    assert hub.outcomes["hub_test.py::test_teardown"].status == "failed"
    assert "failed on teardown" in hub.outcomes["hub_test.py::test_teardown"].message
    dns = run_one(fake_suite, "greendns_test.py", tmp_path)
    assert not dns.outcomes
    assert (
        dns.error == "collection error: ModuleNotFoundError: No module named 'a_module_that_does_not_exist'"
    )


def test_run_file_reports_a_crash_and_a_hang(fake_suite: Path, tmp_path: Path) -> None:
    (fake_suite / "tests" / "os_test.py").write_text("import os\nos._exit(3)\n")
    crashed = run_one(fake_suite, "os_test.py", tmp_path)
    assert crashed.error.startswith("pytest exited with 3 without a report")
    (fake_suite / "tests" / "tpool_test.py").write_text("import time\ntime.sleep(60)\n")
    hung = run_one(fake_suite, "tpool_test.py", tmp_path, file_timeout=1)
    assert hung.error == "the file's pytest ran over 1 s and was killed"
    assert hung.seconds < 30
    (fake_suite / "tests" / "env_test.py").write_text("raise SystemExit('gone at import')\n")
    internal = run_one(fake_suite, "env_test.py", tmp_path)
    assert internal.error == "pytest internal error: SystemExit: gone at import"


def test_main_compares_a_fake_suite_with_its_baseline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = make_archive(tmp_path / "cache" / sdist.ARCHIVE, FAKE_FILES)
    monkeypatch.setattr(sdist, "SHA256", sdist.sha256_of(archive))
    baseline = tmp_path / "baseline.txt"
    results.write_baseline(baseline, ["fake"], BASELINE)
    expected = write_expected(
        tmp_path / "expected", "core", "api_test.py::test_listed | Sockets are strict. | x"
    )
    docs = tmp_path / "docs.rst"
    docs.write_text(DOCS)
    monkeypatch.setattr(run, "EXPECTED", expected)
    monkeypatch.setattr(run, "DOCS", docs)
    argv = ["--cache", str(tmp_path / "cache"), "--output", str(tmp_path / "out")]
    argv += ["--baseline-file", str(baseline)]
    assert run.main(argv) == 1
    out = capsys.readouterr().out
    assert "| core | 2 | 6 | 2 | 1 (16.7%) | 33.3% | 3 |" in out
    assert "| other | 1 | 1 | 0 | 0 (0.0%) | 0.0% | 1 |" in out
    assert "- `api_test.py::test_broken`: AssertionError: one is not two" in out
    assert "- `api_test.py::test_skipped`: skipped: not here" in out
    assert "- `greendns_test.py::test_resolve`: collection error: ModuleNotFoundError" in out
    assert "Upstream's passes are those of baseline.txt (where it was measured is not recorded)." in out
    assert run.main([*argv, "--groups", "nope"]) == 2
    assert run.main([*argv, "--files", "nothing_test"]) == 2
    capsys.readouterr()
    # The baseline mode runs the same files; its environment here is this interpreter.
    monkeypatch.setattr(run, "make_baseline_env", lambda directory: sys.executable)
    rewritten = tmp_path / "rewritten.txt"
    results.write_baseline(
        rewritten, [], {"api_test.py::gone": "passed", "hub_test.py::test_teardown": "passed"}
    )
    code = run.main([*argv[:4], "--baseline", "--baseline-file", str(rewritten), "--files", "api_test"])
    assert code == 0
    # api_test.py was measured again; what was not re-measured stays.
    assert results.read_baseline(rewritten) == {
        "hub_test.py::test_teardown": "passed",
        "api_test.py::test_ok": "passed",
        "api_test.py::test_broken": "failed",
        "api_test.py::test_listed": "failed",
        "api_test.py::test_skipped": "skipped",
        "api_test.py::TestCase::test_method": "passed",
    }
    assert "6 tests, 3 pass on upstream: {'core': 3}" in capsys.readouterr().out
    assert results.baseline_about(rewritten).startswith(f"Python {sys.version.split()[0]}, ")


def test_main_refuses_an_environment_with_upstream_or_without_ours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = make_archive(tmp_path / "cache" / sdist.ARCHIVE, FAKE_FILES)
    monkeypatch.setattr(sdist, "SHA256", sdist.sha256_of(archive))
    bare = fake_python(tmp_path / "python", None)  # exits with an error, as a wrong environment does
    argv = ["--cache", str(tmp_path / "cache"), "--python", bare, "--output", str(tmp_path / "out")]
    assert run.main(argv) == 2
    assert "cannot test" in capsys.readouterr().err

    def offline(cache: Path) -> Path:
        raise sdist.SdistError("offline")

    monkeypatch.setattr(sdist, "fetch", offline)  # the module run uses
    assert run.main(argv) == 2
    assert "offline" in capsys.readouterr().err
