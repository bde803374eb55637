"""The approval message, reject modal and answers as pure functions: structure, limits, escaping."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from bot.core.approvals import ApprovalCard, Deciders
from bot.messages import ids
from bot.messages.approvals import approval_message, link_markup, reject_modal, resubmit_hint, submitter_notice
from storage.models import Decision, Deliverable, Project
from tests.support.blocks import assert_valid_blocks, assert_valid_view, text_of

WHEN = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def project(**kw) -> Project:
    fields = dict(id=1, team_id="T1", name="Acme website", name_key="acme website", client="Acme Corp", channel_id="C1",
                  owner_id="U0PM", stage="planning", start_date=date(2026, 11, 1), tz="UTC")  # fmt: skip
    return Project(**{**fields, **kw})


def deliverable(**kw) -> Deliverable:
    fields = dict(id=7, team_id="T1", project_id=1, title="Homepage design", title_key="homepage design",
                  link="https://figma.example/x", stage="planning", version=1, state="pending",
                  submitted_by="U0PM", submitted_at=WHEN, channel_id="C1", message_ts="1.2")  # fmt: skip
    return Deliverable(**{**fields, **kw})


def decision(verdict: str = "approved", reason: str | None = None) -> Decision:
    return Decision(id=1, team_id="T1", deliverable_id=7, approver_id="U0CLIENT", verdict=verdict, reason=reason, decided_at=WHEN)


def card(d: Deliverable | None = None, *, approvers=("U0CLIENT",), decided=None, previous=None, replaced_by=None) -> ApprovalCard:
    deciders = Deciders(list(approvers), False) if approvers else Deciders(["U0PM"], True)
    return ApprovalCard(d or deliverable(), project(), deciders, decided, previous, replaced_by)


def actions(message: dict) -> list[dict]:
    return [b for b in message["blocks"] if b["type"] == "actions"]


def test_a_pending_message_carries_both_buttons_with_the_deliverable_id_only():
    message = approval_message(card())
    [block] = actions(message)
    assert block["block_id"] == ids.APPROVAL_ACTIONS_BLOCK
    assert [(e["action_id"], e["value"], e["style"]) for e in block["elements"]] == [
        (ids.APPROVE_ACTION, "7", "primary"),
        (ids.REJECT_ACTION, "7", "danger"),
    ]
    assert "waiting for sign-off by <@U0CLIENT>" in message["text"]
    assert_valid_blocks(message["blocks"])


@pytest.mark.parametrize(
    "state",
    [
        dict(decided=decision()),
        dict(decided=decision("rejected", "Too dark")),
        dict(decided=decision("rejected", "Too dark"), replaced_by=2),
        dict(replaced_by=2),
    ],
    ids=["approved", "rejected", "rejected-then-superseded", "superseded-undecided"],
)
def test_a_decided_or_superseded_message_has_no_buttons(state):
    message = approval_message(card(deliverable(state="approved" if "decided" in state else "superseded"), **state))
    assert actions(message) == []
    assert_valid_blocks(message["blocks"])


def test_the_decision_line_names_the_approver_and_the_time_in_slack_date_format():
    shown = text_of(approval_message(card(decided=decision())))
    assert f"*Approved* by <@U0CLIENT> <!date^{int(WHEN.timestamp())}^" in shown


def test_a_rejection_shows_its_reason_quoted_and_escaped():
    shown = text_of(approval_message(card(decided=decision("rejected", "Bad <!here> & <https://evil|x>\nsecond line"))))
    assert ">Bad &lt;!here&gt; &amp; &lt;https://evil|x&gt;\n>second line" in shown


def test_v2_says_what_it_replaces_and_v1_says_it_was_superseded():
    v1 = deliverable(state="superseded")
    v2 = approval_message(card(deliverable(id=8, version=2, previous_id=7), previous=(v1, decision("rejected", "No"))))
    assert "Replaces v1, rejected by <@U0CLIENT>." in text_of(v2)
    old = approval_message(card(v1, decided=decision("rejected", "No"), replaced_by=2))
    assert "Superseded by v2." in text_of(old) and "superseded by v2" in old["text"]


def test_without_approvers_the_message_says_the_owner_decides():
    assert "project owner <@U0PM> decides" in text_of(approval_message(card(approvers=())))


def test_typed_titles_cannot_ping_or_forge_links_and_are_cut():
    title = "<!channel> <https://evil.example|click> & " + "x" * 400
    message = approval_message(card(deliverable(title=title)))
    shown = text_of(message)
    assert "<!channel>" not in shown and "<https://evil" not in shown and "<!channel>" not in message["text"]
    assert "&lt;!channel&gt;" in shown and "…" in shown
    assert_valid_blocks(message["blocks"])


@pytest.mark.parametrize("url", ["https://x.example/a|forged", "https://x.example/a>b", "javascript:alert(1)", "ftp://x"])
def test_a_link_that_could_forge_markup_is_shown_as_text(url):
    shown = link_markup(url)
    assert shown is not None and "<" not in shown and ">" not in shown, "no raw angle brackets: no link markup"


def test_a_plain_https_link_becomes_a_link_with_its_ampersands_escaped():
    assert link_markup("https://x.example/a?b=1&c=2") == "<https://x.example/a?b=1&amp;c=2|https://x.example/a?b=1&amp;c=2>"


def test_many_approvers_are_counted_not_all_listed():
    many = [f"U0C{i:03d}" for i in range(40)]
    message = approval_message(card(approvers=many))
    assert "and 25 more" in text_of(message)
    assert_valid_blocks(message["blocks"])


def test_the_reject_modal_requires_a_reason_and_remembers_the_deliverable():
    modal = reject_modal(deliverable(title="<b>" + "y" * 300), "Acme website")
    assert_valid_view(modal)
    assert modal["callback_id"] == ids.REJECT_VIEW and json.loads(modal["private_metadata"]) == {"deliverable_id": 7}
    [field] = [b for b in modal["blocks"] if b["type"] == "input"]
    assert field["block_id"] == ids.REJECT_REASON_BLOCK and field["element"]["action_id"] == ids.REJECT_REASON_INPUT
    assert not field.get("optional") and field["element"]["multiline"]


def test_the_thread_notice_mentions_the_submitter_and_the_how_to_resubmit_hint_is_theirs_alone():
    rejected = card(decided=decision("rejected", "Too dark"))
    notice = submitter_notice(rejected)  # in the thread, where clients read: no command coaching
    assert notice["text"].startswith("<@U0PM>") and ">Too dark" in notice["text"] and "/project" not in notice["text"]
    assert_valid_blocks(notice["blocks"])
    hint = resubmit_hint(rejected)
    assert hint is not None and "v2" in hint["text"] and "/project deliverable" in hint["text"]
    assert resubmit_hint(card(decided=decision("approved", None))) is None
