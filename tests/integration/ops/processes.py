"""Running a bayfin server as a real subprocess, as an orchestrator would, and reading what it prints."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.conftest import TEST_AUDIT_KEY

ROOT = Path(__file__).resolve().parents[3]


def environment(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a test server: the test database, the test audit key, JSON logs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BAYFIN_", "PROMETHEUS_"))}
    env.update({"BAYFIN_ENVIRONMENT": "test", "BAYFIN_DATABASE_URL": database_url,
                "BAYFIN_AUDIT_KEY": TEST_AUDIT_KEY, "BAYFIN_DATA_DIR": str(data_dir),
                "BAYFIN_AUDIT_SEAL_INTERVAL": "0", "BAYFIN_LOG_JSON": "true", **extra})
    return env


class Server:
    """A ``bayfin …`` command running in its own process; its stderr is collected line by line."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", "from bayfin.cli.main import app; app()", *args],
                                     cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.lines: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.stderr: list[str] = []
        self.stdout = ""
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)
            self.lines.put(line)

    def wait_for(self, pattern: str, timeout: float = 400.0) -> re.Match[str]:
        """The first stderr line matching ``pattern`` (fails with what the process said otherwise)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            found = re.search(pattern, line)
            if found:
                return found
        raise AssertionError(f"never printed {pattern!r}; exit {self.proc.poll()}; stderr:\n"
                             + "".join(self.stderr[-40:]))

    def probe_url(self) -> str:
        """The base URL of the process's probe port (started with ``--probe-port 0``)."""
        return self.wait_for(r"probes on (http://\S+)").group(1)

    def terminate_and_wait(self, timeout: float = 120.0) -> int:
        """Send SIGTERM, wait for the exit, collect stdout; returns the exit code."""
        self.proc.terminate()
        code = self.proc.wait(timeout=timeout)
        assert self.proc.stdout is not None
        self.stdout = self.proc.stdout.read()
        return code

    def kill(self) -> None:
        """Clean-up after a failed test."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def get(url: str) -> httpx.Response:
    """One probe request."""
    return httpx.get(url, timeout=10)
