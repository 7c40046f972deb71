"""User programs that must type-check under ``mypy --strict`` and pyright's strict mode (``ok_*.py``),
and programs with deliberate mistakes that both must reject (``bad_*.py``).  ``run.py`` checks them
against our wheels installed in a fresh virtualenv: ``python -m tests.typing.run``."""
