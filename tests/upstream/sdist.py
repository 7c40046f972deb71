"""Fetch upstream eventlet's pinned sdist, check it, and extract its ``tests/`` folder.

The archive is downloaded once with ``pip download`` into a cache folder and reused while its
sha256 matches the pin below; an archive with any other digest is refused (and a cached one is
downloaded again).  Only the ``tests/`` folder is extracted, so upstream's own ``eventlet`` package
never lands on ``sys.path`` of the run: the tests import ours.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

VERSION = "0.41.3"
SHA256 = "66d1883f276e94d040d007e99d7085e6aa5f2738c5b8783d165a137050dc8fb6"
ARCHIVE = f"eventlet-{VERSION}.tar.gz"
ROOT = f"eventlet-{VERSION}"


class SdistError(RuntimeError):
    """The sdist could not be fetched, or is not the pinned one."""


def default_cache() -> Path:
    """Where the sdist is kept between runs: ``$XDG_CACHE_HOME`` (or ``~/.cache``)/eventlet-upstream."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "eventlet-upstream"


def sha256_of(path: Path) -> str:
    """The hex sha256 digest of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, expected: str | None = None) -> None:
    """Raise :class:`SdistError` unless ``path``'s sha256 is ``expected`` (default: the pin)."""
    expected = expected or SHA256
    actual = sha256_of(path)
    if actual != expected:
        raise SdistError(f"{path}: sha256 {actual} is not the pinned {expected}; refusing to use it")


def fetch(cache: Path, python: str = sys.executable, expected: str | None = None) -> Path:
    """The path of the verified sdist in ``cache``, downloading it with pip when needed."""
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / ARCHIVE
    if target.exists():
        try:
            verify(target, expected)
            return target
        except SdistError:
            target.unlink()  # a truncated or foreign file: fetch it again
    with tempfile.TemporaryDirectory(prefix="eventlet-sdist-", dir=cache) as tmp:
        command = [python, "-m", "pip", "download", "--disable-pip-version-check", "--no-deps"]
        command += ["--no-binary", ":all:", "--dest", tmp, f"eventlet=={VERSION}"]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        fetched = Path(tmp) / ARCHIVE
        if done.returncode != 0 or not fetched.exists():
            raise SdistError(f"pip download eventlet=={VERSION} failed:\n{done.stdout}{done.stderr}")
        verify(fetched, expected)
        os.replace(fetched, target)
    return target


def extract_tests(archive: Path, destination: Path) -> Path:
    """Extract only ``<root>/tests/`` of ``archive`` into ``destination``; return ``destination/tests``."""
    destination.mkdir(parents=True, exist_ok=True)
    prefix = PurePosixPath(ROOT, "tests")
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            name = PurePosixPath(member.name)
            if name != prefix and prefix not in name.parents:
                continue
            if not (member.isfile() or member.isdir()) or ".." in name.parts:
                raise SdistError(f"{archive}: unexpected member {member.name!r}")
            relative = name.relative_to(ROOT)
            if member.isdir():
                (destination / relative).mkdir(parents=True, exist_ok=True)
                continue
            path = destination / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            assert source is not None  # a regular file always has a stream
            with source, open(path, "wb") as out:
                shutil.copyfileobj(source, out)
    tests = destination / "tests"
    if not (tests / "__init__.py").is_file():
        raise SdistError(f"{archive}: no tests/__init__.py in the archive")
    return tests
