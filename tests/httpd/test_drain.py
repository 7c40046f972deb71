"""Graceful stop and restart under load lose no request: each scenario of tests/httpd/drain.py once.

The 20-run version is ``python -m tests.httpd.drain --runs 20`` (see that module).
"""

from __future__ import annotations

import pytest

from tests.httpd import drain


@pytest.mark.slow
@pytest.mark.parametrize("scenario", drain.SCENARIOS)
def test_no_request_lost(scenario: str) -> None:
    result = drain.run(scenario)
    assert result.get("lost", 0) == 0, result
    assert result.get("refused_while_serving", 0) == 0, result
    assert result["exit_status"] == 0, result
    assert result.get("ok", 0) > 100, result  # the load was real
    assert result.get("refused", 0) > 0, result  # and went on until the server was gone
