"""An application whose import takes a second (a worker still starting when a stop arrives)."""

from __future__ import annotations

import time

from tests.httpd._cli_app import app

__all__ = ["app"]

time.sleep(1.0)
