"""Run one CPython test module (``test.<name>``), patched or not, recording every test's outcome.

Used by :mod:`tests.stdlib.run` in a subprocess of its own::

    python tests/stdlib/_child.py --patched test_socket results.jsonl

Each line of the output file is a JSON object: ``{"start": id}`` before a test runs, then
``{"id": id, "outcome": ...}`` with outcome ``pass``, ``fail``, ``error``, ``skip``, ``xfail`` or
``xpass``; written and flushed one by one, so that a module that hangs or crashes still tells
which test it was in.  ``--test-timeout`` makes a hanging test end the process (faulthandler
dumps the stacks to stderr first).
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import sys
import unittest
from typing import IO, Any


class RecordingResult(unittest.TestResult):
    """A TestResult that writes each outcome as a JSON line."""

    def __init__(self, out: IO[str], test_timeout: float) -> None:
        super().__init__()
        self.out = out
        self.test_timeout = test_timeout

    def _emit(self, **record: Any) -> None:
        self.out.write(json.dumps(record) + "\n")
        self.out.flush()

    def startTest(self, test: unittest.TestCase) -> None:
        super().startTest(test)
        self._emit(start=test.id())
        if self.test_timeout:
            faulthandler.dump_traceback_later(self.test_timeout, exit=True)

    def stopTest(self, test: unittest.TestCase) -> None:
        if self.test_timeout:
            faulthandler.cancel_dump_traceback_later()
        super().stopTest(test)

    def addSuccess(self, test: unittest.TestCase) -> None:
        self._emit(id=test.id(), outcome="pass")

    def addFailure(self, test: unittest.TestCase, err: Any) -> None:
        super().addFailure(test, err)
        self._emit(id=test.id(), outcome="fail", detail=self.failures[-1][1][-2000:])

    def addError(self, test: unittest.TestCase, err: Any) -> None:
        super().addError(test, err)
        self._emit(id=_test_id(test), outcome="error", detail=self.errors[-1][1][-2000:])

    def addSkip(self, test: unittest.TestCase, reason: str) -> None:
        self._emit(id=_test_id(test), outcome="skip", detail=reason)

    def addExpectedFailure(self, test: unittest.TestCase, err: Any) -> None:
        self._emit(id=test.id(), outcome="xfail")

    def addUnexpectedSuccess(self, test: unittest.TestCase) -> None:
        self._emit(id=test.id(), outcome="xpass")

    def addSubTest(self, test: Any, subtest: Any, err: Any) -> None:
        if err is not None:
            # A failing subtest fails its test: record it under the test's own id.
            if issubclass(err[0], test.failureException):
                self.addFailure(test, err)
            else:
                self.addError(test, err)


def _without(suite: unittest.TestSuite, skip: set[str], result: RecordingResult) -> unittest.TestSuite:
    """``suite`` less the tests in ``skip``, each recorded as outcome ``hang`` instead."""
    if not skip:
        return suite
    kept: list[unittest.TestSuite | unittest.TestCase] = []
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            kept.append(_without(test, skip, result))
        elif test.id() in skip:
            result._emit(id=test.id(), outcome="hang")
        else:
            kept.append(test)
    return type(suite)(kept)


def _test_id(test: Any) -> str:
    """The id of a test, or of a class or module whose setUp failed (unittest's _ErrorHolder)."""
    return str(test.id() if hasattr(test, "id") else test)


#: Modules that require the "network" resource for loopback tests.
LOOPBACK_NETWORK_MODULES = frozenset({"test_socketserver", "test_timeout"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patched", action="store_true", help="call eventlet.monkey_patch() first")
    parser.add_argument("--test-timeout", type=float, default=0.0)
    parser.add_argument("--skip-file", help="file of test ids not to run (one a line): they hang")
    parser.add_argument("module", help="name of the module in the test package, e.g. test_socket")
    parser.add_argument("output", help="file to write the JSON lines to")
    args = parser.parse_args(argv)
    if args.patched:
        import eventlet

        eventlet.monkey_patch()
    from test import support

    support.verbose = False
    # As under regrtest without -u: no tests that need the internet or take minutes of CPU.  The
    # modules in LOOPBACK_NETWORK_MODULES ask for the "network" resource for tests that talk to
    # themselves over loopback (test_timeout's few remote ones skip themselves without internet).
    support.use_resources = ["subprocess"]
    if args.module in LOOPBACK_NETWORK_MODULES:
        support.use_resources.append("network")
    with open(args.output, "w", encoding="utf-8") as out:
        try:
            suite = unittest.defaultTestLoader.loadTestsFromName(f"test.{args.module}")
        except unittest.SkipTest as exc:  # e.g. ResourceDenied: the module needs the internet
            out.write(json.dumps({"id": f"test.{args.module}", "outcome": "skip", "detail": str(exc)}))
            return 0
        except Exception as exc:
            out.write(json.dumps({"id": f"test.{args.module}", "outcome": "error", "detail": repr(exc)}))
            return 1
        skip: set[str] = set()
        if args.skip_file:
            with open(args.skip_file, encoding="utf-8") as lines:
                skip = {line.strip() for line in lines if line.strip()}
        result = RecordingResult(out, args.test_timeout)
        _without(suite, skip, result).run(result)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
