"""The configuration file: TOML whose keys are the command's long option names.

.. code-block:: toml

   app = "myproject.wsgi:application"
   bind = "unix:/run/myproject.sock"
   workers = 4
   forwarded-allow-ips = "*"
   max-requests = 10000

Keys are the long options without the leading dashes (``max_requests`` is accepted for
``max-requests``) plus ``app``; values have the option's type (a flag takes ``true`` or
``false``).  The file gives the defaults: an option on the command line wins.  An unknown key or
a value of the wrong type is a one-line :class:`ConfigError`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["ConfigError", "apply_config", "read_config"]

_HIDDEN = frozenset({"config", "worker_fd", "worker_pipe", "help"})


class ConfigError(ValueError):
    """The configuration file cannot be used; ``str()`` is one line naming the file and key."""


def read_config(path: str) -> dict[str, Any]:
    """The table in the TOML file at ``path``."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    try:
        with open(path, "rb") as file:
            table: dict[str, Any] = tomllib.load(file)
            return table
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None


def apply_config(parser: argparse.ArgumentParser, path: str) -> None:
    """Make the settings of the file at ``path`` the defaults of ``parser``."""
    table = read_config(path)
    actions = {action.dest: action for action in parser._actions if action.dest not in _HIDDEN}
    defaults: dict[str, Any] = {}
    for key, value in table.items():
        dest = key.replace("-", "_")
        action = actions.get(dest)
        if action is None:
            raise ConfigError(f"{path}: unknown setting {key!r}")
        defaults[dest] = _convert(path, key, action, value)
    parser.set_defaults(**defaults)


def _convert(path: str, key: str, action: argparse.Action, value: Any) -> Any:
    if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
        if not isinstance(value, bool):
            raise ConfigError(f"{path}: {key} takes true or false, not {value!r}")
        return value
    convert = action.type
    if isinstance(value, (bool, dict, list)):
        raise ConfigError(f"{path}: {key} takes a single value, not {value!r}")
    if convert is None:
        if not isinstance(value, str):
            raise ConfigError(f"{path}: {key} takes a string, not {value!r}")
        return value
    if convert is float and isinstance(value, (int, float)):
        return float(value)
    if convert is int and isinstance(value, int):
        return value
    try:
        return convert(str(value))  # type: ignore[operator]
    except (TypeError, ValueError, argparse.ArgumentTypeError) as exc:
        raise ConfigError(f"{path}: {key}: {exc or 'invalid value'} ({value!r})") from None
