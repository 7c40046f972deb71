"""ProcessPool runs functions defined in the user's main script, as multiprocessing's spawn does.

Each test writes a real script, runs it with this interpreter in a child process and reads what it
printed: the worker processes must find the script's functions and classes, run the script under
``__mp_main__`` (so its ``if __name__ == "__main__":`` block stays out), and explain the cases that
cannot work.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def run_script(tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(body))
    return subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_map_runs_a_function_defined_in_the_script(tmp_path: Path) -> None:
    result = run_script(
        tmp_path,
        """
        from eventlet.processes import ProcessPool

        def square(x):
            return x * x

        if __name__ == "__main__":
            with ProcessPool(2) as pool:
                print(pool.map(square, range(10)))
        """,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str([x * x for x in range(10)])


def test_classes_of_the_script_travel_both_ways(tmp_path: Path) -> None:
    result = run_script(
        tmp_path,
        """
        from dataclasses import dataclass
        from eventlet.processes import ProcessPool

        @dataclass
        class Point:
            x: int
            y: int

        def mirror(point):
            return Point(point.y, point.x)

        class Refused(Exception):
            pass

        def refuse():
            raise Refused("no")

        if __name__ == "__main__":
            with ProcessPool(1) as pool:
                back = pool.apply(mirror, (Point(1, 2),))
                print(type(back) is Point, back)
                try:
                    pool.apply(refuse)
                except Refused as exc:
                    print("caught", type(exc).__name__, exc)
        """,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["True Point(x=2, y=1)", "caught Refused no"]


def test_the_script_runs_in_a_worker_only_when_a_task_needs_it(tmp_path: Path) -> None:
    (tmp_path / "helpers.py").write_text("def double(x):\n    return 2 * x\n")
    result = run_script(
        tmp_path,
        """
        import os
        from eventlet.processes import ProcessPool
        from helpers import double

        with open("imports.log", "a") as log:
            print(__name__, file=log)

        def triple(x):
            return 3 * x

        if __name__ == "__main__":
            with ProcessPool(1) as pool:
                print(pool.map(double, [1, 2]))
                with open("imports.log") as log:
                    print(log.read().split())
                print(pool.map(triple, [1, 2]))
                print(pool.apply(triple, (5,)))
            with open("imports.log") as log:
                print(log.read().split())
        """,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "[2, 4]",
        "['__main__']",
        "[3, 6]",
        "15",
        "['__main__', '__mp_main__']",
    ]


def test_a_main_module_started_with_dash_m(tmp_path: Path) -> None:
    package = tmp_path / "tool"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "run.py").write_text(
        textwrap.dedent(
            """
            from eventlet.processes import ProcessPool

            def cube(x):
                return x ** 3

            if __name__ == "__main__":
                with ProcessPool(2) as pool:
                    print(pool.map(cube, range(4)))
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "tool.run"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[0, 1, 8, 27]"


def test_a_function_defined_under_the_guard_gets_an_explanation(tmp_path: Path) -> None:
    result = run_script(
        tmp_path,
        """
        from eventlet.processes import ProcessPool

        if __name__ == "__main__":
            def hidden(x):
                return x

            with ProcessPool(1) as pool:
                try:
                    pool.apply(hidden, (1,))
                except Exception as exc:
                    print(type(exc).__name__)
                    print(exc)
        """,
    )
    assert result.returncode == 0, result.stderr
    kind, message = result.stdout.split("\n", 1)
    assert kind == "MainScriptError"
    assert "'hidden' is not defined at module level" in message
    assert "script.py" in message
    assert 'if __name__ == "__main__":' in message


def test_a_pool_created_without_the_guard_is_refused_in_the_workers(tmp_path: Path) -> None:
    result = run_script(
        tmp_path,
        """
        from eventlet.processes import ProcessPool

        def square(x):
            return x * x

        pool = ProcessPool(1)
        try:
            print(pool.apply(square, (3,)))
        except RuntimeError as exc:
            print("refused:", exc)
        finally:
            pool.terminate()
            pool.join()
        """,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("refused: a ProcessPool was created while a worker process")
    assert "__mp_main__" in result.stdout


def test_a_main_module_without_a_file_gets_an_explanation(tmp_path: Path) -> None:
    code = textwrap.dedent(
        """
        from eventlet.processes import ProcessPool

        def square(x):
            return x * x

        with ProcessPool(1) as pool:
            try:
                pool.apply(square, (3,))
            except Exception as exc:
                print(type(exc).__name__, exc)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("MainScriptError ")
    assert "which a worker process cannot import" in result.stdout
