"""`python -m bot` as a deployment runs it: HTTP mode on PORT, real process, real restarts."""

from __future__ import annotations

import time

from tests.support.processes import SECRET, free_port, start, stop, wait_healthy
from tests.support.slack_requests import SlackSender, command_body


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
