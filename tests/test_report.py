"""`/project report`: a whole project's story as two files — Markdown and a CSV of its steps —
uploaded with files_upload_v2 to whoever asked (their DM) or the internal channel when asked
there; team only, this workspace only, and nothing half-shared or claimed when Slack fails."""

from __future__ import annotations

import csv
import io
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlmodel import select

from bot.messages import ids
from storage.models import AuditEvent, Closing, Decision, Deliverable, Proposal, Signoff
from tests.support.blocks import text_of
from tests.support.waiting import eventually

OWNER, BOB, CLIENT, NAMED = "U0OWNER", "U0BOB", "U0CLIENT", "U0NAMED"
CHANNEL, TEAM_CHANNEL, CLIENT_TEAM = "C0ACME", "C0TEAM", "T_CLIENTCO"
OWNER_DM = "D0OWNER"  # what the stand-in's conversations.open answers for U0OWNER


@pytest.fixture
def clock():
    with freeze_time("2026-11-26 10:00:00", tick=True) as frozen:  # a Thursday
        yield frozen


def run(bot, text, user=OWNER, channel=CHANNEL):
    return bot.run(text, user=user, channel=channel)


def rows(bot, model):
    with bot.db.reader() as session:
        return list(session.exec(select(model).order_by(model.id)))


def deliverable(bot, version: int) -> Deliverable:
    return next(d for d in rows(bot, Deliverable) if d.version == version)


def reject(bot, deliverable_id: int, reason: str) -> None:
    """The reason form that Reject opens, submitted by the client approver."""
    bot.view_submission(
        callback_id=ids.REJECT_VIEW, user_id=CLIENT, user_team_id=CLIENT_TEAM,
        values={ids.REJECT_REASON_BLOCK: {ids.REJECT_REASON_INPUT: {"type": "plain_text_input", "value": reason}}},
        private_metadata=json.dumps({"deliverable_id": deliverable_id}),
    )  # fmt: skip
    assert eventually(lambda: [d for d in rows(bot, Decision) if d.deliverable_id == deliverable_id])


def click(bot, slack, action_id: str, value: int, *, block_id: str, key: str) -> None:
    bot.action(
        action_id=action_id, value=str(value), user_id=CLIENT, user_team_id=CLIENT_TEAM, channel_id=CHANNEL,
        message_ts="1700000000.000001", response_url=slack.response_url(key), block_id=block_id,
    )  # fmt: skip


def fields(message: dict) -> list[str]:
    return [f["text"] for block in message.get("blocks", []) for f in block.get("fields", [])]


def whole_project(bot, slack, clock) -> None:
    """From `new` to a confirmed close with a debrief, through Slack as people do it."""
    slack.user_team[CLIENT] = CLIENT_TEAM  # the client approver is of another organization
    run(bot, f'new "Acme website" client:Acme due:2026-12-18 budget:50h internal:<#{TEAM_CHANNEL}|acme-team>')
    run(bot, f"approver add <@{CLIENT}>")
    run(bot, f"step add Wireframes <@{BOB}> due:2026-11-30")
    run(bot, "step add Copy, the client's final text due:2026-12-02")
    run(bot, "step add =HYPERLINK(1) launch due:2026-12-04")
    run(bot, "step add An idea we dropped")
    run(bot, "step remove #4")
    run(bot, "log 12h")
    run(bot, "deliverable Homepage https://figma.example/v1")
    run(bot, "step wait #2 client copy not sent yet")

    clock.move_to("2026-11-30 10:00:00")  # Monday: the client rejects v1, v2 goes up
    reject(bot, deliverable(bot, 1).id, "Hero image is off-brand\n## not a heading")
    run(bot, "deliverable Homepage https://figma.example/v2 for:#3")  # its approval completes step #3

    clock.move_to("2026-12-01 10:00:00")  # Tuesday: v2 approved, the copy came, a new date agreed
    click(bot, slack, ids.APPROVE_ACTION, deliverable(bot, 2).id, block_id=ids.APPROVAL_ACTIONS_BLOCK, key="approve")
    assert eventually(lambda: deliverable(bot, 2).state == "approved")
    run(bot, "step resume #2")
    run(bot, "due 2027-01-15 more pages")
    [proposal] = rows(bot, Proposal)
    click(bot, slack, ids.PROPOSAL_ACCEPT_ACTION, proposal.id, block_id=ids.PROPOSAL_ACTIONS_BLOCK, key="accept")
    assert eventually(lambda: rows(bot, Proposal)[0].state == "accepted")
    run(bot, "step done #1", user=BOB)
    run(bot, "step done #2")
    run(bot, "step done #3")
    run(bot, "log 16h")
    run(bot, "log 14h")
    assert "Execution" in text_of(run(bot, "stage execution"))  # jumps over Planning

    clock.move_to("2027-01-18 10:00:00")  # a Monday, one working day past the agreed 15 Jan
    run(bot, "stage next")
    assert "closed" in text_of(run(bot, "close"))
    [closing] = rows(bot, Closing)
    rating = {"value": "4", "text": {"type": "plain_text", "text": "4"}}
    bot.view_submission(
        callback_id=ids.SIGNOFF_VIEW, user_id=CLIENT, user_team_id=CLIENT_TEAM,
        private_metadata=json.dumps({"closing_id": closing.id}),
        values={
            ids.SIGNOFF_RATING_BLOCK: {ids.SIGNOFF_RATING_INPUT: {"type": "radio_buttons", "selected_option": rating}},
            ids.SIGNOFF_COMMENT_BLOCK: {ids.SIGNOFF_COMMENT_INPUT: {"type": "plain_text_input", "value": "Lovely\nwork"}},
        },
    )  # fmt: skip
    answers = {"WELL": "Kept the client close", "IMPROVE": "Estimate QA", "LESSONS": "Book QA early"}
    debrief = {
        getattr(ids, f"DEBRIEF_{part}_BLOCK"): {
            getattr(ids, f"DEBRIEF_{part}_INPUT"): {"type": "plain_text_input", "value": text}
        }
        for part, text in answers.items()
    }
    bot.view_submission(
        callback_id=ids.DEBRIEF_VIEW, user_id=OWNER, private_metadata=json.dumps({"closing_id": closing.id}), values=debrief
    )
    assert eventually(lambda: rows(bot, Signoff) and rows(bot, Closing)[0].debrief_at is not None)


def client_facing_project(bot, slack) -> None:
    """A project whose channel a client reads: the report goes to the asker's DM."""
    slack.user_team[CLIENT] = CLIENT_TEAM
    run(bot, 'new "Acme website"')
    run(bot, f"approver add <@{CLIENT}>")


def ask_for_report(bot, slack, text="report", *, user=OWNER, channel=CHANNEL, key="report", count=2) -> list[str]:
    """Run `/project report`; return what the person was told, in order (the ack itself is empty)."""
    reply = bot.command(text, user=user, channel=channel, key=key)
    assert reply.status == 200 and not reply.body, reply
    return [text_of(r) for r in slack.wait_for_responses(count, key=key)]


def files_of(slack, channel: str) -> dict[str, str]:
    return {f.filename.rsplit(".", 1)[-1]: f.text for f in slack.shared_files(channel)}


# --- the report ------------------------------------------------------------------------------------


def test_the_report_tells_the_whole_story_and_reaches_the_askers_dm(bot, slack, clock):
    whole_project(bot, slack, clock)
    told = ask_for_report(bot, slack)
    assert "Putting together the report of *Acme website* (Acme)" in told[0] and "your DMs" in told[0]
    assert "The report of *Acme website* (Acme) is in your DMs" in told[1]

    [opened] = slack.calls_to("conversations.open")
    assert opened.params["users"] == OWNER
    [complete] = slack.calls_to("files.completeUploadExternal")  # both files in one share
    assert complete.params["channel_id"] == OWNER_DM and "Acme website" in complete.params["initial_comment"]
    shared = slack.shared_files(OWNER_DM)
    assert sorted(f.filename for f in shared) == ["acme-website-report-2027-01-18.md", "acme-website-steps-2027-01-18.csv"]
    assert all(f.length == len(f.content or b"") for f in shared)
    report = files_of(slack, OWNER_DM)["md"]

    for line in (
        "# Project report: Acme website",
        "- Client: Acme",
        "- Closed Mon 18 Jan 2027 by @U0OWNER",
        # stages with their dates
        "- Initiation: Thu 26 Nov 2026 to Tue 1 Dec 2026",
        "- Planning: skipped",
        "- Execution & Monitoring: Tue 1 Dec 2026 to Mon 18 Jan 2027",
        "- Closure: Mon 18 Jan 2027 to Mon 18 Jan 2027",
        # every agreed target: date, reason, who agreed and when
        "1. Fri 18 Dec 2026: at kick-off; agreed by @U0OWNER on Thu 26 Nov 2026 10:00",
        "2. Fri 15 Jan 2027: more pages; agreed by @U0CLIENT on Tue 1 Dec 2026 10:00",
        "- First promised: Fri 18 Dec 2026",
        "- Current target: Fri 15 Jan 2027",
        "- Finished: Mon 18 Jan 2027",
        "- Slip against the current target: 1 working day late",
        "- Slip against the first promise: 21 working days late",
        # v1 pending Thu-Sun, the step waiting Thu-Mon: overlaps once → Thu, Fri, Mon
        "- Client-held: 3 working days waiting on the client (decisions, answers, their steps)",
        "  - #2 waited on the client from Thu 26 Nov 2026 to Tue 1 Dec 2026: copy not sent yet",  # with its reason
        # each deliverable's rounds
        "### Homepage",
        "- v1 (https://figma.example/v1): submitted by @U0OWNER on Thu 26 Nov 2026 10:00",
        "  - Rejected by @U0CLIENT on Mon 30 Nov 2026 10:00",
        "    > Reason: Hero image is off-brand",
        "- v2 (https://figma.example/v2): submitted by @U0OWNER on Mon 30 Nov 2026 10:00",
        "  - Approved by @U0CLIENT on Tue 1 Dec 2026 10:00, completing step #3",
        # hours against budget
        "- Used: 42h of a 50h budget (84%)",
        "- Progress: 3 of 3 steps done (100%)",
        # the debrief and the client's confirmation
        "  > Kept the client close",
        "  > Estimate QA",
        "  > Book QA early",
        "- Completion confirmed by @U0CLIENT on Mon 18 Jan 2027 10:00, rating 4/5",
        "  > Comment: Lovely",
    ):
        assert line in report.splitlines(), f"{line!r} not in the report:\n{report}"
    # typed text stays inside its item: a newline in a reason can't start a heading
    assert "    > \\## not a heading" in report.splitlines() and not [x for x in report.splitlines() if x.startswith("## not")]
    assert "<@" not in report and "&lt;" not in report  # a file, not mrkdwn

    steps = list(csv.reader(io.StringIO(files_of(slack, OWNER_DM)["csv"])))
    assert steps[0] == [
        *("number", "title", "stage", "assignee", "due", "done", "done by"),
        *("approved by", "removed", "link", "waiting on the client"),
    ]
    assert len(steps) == 1 + 4  # one row per step, the removed one too
    by_number = {row[0]: row for row in steps[1:]}
    assert by_number["1"] == ["1", "Wireframes", "Initiation", BOB, "2026-11-30", "2026-12-01", BOB, "", "", "", ""]
    assert by_number["2"][1] == "Copy, the client's final text"
    assert by_number["2"][10] == "2026-11-26..2026-12-01 copy not sent yet"  # the `step wait` reason
    assert by_number["3"][1] == "'=HYPERLINK(1) launch"  # a spreadsheet won't run it
    assert by_number["3"][5:8] == ["2026-12-01", OWNER, CLIENT]  # done by who delivered it, approved by the client
    assert by_number["4"][1] == "An idea we dropped" and by_number["4"][8] == "2026-11-26" and by_number["4"][5] == ""


def test_a_report_asked_in_the_internal_channel_is_shared_there(bot, slack, clock):
    whole_project(bot, slack, clock)
    told = ask_for_report(bot, slack, 'report "acme WEBSITE"', channel=TEAM_CHANNEL)
    assert f"is in <#{TEAM_CHANNEL}>" in told[1]
    assert set(files_of(slack, TEAM_CHANNEL)) == {"md", "csv"} and slack.calls_to("conversations.open") == []


def test_in_the_internal_channel_the_report_needs_no_name(bot, slack, clock):
    whole_project(bot, slack, clock)
    told = ask_for_report(bot, slack, "report", channel=TEAM_CHANNEL)
    assert f"is in <#{TEAM_CHANNEL}>" in told[1] and set(files_of(slack, TEAM_CHANNEL)) == {"md", "csv"}


def test_a_channel_slack_now_says_is_shared_gets_no_report_the_asker_does(bot, slack, clock):
    """The internal channel became a Slack Connect channel since it was chosen: Slack is asked
    before sharing, and the report goes to the asker's DM instead."""
    whole_project(bot, slack, clock)
    slack.shared_channels.add(TEAM_CHANNEL)
    told = ask_for_report(bot, slack, 'report "acme WEBSITE"', channel=TEAM_CHANNEL)
    assert "is in your DMs" in told[1]
    assert slack.shared_files(TEAM_CHANNEL) == [] and len(slack.shared_files(OWNER_DM)) == 2


def test_an_open_project_without_debrief_or_sign_off_says_so(bot, slack, clock):
    """A project channel no client reads is the project's internal channel: the report is shared there."""
    run(bot, 'new "Acme website" due:2026-12-18')
    run(bot, "step add Wireframes due:2026-12-01")
    assert f"is in <#{CHANNEL}>" in ask_for_report(bot, slack)[1]
    report = files_of(slack, CHANNEL)["md"]
    for line in ("- Open, in Initiation", "- Initiation: Thu 26 Nov 2026 to now", "- Forecast: Tue 1 Dec 2026",
                 "No debrief yet.", "Not confirmed yet.", "None submitted.", "- Used: 0h (no budget set)"):  # fmt: skip
        assert line in report.splitlines(), f"{line!r} not in the report:\n{report}"


def test_help_lists_report_and_two_people_asking_at_once_each_get_their_own_files(bot, slack, clock):
    assert "/project report [project]" in text_of(run(bot, "help"))
    client_facing_project(bot, slack)
    with ThreadPoolExecutor(max_workers=2) as pool:
        told = list(pool.map(lambda user: ask_for_report(bot, slack, user=user, key=user), (OWNER, BOB)))
    assert all("is in your DMs" in t[1] for t in told)
    assert len(slack.calls_to("files.completeUploadExternal")) == 2
    assert {f.channel for f in slack.shared_files()} == {OWNER_DM, "D0BOB"}
    assert all(len(slack.shared_files(dm)) == 2 for dm in (OWNER_DM, "D0BOB"))


def test_a_reopened_projects_report_dates_the_last_closes_sign_off_and_debrief(bot, slack, clock):
    whole_project(bot, slack, clock)
    run(bot, "reopen")
    ask_for_report(bot, slack, "report", channel=TEAM_CHANNEL)
    report = files_of(slack, TEAM_CHANNEL)["md"]
    dated = [line for line in report.splitlines() if line.startswith("_From the close of Mon 18 Jan 2027")]
    assert len(dated) == 2  # above the debrief and above the sign-off
    assert "- Open, in Closure" in report.splitlines()


def test_a_closed_projects_card_stops_counting_client_held_days_at_the_close(bot, slack, clock):
    """Closed with a deliverable still waiting on the client: the card's held days stop at the
    close, as the report's do, instead of growing for ever."""
    slack.user_team[CLIENT] = CLIENT_TEAM
    run(bot, 'new "Acme website" client:Acme due:2026-12-18')
    run(bot, f"approver add <@{CLIENT}>")
    run(bot, 'deliverable "Homepage" https://figma.example/v1')
    clock.tick(timedelta(days=7))
    run(bot, "close --force")
    held_at_close = [f for f in fields(run(bot, "status")) if f.startswith("*Client-held*")]
    clock.tick(timedelta(days=14))
    assert held_at_close and [f for f in fields(run(bot, "status")) if f.startswith("*Client-held*")] == held_at_close


def test_a_5xx_when_sharing_is_not_retried_and_the_asker_is_told_the_files_may_have_arrived(bot, slack, clock):
    client_facing_project(bot, slack)
    slack.fail("files.completeUploadExternal", status=500)
    told = ask_for_report(bot, slack)
    assert "Slack didn't confirm the upload" in told[1] and "may have arrived" in told[1]
    assert len(slack.calls_to("files.completeUploadExternal")) == 1  # a retry could share twice


# --- who may have it -------------------------------------------------------------------------------


def test_a_client_is_refused_and_nothing_is_uploaded(bot, slack, clock):
    whole_project(bot, slack, clock)
    run(bot, "reopen")
    run(bot, f"client add <@{NAMED}>")
    run(bot, "close --force")
    for user, key in ((CLIENT, "org"), (NAMED, "named")):  # another organization; named by the owner (closed project)
        [told] = ask_for_report(bot, slack, user=user, key=key, count=1)
        assert "That's for the project team" in told
    bot.settle()
    assert not [c for c in slack.calls if c.method.startswith("files.") or c.method == "upload"]
    with bot.db.reader() as session:
        refused = session.exec(select(AuditEvent.actor_id).where(AuditEvent.action == "client.refused")).all()
    assert set(refused) >= {CLIENT, NAMED}


def test_another_workspaces_project_is_not_found_by_name(bot, other_bot, slack, clock):
    run(bot, 'new "Acme website"')
    reply = other_bot.command('report "Acme website"', user="U0OTHER", channel="C0ELSE", key="other")
    assert reply.status == 200
    [told] = slack.wait_for_responses(1, key="other")
    assert "I can't find a project called *Acme website*" in text_of(told)
    other_bot.settle()
    assert not slack.calls_to("files.getUploadURLExternal") and not slack.shared_files()


# --- Slack failing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "status", "code"),
    [("files.getUploadURLExternal", 500, "internal_error"), ("upload", 500, "upload_failed"),
     ("files.completeUploadExternal", 200, "internal_error")],
)  # fmt: skip
def test_a_failed_upload_is_told_in_one_line_and_nothing_is_shared(bot, slack, clock, method, status, code):
    client_facing_project(bot, slack)
    slack.fail(method, status=status)
    told = ask_for_report(bot, slack)
    assert "Putting together" in told[0]
    assert f"I couldn't upload the report of *Acme website*: Slack said `{code}`, so nothing was shared" in told[1]
    bot.settle()
    assert len(slack.responses("report")) == 2 and not any(" is in " in t for t in told)  # nothing claims it arrived
    assert not slack.shared_files()
    if method != "files.completeUploadExternal":
        assert not slack.calls_to("files.completeUploadExternal")
    assert len(slack.calls_to(method)) == 1  # not retried: a retried completion could share twice


def test_the_ack_does_not_wait_for_a_slow_slack(bot, slack, clock):
    client_facing_project(bot, slack)
    slack.delay("files.getUploadURLExternal", 2.0)
    reply = bot.command("report", user=OWNER, channel=CHANNEL, key="slow")
    assert reply.status == 200 and not any(c.answered for c in slack.calls_to("files.getUploadURLExternal"))  # acked first
    told = [text_of(r) for r in slack.wait_for_responses(2, key="slow", timeout=10)]
    assert "is in your DMs" in told[1]


# --- the stand-in behaves as Slack does --------------------------------------------------------------


def test_the_stand_in_shares_files_only_on_completion_as_slack_does(slack):
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient(token="xoxb-test", base_url=slack.api_url)
    done = client.files_upload_v2(
        file_uploads=[{"filename": "a.md", "content": "# Hi ü", "title": "A"}, {"filename": "b.csv", "content": "x,y\r\n"}],
        channel="C0ACME", initial_comment="Here",
    )  # fmt: skip
    assert [f["title"] for f in done["files"]] == ["A", "b.csv"]
    [first, second] = slack.shared_files("C0ACME")
    assert (first.text, first.length, first.initial_comment) == ("# Hi ü", len("# Hi ü".encode()), "Here")
    assert second.text == "x,y\r\n"

    announced = client.files_getUploadURLExternal(filename="c.md", length=3)  # never uploaded
    assert announced["upload_url"].startswith(slack.base_url + "/upload/")
    with pytest.raises(SlackApiError, match="file_not_found"):
        client.files_completeUploadExternal(files=[{"id": announced["file_id"]}], channel_id="C0ACME")
    with pytest.raises(SlackApiError, match="invalid_arguments"):  # a user id is no conversation
        client.files_upload_v2(filename="d.md", content="d", channel="U0OWNER")
    assert len(slack.shared_files()) == 2
