"""The door of HTTP mode under fire: whatever headers, bodies and payload shapes arrive, signed or
not, Shepherd answers without a 5xx and logs no traceback — unsigned ones get 401 with at most one
line per source a minute, signed ones it can't handle 400 and one line."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.messages import ids
from tests.support.harness import SECRET
from tests.support.slack_requests import sign

FORM = "application/x-www-form-urlencoded"
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), database=None)


def post(bot, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(bot.sender.url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def signed(body: str, content_type: str = FORM) -> dict[str, str]:
    return {"Content-Type": content_type, **sign(SECRET, body)}


def payload(shape: Any) -> str:
    return "payload=" + urllib.parse.quote(json.dumps(shape))


def tracebacks(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage() or r.levelno >= logging.ERROR]


def test_a_timestamp_of_four_hundred_digits_is_refused_with_401_and_one_line(bot, caplog):
    headers = {"Content-Type": FORM, "X-Slack-Request-Timestamp": "9" * 400, "X-Slack-Signature": "v0=" + "a" * 64}
    spoofed = [{**headers, "X-Forwarded-For": f"10.0.0.{n}"} for n in range(50)]  # a header can't buy more lines
    assert {post(bot, b"command=%2Fproject&text=help", h) for h in spoofed} == {401}
    assert not tracebacks(caplog)
    assert len([r for r in caplog.records if "did not sign" in r.getMessage()]) == 1


@pytest.mark.parametrize(
    "shape",
    [
        {"type": "view_submission", "user": {"id": "U1"}, "view": {"callback_id": "x"}},  # a view without a type
        {"type": "block_actions", "user": {"id": "U1"}, "actions": [None]},
        {"type": "block_actions", "user": {"id": "U1"}, "actions": ["x", 3]},
        {"type": "block_actions", "user": "U1", "actions": [{"action_id": 3}]},
    ],
)
def test_signed_payloads_bolt_trips_on_get_400_and_one_line(bot, caplog, shape):
    body = payload(shape)
    assert post(bot, body.encode(), signed(body)) == 400
    bot.settle()
    assert not tracebacks(caplog)
    assert len([r for r in caplog.records if "can't" in r.getMessage()]) == 1


@pytest.mark.parametrize("user", [42, None, ["U1"], {"id": "U1"}])
def test_an_app_home_opened_event_with_an_odd_user_gets_no_5xx_and_no_traceback(bot, caplog, user):
    event = {"type": "event_callback", "team_id": "T_HOME", "api_app_id": "A1", "event_id": "Ev1", "event_time": 1}
    body = json.dumps({**event, "event": {"type": "app_home_opened", "user": user, "tab": "home"}})
    assert post(bot, body.encode(), signed(body, "application/json")) == 400
    bot.settle()
    assert not tracebacks(caplog)
    assert len([r for r in caplog.records if "can't read" in r.getMessage()]) == 1


# --- any shape at all ---------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=20,
)
KINDS = ["block_actions", "view_submission", "view_closed", "shortcut", "message_action", "block_suggestion", "event_callback"]
KEYS = ["user", "team", "actions", "view", "channel", "container", "message", "callback_id", "event", "trigger_id"]
OURS = sorted(v for k, v in vars(ids).items() if k.endswith(("_ACTION", "_VIEW", "_SHORTCUT")) and isinstance(v, str))
ID = st.sampled_from(OURS) | st.text(max_size=10)
SOME = JSON | st.sampled_from(["1", "12", "U0ALICE", "C0PROJ", "1700000000.000100", '{"p": 1}', "T_HOME"])
USER = st.fixed_dictionaries({"id": st.sampled_from(["U0ALICE", "U0ACME"]) | SOME}, optional={"team_id": SOME}) | SOME
ACTION = st.fixed_dictionaries({"action_id": ID}, optional={"value": SOME, "block_id": SOME, "selected_option": SOME}) | SOME
VIEW = (
    st.fixed_dictionaries(
        {"callback_id": ID}, optional={"type": st.just("modal") | SOME, "private_metadata": SOME, "state": SOME, "id": SOME}
    )
    | SOME
)
SLACKISH = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("block_actions"), "user": USER, "actions": st.lists(ACTION, max_size=2) | SOME},
        optional={k: SOME for k in ("team", "channel", "container", "message", "trigger_id", "view")},
    ),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["view_submission", "view_closed"]), "user": USER, "view": VIEW},
        optional={"team": SOME, "trigger_id": SOME},
    ),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["shortcut", "message_action"]), "user": USER, "callback_id": ID},
        optional={k: SOME for k in ("team", "channel", "message", "trigger_id")},
    ),
    st.builds(
        lambda kind, fields, extra: {"type": kind, **fields, **extra},
        st.sampled_from(KINDS) | st.text(max_size=10) | JSON,
        st.dictionaries(st.sampled_from(KEYS), JSON, max_size=6),
        st.dictionaries(st.text(max_size=8), JSON, max_size=3),
    ),
)
COMMAND_FIELDS = ["command", "text", "user_id", "channel_id", "team_id", "user_team_id", "trigger_id", "enterprise_id"]
COMMAND = st.dictionaries(st.sampled_from(COMMAND_FIELDS) | st.text(max_size=8), st.text(max_size=40), max_size=8).map(
    lambda fields: urllib.parse.urlencode({"command": "/project", **fields})
)
EVENT = st.builds(
    lambda event, rest: json.dumps({"type": "event_callback", "team_id": "T_HOME", "event": event, **rest}),
    st.builds(
        lambda kind, f: {"type": kind, **f},
        st.sampled_from(["app_home_opened", "message"]),
        st.dictionaries(st.sampled_from(["user", "tab", "channel", "view"]), JSON),
    ),
    st.dictionaries(st.text(max_size=8), JSON, max_size=3),
)
FORM_BODY = st.one_of(SLACKISH.map(payload), JSON.map(payload), COMMAND, st.text(max_size=80))
TYPES = st.sampled_from([FORM, "application/json", "text/plain", "", "multipart/form-data; boundary=x"])


@FUZZ
@given(
    body=st.one_of(
        FORM_BODY.map(str.encode), EVENT.map(str.encode), JSON.map(lambda j: json.dumps(j).encode()), st.binary(max_size=80)
    ),
    content_type=TYPES,
    timestamp=st.none() | st.text(max_size=30) | st.integers(0, 10**400).map(str),
    signature=st.none() | st.text(max_size=100),
    extra=st.dictionaries(
        st.sampled_from(["X-Forwarded-For", "X-Slack-Retry-Num", "X-Slack-Retry-Reason"]), st.text(max_size=20)
    ),
)
def test_unsigned_requests_of_any_shape_get_401_and_no_traceback(bot, caplog, body, content_type, timestamp, signature, extra):
    headers = {"Content-Type": content_type, **extra}
    if timestamp is not None:
        headers["X-Slack-Request-Timestamp"] = timestamp
    if signature is not None:
        headers["X-Slack-Signature"] = signature
    headers = {k: v for k, v in headers.items() if v.isascii() and v.isprintable()}  # what HTTP can carry
    assert post(bot, body, headers) == 401
    assert not tracebacks(caplog)
    assert len([r for r in caplog.records if "did not sign" in r.getMessage()]) <= 1


@FUZZ
@given(
    body=st.one_of(
        FORM_BODY.map(lambda b: (b, FORM)),
        EVENT.map(lambda b: (b, "application/json")),
        JSON.map(lambda j: (json.dumps(j), "application/json")),
    ),
)
def test_signed_requests_of_any_shape_get_no_5xx_and_no_traceback(bot, caplog, body):
    text, content_type = body
    headers = {"Content-Type": content_type, **sign(SECRET, text, timestamp=int(time.time()))}
    assert post(bot, text.encode(), headers) < 500
    bot.settle(quiet=0.02)  # and the work it handed on, if any
    assert not tracebacks(caplog)


def test_after_the_fuzzing_the_work_it_handed_on_logged_no_traceback(bot, caplog):
    """The work a signed odd shape hands on (after its ack) fails quietly too."""
    shapes = [
        {"type": "block_actions", "user": {"id": "U1"}, "actions": [{"action_id": "step_done", "value": "x"}]},
        {"type": "block_actions", "user": {"id": "U1"}, "actions": [{"action_id": "approve", "value": None}]},
        {"type": "view_submission", "user": {"id": "U1"}, "view": {"type": "modal", "callback_id": "reject", "state": 3}},
    ]
    for shape in shapes:
        body = payload(shape)
        assert post(bot, body.encode(), signed(body)) < 500
    bot.settle()
    assert not tracebacks(caplog)
