"""A real nginx for the tests, started with a configuration in a temporary folder.

The server blocks come from the deployment guide's files (``docs/deploy/nginx.conf`` and
``nginx-stream.conf``), with their addresses and paths replaced by the test's: the guide's
examples are the configurations the tests run.  nginx runs in the foreground as one process
(``master_process off``), logging to the folder; :meth:`Nginx.stop` ends it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "docs" / "deploy"
MODULES = Path("/usr/lib/nginx/modules")


def nginx_binary() -> str | None:
    """The nginx program, if installed."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")


def stream_module() -> Path | None:
    """Debian's dynamic stream module (package libnginx-mod-stream), if installed."""
    path = MODULES / "ngx_stream_module.so"
    return path if path.exists() else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def site_config(replacements: dict[str, str], name: str = "nginx.conf") -> str:
    """The guide's file ``name`` with each ``old`` text replaced (each must occur)."""
    text = (DEPLOY / name).read_text()
    for old, new in replacements.items():
        assert old in text, f"{old!r} is not in docs/deploy/{name} any more"
        text = text.replace(old, new)
    return text


class Nginx:
    """nginx with ``http`` (and optionally ``stream``) server blocks, in ``folder``."""

    def __init__(self, folder: Path, http: str = "", stream: str = "") -> None:
        binary = nginx_binary()
        assert binary is not None
        self.folder = folder
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (folder / sub).mkdir(exist_ok=True)
        load = f"load_module {stream_module()};\n" if stream else ""
        stream_block = f"stream {{\n{stream}\n}}\n" if stream else ""
        config = folder / "nginx.conf"
        config.write_text(
            f"{load}daemon off;\nmaster_process off;\nworker_processes 1;\n"
            f"pid {folder}/nginx.pid;\nerror_log {folder}/error.log info;\n"
            "events { worker_connections 256; }\n"
            f"http {{\n  access_log {folder}/access.log;\n"
            f"  client_body_temp_path {folder}/body;\n  proxy_temp_path {folder}/proxy;\n"
            f"  fastcgi_temp_path {folder}/fastcgi;\n  uwsgi_temp_path {folder}/uwsgi;\n"
            f"  scgi_temp_path {folder}/scgi;\n{http}\n}}\n{stream_block}"
        )
        self.proc = subprocess.Popen(
            [binary, "-p", str(folder), "-c", str(config), "-e", str(folder / "error.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def wait_port(self, port: int, timeout: float = 20.0) -> None:
        """Wait until nginx accepts on ``port``."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not start: {self.log()}") from None
                time.sleep(0.02)

    def log(self) -> str:
        """nginx's error log."""
        path = self.folder / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Stop nginx."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:  # pragma: no cover - a stuck nginx
                self.proc.kill()
                self.proc.wait()
        if self.proc.stderr is not None:
            self.proc.stderr.close()
