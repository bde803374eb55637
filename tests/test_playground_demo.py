"""The playground's demo, made through the app itself, and its clock: `python -m bot playground`
on an empty database seeds two projects mid-flight, and "Next working day" runs the scheduler."""

from __future__ import annotations

import re
from pathlib import Path

from storage.db import Database
from tests.support.playground import post, running_playground, state
from tests.support.waiting import eventually

OWNER, MEMBER, APPROVER, CONTACT = "U0MAYA", "U0SAM", "U0CHRIS", "U0DANA"
ACME, BLUEBIRD, STUDIO = "C0ACME", "C0BLUEBIRD", "C0STUDIO"


def seen(url: str, person: str, at: str) -> str:
    """What `person` reads at `at`, as text."""
    messages = state(url, person, at)["messages"]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", " ".join(m["html"] for m in messages)))


def test_the_demo_is_seeded_mid_flight_and_the_next_working_day_brings_the_reminders(tmp_path: Path, db: Database):
    """On an empty database of either kind (`db`: a SQLite file, then PostgreSQL when configured)."""
    database_url = db.url.render_as_string(hide_password=False)
    with running_playground(tmp_path, DATABASE_URL=database_url) as (url, log):
        acme = seen(url, APPROVER, ACME)
        assert "Wireframes v1" in acme and "Approve" in acme  # a deliverable waiting on the client
        assert "Approved by" in seen(url, OWNER, BLUEBIRD)  # one decided
        assert "New target date proposed" in seen(url, OWNER, BLUEBIRD)  # a date proposal
        assert [c["name"] for c in state(url, CONTACT, ACME)["channels"]] == ["acme-website"]
        post(url, "/api/send", {"as": CONTACT, "at": ACME, "text": "/project status"})  # she is named the client's contact
        assert eventually(lambda: "Target date" in seen(url, CONTACT, ACME)), seen(url, CONTACT, ACME)
        assert "can't find" not in seen(url, CONTACT, ACME) and "Budget" not in seen(url, CONTACT, ACME)

        before = state(url, OWNER, ACME)["clock"]["iso"]
        moved = post(url, "/api/clock", {"to": "next-day"})
        assert moved["now"][:10] > before[:10]
        assert "overdue" in seen(url, MEMBER, "messages")  # the assignee's reminder
        assert "waiting for your decision" in seen(url, APPROVER, "messages")  # the approver chase
        assert "overdue step" in seen(url, OWNER, STUDIO)  # the team-only digest, in the internal channel
        assert "overdue" not in seen(url, CONTACT, ACME).split("Wireframes v1")[0]  # nothing team-only where the client reads
    text = log.read_text()
    assert "seeding the demo" in text and "never talks to Slack" in text


def test_empty_starts_with_no_project_and_a_second_start_keeps_the_data(tmp_path: Path):
    with running_playground(tmp_path, "--empty") as (url, _log):
        assert seen(url, OWNER, ACME) == ""
        post(url, "/api/send", {"as": OWNER, "at": ACME, "text": "/project new Kite"})
        assert eventually(lambda: "started" in seen(url, OWNER, ACME))
    with running_playground(tmp_path) as (url, log):
        assert "seeding the demo" not in log.read_text()
        post(url, "/api/send", {"as": OWNER, "at": ACME, "text": "/project status Kite"})
        assert eventually(lambda: "Kite" in seen(url, OWNER, ACME))
