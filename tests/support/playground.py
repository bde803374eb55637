"""`python -m bot playground` in its own process and folder, on a free port, for tests."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(folder: Path, **extra: str) -> dict[str, str]:
    """This process's environment without Slack's settings or a database, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_") and k not in ("DATABASE_URL", "PORT", "HOST")}
    return {**env, "DATABASE_URL": f"sqlite:///{folder}/playground.db", "PYTHONPATH": str(ROOT), **extra}


@contextmanager
def running_playground(folder: Path, *args: str, timeout: float = 90, **env: str) -> Iterator[tuple[str, Path]]:
    """Start it (with `env` on top of a clean environment, e.g. DATABASE_URL), wait until the page
    answers, yield (its URL, its log file); stop it after."""
    port = free_port()
    log_path = folder / "playground.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "playground", *args],
            cwd=folder, env=environment(folder, PORT=str(port), **env), stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    with urllib.request.urlopen(url + "/api/state", timeout=2) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("the playground did not start:\n" + log_path.read_text())
                time.sleep(0.2)
            yield url, log_path
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def state(url: str, person: str, at: str) -> Any:
    with urllib.request.urlopen(f"{url}/api/state?as={person}&at={at}", timeout=10) as answer:
        return json.loads(answer.read())


def post(url: str, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())
