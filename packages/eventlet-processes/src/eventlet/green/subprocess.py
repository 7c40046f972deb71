"""A drop-in ``subprocess`` whose blocking calls block only the calling green thread.

Everything the standard module exports is here; ``Popen`` and the helpers that create one
(``run``, ``call``, ``check_call``, ``check_output``, ``getoutput``, ``getstatusoutput``) are green
versions, the rest (``PIPE``, ``CompletedProcess``, ``TimeoutExpired``, ``CalledProcessError``, ...)
are the standard objects themselves, so ``except subprocess.TimeoutExpired`` catches ours too.

``eventlet.monkey_patch()`` puts the names listed in ``__patched__`` into the standard module when
this distribution is installed (entry point group ``eventlet.green_modules``).
"""

from __future__ import annotations

import subprocess as _std
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from eventlet.processes._popen import GreenPopen

__patched__: list[str] = [
    "Popen",
    "call",
    "check_call",
    "check_output",
    "getoutput",
    "getstatusoutput",
    "run",
]

for _name in dir(_std):
    if not _name.startswith("__") and _name not in __patched__:
        globals()[_name] = getattr(_std, _name)
del _name

PIPE = _std.PIPE
STDOUT = _std.STDOUT
DEVNULL = _std.DEVNULL
from subprocess import CalledProcessError as CalledProcessError  # noqa: E402 - the standard classes
from subprocess import CompletedProcess as CompletedProcess  # noqa: E402
from subprocess import SubprocessError as SubprocessError  # noqa: E402
from subprocess import TimeoutExpired as TimeoutExpired  # noqa: E402

list2cmdline: Callable[[Iterable[str]], str] = _std.list2cmdline

__all__ = list(_std.__all__)


class Popen(GreenPopen):
    """``subprocess.Popen``: the same arguments and behaviour; waiting and pipes are green."""


def call(*popenargs: Any, timeout: float | None = None, **kwargs: Any) -> int:
    """Run a command, wait for it (at most ``timeout`` seconds) and return its exit code.

    On timeout (or any other exception) the child is killed before the exception propagates.
    """
    with Popen(*popenargs, **kwargs) as process:
        try:
            returncode: int = process.wait(timeout=timeout)
            return returncode
        except BaseException:
            process.kill()
            raise


def check_call(*popenargs: Any, **kwargs: Any) -> int:
    """Like :func:`call`, but raise CalledProcessError on a non-zero exit code; return 0."""
    returncode = call(*popenargs, **kwargs)
    if returncode:
        command = kwargs.get("args")
        raise CalledProcessError(returncode, popenargs[0] if command is None else command)
    return 0


def run(
    *popenargs: Any,
    input: Any = None,
    capture_output: bool = False,
    timeout: float | None = None,
    check: bool = False,
    **kwargs: Any,
) -> CompletedProcess[Any]:
    """Run a command, feed it ``input``, wait for it and return a :class:`CompletedProcess`.

    The same contract as ``subprocess.run``: ``capture_output`` pipes stdout and stderr, ``check``
    raises CalledProcessError on a non-zero exit, ``timeout`` kills the child and raises
    TimeoutExpired (carrying the output captured so far).
    """
    if input is not None:
        if kwargs.get("stdin") is not None:
            raise ValueError("stdin and input arguments may not both be used.")
        kwargs["stdin"] = PIPE
    if capture_output:
        if kwargs.get("stdout") is not None or kwargs.get("stderr") is not None:
            raise ValueError("stdout and stderr arguments may not be used with capture_output.")
        kwargs["stdout"] = PIPE
        kwargs["stderr"] = PIPE
    with Popen(*popenargs, **kwargs) as process:
        try:
            stdout, stderr = process.communicate(input, timeout=timeout)
        except TimeoutExpired:
            process.kill()
            process.wait()
            raise
        except BaseException:
            process.kill()
            raise
        returncode = process.poll()
    assert returncode is not None  # communicate() waited for the exit
    if check and returncode:
        raise CalledProcessError(returncode, process.args, output=stdout, stderr=stderr)
    return CompletedProcess(process.args, returncode, stdout, stderr)


def check_output(*popenargs: Any, timeout: float | None = None, **kwargs: Any) -> Any:
    """Run a command and return its standard output; CalledProcessError on a non-zero exit."""
    for keyword in ("stdout", "check"):
        if keyword in kwargs:
            raise ValueError(f"{keyword} argument not allowed, it will be overridden.")
    if "input" in kwargs and kwargs["input"] is None:
        text = any(kwargs.get(key) for key in ("universal_newlines", "text", "encoding", "errors"))
        kwargs["input"] = "" if text else b""
    return run(*popenargs, stdout=PIPE, timeout=timeout, check=True, **kwargs).stdout


def getstatusoutput(cmd: Any, *, encoding: str | None = None, errors: str | None = None) -> tuple[int, str]:
    """Run ``cmd`` in a shell; return ``(exitcode, output)`` with stderr merged, minus one final newline."""
    try:
        data = check_output(cmd, shell=True, text=True, stderr=STDOUT, encoding=encoding, errors=errors)
        exitcode = 0
    except CalledProcessError as exc:
        data = exc.output
        exitcode = exc.returncode
    if data[-1:] == "\n":
        data = data[:-1]
    return exitcode, data


def getoutput(cmd: Any, *, encoding: str | None = None, errors: str | None = None) -> str:
    """Run ``cmd`` in a shell and return its output (stdout and stderr, minus a final newline)."""
    return getstatusoutput(cmd, encoding=encoding, errors=errors)[1]


if TYPE_CHECKING:  # the standard module's names, copied in above, as type checkers can read them
    # (the green definitions above stay: an import does not replace a name already defined)
    from subprocess import *  # type: ignore[assignment]  # noqa: F403
