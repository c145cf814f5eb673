"""Run the local Hub stand-in in a child process, and build the environment its clients need.

`huggingface_hub` and `datasets` read `HF_ENDPOINT` once, when they are imported, so a process that talks to a
local Hub must have `hub_environment(...)` in `os.environ` before its first HF import (or pass it to a child
process). This module imports no HF library.

What it does not cover: running the server in-process (use `gainrl.hub.server.create_app` with any ASGI
server), remote hosts, TLS.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def hub_environment(endpoint: str, token: str = "hf_local", hf_home: str | None = None) -> dict[str, str]:
    """Variables that point every HF client at `endpoint` (upload without Xet, no telemetry)."""
    env = {"HF_ENDPOINT": endpoint, "HF_HUB_DISABLE_XET": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
           "HF_TOKEN": token, "HF_HUB_OFFLINE": "0", "HF_DATASETS_OFFLINE": "0"}
    if hf_home is not None:
        env["HF_HOME"] = hf_home
    return env


class LocalHubProcess:
    """`gainrl hub serve` in a child process; a context manager that waits until the server answers.

    >>> with LocalHubProcess(root=".gainrl-hub") as hub:   # doctest: +SKIP
    ...     os.environ.update(hub_environment(hub.endpoint))
    """

    def __init__(self, root: str | os.PathLike, host: str = "127.0.0.1", port: int | None = None,
                 token: str | None = None, log_path: str | os.PathLike | None = None):
        self.root, self.host, self.token = Path(root), host, token
        self.port = port or free_port(host)
        self.log_path = Path(log_path) if log_path else self.root.parent / f"{self.root.name}.server.log"
        self._process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_s: float = 30.0) -> "LocalHubProcess":
        command = [sys.executable, "-m", "gainrl", "hub", "serve", "--root", str(self.root), "--host", self.host,
                   "--port", str(self.port), "--log-level", "warning"]
        if self.token:
            command += ["--token", self.token]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self._wait_until_ready(timeout_s)
        return self

    def _wait_until_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"local Hub exited with code {self._process.returncode}; see {self.log_path}")
            try:
                urllib.request.urlopen(f"{self.endpoint}/api/agent-harnesses", timeout=1).close()
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"local Hub did not answer on {self.endpoint} within {timeout_s} s; see {self.log_path}")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def restart(self) -> "LocalHubProcess":
        self.stop()
        return self.start()

    def __enter__(self) -> "LocalHubProcess":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
