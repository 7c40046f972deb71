"""The benchmark harness: cached virtualenvs, child-process runner and reports."""
