"""Tests for the Slack Web API stand-in and the signed request builders."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from tests.support.slack_requests import SlackSender, block_actions_body, command_body, sign, view_submission_body
from tests.support.slack_stub import SlackStub

SECRET = "test-signing-secret"

# Slack's documented example (https://docs.slack.dev/authentication/verifying-requests-from-slack/).
VECTOR_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
VECTOR_TS = 1531420618
VECTOR_BODY = (
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
VECTOR_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


@pytest.fixture
def stub() -> Iterator[SlackStub]:
    with SlackStub(user_tz={"U_ALICE": "Europe/Berlin"}) as s:
        yield s


def client_for(stub: SlackStub, token: str = "xoxb-test") -> WebClient:
    return WebClient(token=token, base_url=stub.api_url, retry_handlers=[])


def test_sign_matches_slack_documented_vector() -> None:
    headers = sign(VECTOR_SECRET, VECTOR_BODY, timestamp=VECTOR_TS)
    assert headers == {"X-Slack-Request-Timestamp": str(VECTOR_TS), "X-Slack-Signature": VECTOR_SIGNATURE}
    # ...and agrees with slack_sdk's verifier on a fresh request.
    body = command_body("hello", response_url="http://127.0.0.1/response/x")
    assert SignatureVerifier(SECRET).is_valid_request(body, sign(SECRET, body))


def test_post_message_records_decoded_blocks(stub: SlackStub) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    client = client_for(stub)
    first = client.chat_postMessage(channel="C_PROJ", text="hi", blocks=blocks)
    second = client.chat_postMessage(channel="U_ALICE", text="dm")

    assert first["channel"] == "C_PROJ"
    assert first["message"]["blocks"] == blocks
    assert second["channel"] == "D_ALICE"
    assert float(second["ts"]) > float(first["ts"])
    call = stub.calls_to("chat.postMessage")[0]
    assert call.params["blocks"] == blocks
    assert call.params["text"] == "hi"
    assert call.token == "xoxb-test"
    assert not call.failed


def test_auth_test_maps_token_to_team(stub: SlackStub) -> None:
    assert client_for(stub).auth_test()["team_id"] == "T_HOME"
    with pytest.raises(SlackApiError) as info:
        client_for(stub, token="xoxb-unknown").auth_test()
    assert info.value.response["error"] == "invalid_auth"


def test_scripted_rate_limit_then_success(stub: SlackStub) -> None:
    stub.fail("chat.postMessage", status=429, headers={"Retry-After": "1"}, error="ratelimited")
    client = client_for(stub)
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="C_PROJ", text="hi")
    assert info.value.response.status_code == 429
    assert info.value.response.headers["Retry-After"] == "1"
    assert info.value.response["error"] == "ratelimited"

    assert client.chat_postMessage(channel="C_PROJ", text="hi")["ok"]
    assert [(c.status, c.failed) for c in stub.calls_to("chat.postMessage")] == [(429, True), (200, False)]


def test_users_info_timezone_and_unknown_user(stub: SlackStub) -> None:
    client = client_for(stub)
    assert client.users_info(user="U_ALICE")["user"]["tz"] == "Europe/Berlin"
    assert client.users_info(user="U_BOB")["user"]["tz"] == "UTC"
    stub.unknown_users.add("U_GONE")
    with pytest.raises(SlackApiError) as info:
        client.users_info(user="U_GONE")
    assert info.value.response["error"] == "user_not_found"


def test_delay_slows_answers(stub: SlackStub) -> None:
    stub.delay("conversations.open", 0.3)
    started = time.monotonic()
    assert client_for(stub).conversations_open(users="U_ALICE,U_BOB")["channel"]["id"] == "D_ALICE"
    assert time.monotonic() - started >= 0.3


def test_response_url_posts_are_recorded(stub: SlackStub) -> None:
    request = urllib.request.Request(
        stub.response_url("cmd"),
        data=json.dumps({"text": "done", "response_type": "ephemeral"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as resp:
        assert resp.status == 200
    assert stub.wait_for_responses(key="cmd") == [{"text": "done", "response_type": "ephemeral"}]
    assert stub.responses("other") == []


def test_wait_for_waits_for_background_calls_and_times_out(stub: SlackStub) -> None:
    client = client_for(stub)
    threading.Timer(0.1, lambda: client.chat_postMessage(channel="C_PROJ", text="later")).start()
    assert stub.wait_for("chat.postMessage")[0].params["text"] == "later"

    with pytest.raises(AssertionError, match=r"chat\.update.*chat\.postMessage x1"):
        stub.wait_for("chat.update", timeout=0.2)
    stub.reset()
    assert stub.calls == []


@pytest.fixture
def bolt_url(stub: SlackStub) -> Iterator[str]:
    """A real Bolt app behind a tiny HTTP server, wired to the stub."""
    app = App(
        signing_secret=SECRET,
        client=WebClient(token="xoxb-test", base_url=stub.api_url, retry_handlers=[]),
    )

    @app.command("/project")
    def project(ack, respond, command) -> None:  # type: ignore[no-untyped-def]
        ack()
        respond(f"got {command['text']}")

    @app.action("approve")
    def approve(ack, body, client) -> None:  # type: ignore[no-untyped-def]
        ack()
        client.chat_update(channel=body["channel"]["id"], ts=body["message"]["ts"], text="approved")

    @app.view("edit")
    def edit(ack, view) -> None:  # type: ignore[no-untyped-def]
        ack(response_action="errors", errors={"b": view["state"]["values"]["b"]["a"]["value"]})

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            headers = {k.lower(): [v] for k, v in self.headers.items()}
            resp = app.dispatch(BoltRequest(body=body, headers=headers))
            data = resp.body.encode()
            self.send_response(resp.status)
            for name, values in resp.headers.items():
                for value in values:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_sender_drives_a_real_bolt_app(stub: SlackStub, bolt_url: str) -> None:
    sender = SlackSender(bolt_url, SECRET)

    reply = sender.command("status", response_url=stub.response_url("cmd"))
    assert reply.status == 200
    assert stub.wait_for_responses(key="cmd")[0]["text"] == "got status"

    reply = sender.action(
        action_id="approve",
        value="1",
        user_id="U_ALICE",
        channel_id="C_PROJ",
        message_ts="1700000000.000001",
        response_url=stub.response_url("act"),
    )
    assert reply.status == 200
    params = stub.wait_for("chat.update")[0].params
    # Bolt's per-request client also sends team_id (from auth.test) with every call.
    assert params == {"channel": "C_PROJ", "ts": "1700000000.000001", "text": "approved", "team_id": "T_HOME"}

    reply = sender.view_submission(
        callback_id="edit", values={"b": {"a": {"type": "plain_text_input", "value": "bad"}}}, user_id="U_ALICE"
    )
    assert reply.json() == {"response_action": "errors", "errors": {"b": "bad"}}

    status, _, _ = sender.post(command_body("x", response_url=stub.response_url()), signature="v0=forged")
    assert status == 401
    assert sender.post("x=1", timestamp=int(time.time()) - 600).status == 401


def test_builders_produce_slack_shapes() -> None:
    form = parse_qs(command_body("hi there", response_url="http://r"), keep_blank_values=True)
    assert form["command"] == ["/project"] and form["text"] == ["hi there"]
    assert form["api_app_id"] == ["A_SHEPHERD"] and form["is_enterprise_install"] == ["false"]

    payload = json.loads(
        parse_qs(
            block_actions_body(
                action_id="a",
                value="v",
                user_id="U_X",
                user_team_id="T_OTHER",
                channel_id="C",
                message_ts="1.2",
                response_url="http://r",
            )
        )["payload"][0]
    )
    assert payload["type"] == "block_actions"
    assert payload["user"]["team_id"] == "T_OTHER" and payload["team"]["id"] == "T_HOME"
    assert payload["message"]["ts"] == "1.2" and payload["actions"][0]["value"] == "v"

    view = json.loads(
        parse_qs(view_submission_body(callback_id="cb", values={}, user_id="U_X", private_metadata="42"))["payload"][0]
    )["view"]
    assert (view["callback_id"], view["private_metadata"], view["app_installed_team_id"]) == ("cb", "42", "T_HOME")
