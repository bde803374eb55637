"""The playground in a real browser: `python -m bot playground --empty` in its own process, driven
through its page as people would use it (Debian's chromium, through Playwright)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import pytest

from storage.db import Database
from tests.support.playground import environment, running_playground

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install -y chromium)", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api", reason="browser tests need playwright (the test extra)")
expect = playwright_api.expect

LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
OWNER, MEMBER, APPROVER, CONTACT = "U0MAYA", "U0SAM", "U0CHRIS", "U0DANA"


@pytest.fixture
def playground(tmp_path: Path, db: Database) -> Iterator[str]:
    """`python -m bot playground --empty` on a free port, in its own process and folder, on an
    empty database of either kind (`db`: a SQLite file, then PostgreSQL when configured)."""
    database_url = db.url.render_as_string(hide_password=False)
    with running_playground(tmp_path, "--empty", DATABASE_URL=database_url) as (url, log):
        yield url
    assert "never talks to Slack" in log.read_text()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: object, playground: str) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})  # type: ignore[attr-defined]
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    opened.goto(f"{playground}/?as={OWNER}&at=C0ACME")
    yield opened
    context.close()


def send(page, text: str) -> None:
    page.locator("#box").fill(text)
    page.locator("#box").press("Enter")


def be(page, persona: str) -> None:
    page.select_option("#persona", persona)
    expect(page.locator("#persona")).to_have_value(persona)


def message(page, text: str):
    """A message everyone in the channel sees (not an ephemeral one)."""
    return page.locator("#messages > .msg:not(.ephemeral)", has_text=text)


def new_project(page) -> None:
    """As the owner in #acme-website: a project with a budget, the client's approver, and the client's
    contact (a client sees only the projects they are named on)."""
    send(page, '/project new "Acme website" client:Acme due:+3w budget:40')
    expect(message(page, "started")).to_contain_text("Acme website")
    send(page, "/project approver add @chris")
    expect(page.locator("#messages", has_text="can now approve")).to_be_visible()
    send(page, "/project client add @dana")
    expect(page.locator("#messages > .msg.ephemeral", has_text="now a client of")).to_have_count(1)


def test_a_project_runs_from_the_page_through_approval_to_a_reminder(page):
    expect(page.locator("#notice")).to_contain_text("Nothing here reaches Slack")
    page.locator("#box").fill("/project ")
    expect(page.locator("#suggestions")).to_contain_text("new <name>")  # the command list while typing
    new_project(page)
    send(page, "/project step add Wireframes @sam due:today")
    expect(page.locator("#messages > .msg", has_text="Added #1")).to_contain_text("Sam Rivera")
    send(page, '/project step add "Homepage design" @sam due:today')
    expect(page.locator("#messages > .msg", has_text="Added #2")).to_be_visible()
    send(page, '/project deliverable "Wireframes v1" https://example.com/wireframes for:#1')
    approval = message(page, "for sign-off")
    expect(approval.get_by_role("button", name="Approve")).to_be_visible()
    ts = approval.get_attribute("data-ts")

    be(page, APPROVER)
    expect(page.locator("#persona-role")).to_contain_text("another organization")
    message(page, "for sign-off").get_by_role("button", name="Approve").click()
    decided = page.locator(f'#messages > .msg[data-ts="{ts}"]')
    expect(decided).to_contain_text("Approved by")
    expect(decided.get_by_role("button", name="Approve")).to_have_count(0)
    expect(message(page, "for sign-off")).to_have_count(1)  # updated in place, not posted again

    be(page, CONTACT)
    send(page, "/project status")
    card = page.locator("#messages > .msg.ephemeral", has_text="Acme website").last
    expect(card).to_contain_text("Only visible to you")
    expect(card).not_to_contain_text(re.compile("budget|hours", re.IGNORECASE))

    be(page, OWNER)
    # Dana's reply (the client view, shown to her above) is hers alone: once the owner's own replies
    # are on the page, hers is not among them.
    expect(page.locator("#messages > .msg.ephemeral", has_text="now a client of")).to_have_count(1)
    expect(page.locator("#messages > .msg.ephemeral", has_text="Target date")).to_have_count(0)
    send(page, "/project status")
    expect(page.locator("#messages > .msg.ephemeral").last).to_contain_text(re.compile("budget", re.IGNORECASE))

    before = page.locator("#clock").inner_text()
    page.locator("#next-day").click()
    expect(page.locator("#clock")).not_to_have_text(before)
    expect(page.locator("#clock-busy")).to_be_hidden()
    be(page, MEMBER)
    page.locator("#app-link").click()
    page.locator("#tab-messages").click()
    expect(page.locator("#title")).to_have_text("Shepherd")
    expect(page.locator("#messages")).to_contain_text("Homepage design")
    expect(page.locator("#messages")).to_contain_text("overdue")


def test_a_rejection_asks_for_a_reason_in_a_form_that_checks_it(page):
    new_project(page)
    send(page, '/project deliverable "Sitemap" https://example.com/sitemap')
    expect(message(page, "Sitemap")).to_be_visible()
    be(page, APPROVER)
    message(page, "Sitemap").get_by_role("button", name="Reject").click()
    modal = page.locator(".modal")
    expect(modal).to_be_visible()
    page.locator("#modal-submit").click()
    expect(modal.locator("#modal-body .bk-error")).to_be_visible()  # a reason is required
    modal.locator("textarea").fill("   ")
    page.locator("#modal-submit").click()  # Shepherd itself answers `response_action: errors`
    expect(modal.locator("#modal-body .bk-error")).to_be_visible()
    modal.locator("textarea").fill("Missing the <b>blog</b> section & search")
    page.locator("#modal-submit").click()
    expect(page.locator("#modal-back")).to_be_hidden()
    rejected = message(page, "Sitemap")
    expect(rejected).to_contain_text("Missing the <b>blog</b> section & search")  # shown as typed, not as markup
    expect(rejected.get_by_role("button", name="Reject")).to_have_count(0)


def test_the_shortcut_adds_a_step_and_home_shows_my_projects(page):
    new_project(page)
    send(page, "Can we move the footer links into the header?")
    typed = message(page, "footer links")
    typed.hover()
    typed.locator("[data-menu]").click()
    page.get_by_role("button", name=re.compile("Add as a step")).click()
    expect(page.locator(".modal")).to_be_visible()
    expect(page.locator(".modal textarea, .modal input").first).to_have_value(re.compile("footer links"))
    page.locator("#modal-submit").click()
    expect(page.locator("#modal-back")).to_be_hidden()
    expect(page.locator("#messages > .msg.ephemeral", has_text="footer links")).to_be_visible()
    page.locator("#app-link").click()
    expect(page.locator("#home")).to_contain_text("My projects")
    expect(page.locator("#home")).to_contain_text("Acme website")
    expect(page.locator("#composer")).to_be_hidden()


def test_a_report_shared_as_a_file_opens_from_the_page(page):
    new_project(page)
    send(page, "/project report")
    page.locator("#app-link").click()
    page.locator("#tab-messages").click()
    report = page.locator("#messages a.file").first
    expect(report).to_be_visible()
    answer = page.request.get(urljoin(page.url, report.get_attribute("href")))
    assert answer.ok and "Acme website" in answer.text()


def test_the_playground_refuses_to_start_beside_a_slack_token(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "bot", "playground", "--empty"],
        cwd=tmp_path, env=environment(tmp_path, SLACK_BOT_TOKEN="xoxb-real"),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "SLACK_BOT_TOKEN" in done.stderr and "--force" in done.stderr


def test_a_form_from_a_command_sends_its_dates_and_people_and_home_takes_decisions(page):
    send(page, "/project new")
    form = page.locator(".modal")
    expect(form).to_contain_text("New project")
    form.locator('[data-block="new_name"] input').fill("Acme intranet")
    form.locator('[data-block="new_client"] input').fill("Acme")
    form.locator('[data-block="new_target"] input').fill("2027-03-31")
    form.locator('[data-block="new_approvers"] select').select_option([APPROVER])
    page.locator("#modal-submit").click()
    expect(page.locator("#modal-back")).to_be_hidden()
    started = message(page, "started")
    expect(started).to_contain_text("Acme intranet")
    expect(started).to_contain_text("Chris Park")
    expect(started).to_contain_text("31 Mar 2027")
    send(page, '/project deliverable "Logo" https://example.com/logo')
    expect(message(page, "for sign-off")).to_be_visible()

    be(page, APPROVER)
    page.locator("#app-link").click()
    home = page.locator("#home")
    expect(home).to_contain_text("Logo")
    home.get_by_role("button", name="Approve").first.click()
    expect(home.get_by_role("button", name="Approve")).to_have_count(0)  # the Home tab is published again
    page.locator("#channels a", has_text="acme-website").click()
    expect(message(page, "for sign-off")).to_contain_text("Approved by")
