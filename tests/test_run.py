"""`python -m bot` as a deployment runs it: HTTP mode on PORT, real process, real restarts."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.slack_requests import SlackSender, command_body

ROOT = Path(__file__).resolve().parent.parent
SECRET = "run-test-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"bot exited with {process.returncode}: {process.stderr.read() if process.stderr else ''}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                return json.loads(response.read())
        except OSError:
            time.sleep(0.2)
    raise AssertionError("bot did not become healthy")


def start(tmp_path: Path, slack, port: int) -> subprocess.Popen:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{tmp_path}/shepherd.db",
        "REMINDER_INTERVAL": "3600",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("bot did not stop on SIGTERM")


def test_the_bot_serves_slack_over_http_and_keeps_its_data_across_a_restart(tmp_path, slack):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    sender = SlackSender(url, SECRET)
    process = start(tmp_path, slack, port)
    try:
        health = wait_healthy(url, process)
        assert health["ok"] is True and set(health["work"]) == {"queued", "running", "done"}
        created = sender.command(
            'new "Acme website"', user_id="U0ALICE", channel_id="C0PROJ", response_url=slack.response_url("new")
        )
        assert created.status == 200
        assert "Acme website" in slack.wait_for_responses(1, key="new", timeout=15)[0]["text"]
        stale = command_body("status", user_id="U0ALICE", channel_id="C0PROJ", response_url=slack.response_url("x"))
        assert sender.post(stale, timestamp=int(time.time()) - 600).status == 401
    finally:
        stop(process)
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""

    process = start(tmp_path, slack, port)
    try:
        wait_healthy(url, process)
        card = sender.command("status", user_id="U0ALICE", channel_id="C0PROJ", response_url=slack.response_url("status")).json()
        assert card["blocks"][0]["text"]["text"] == "Acme website"
    finally:
        stop(process)
