"""The README's pictures, taken from the playground itself: `python -m bot.playground.screenshots`
starts the demo on a fixed date, opens the page in Debian's chromium (Playwright, from the test
extra) and writes docs/screenshots/*.png.

    python -m bot.playground.screenshots [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.playground.cast import ACME_CHANNEL, APPROVER, CONTACT, MEMBER, OWNER
from bot.playground.clock import Clock
from bot.playground.run import start

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
WHEN = datetime(2026, 12, 7, 14, 20, tzinfo=UTC)  # a Monday afternoon: the same pictures every time


def take(out: Path) -> list[Path]:
    from playwright.sync_api import expect, sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    taken: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        running = start(host="127.0.0.1", port=0, database_url=f"sqlite:///{tmp}/playground.db", demo=True,
                        clock=Clock.start(WHEN), env={"DEFAULT_TZ": "Europe/London"})  # fmt: skip
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
                page: Any = browser.new_page(viewport={"width": 1280, "height": 960}, device_scale_factor=1)
                page.set_default_timeout(15_000)

                def shot(name: str) -> None:
                    page.wait_for_timeout(700)  # two polls: the page shows the newest state
                    path = out / f"{name}.png"
                    page.screenshot(path=str(path))
                    taken.append(path)

                def box(text: str) -> None:
                    page.locator("#box").fill(text)
                    page.locator("#box").press("Enter")

                page.goto(f"{running.url}/?as={OWNER}&at={ACME_CHANNEL}")
                expect(page.locator("#messages")).to_contain_text("Wireframes v1")
                box("/project status")
                expect(page.locator("#messages > .msg.ephemeral").last).to_contain_text("Budget")
                shot("channel")

                page.select_option("#persona", APPROVER)
                approval = page.locator("#messages > .msg:not(.ephemeral)", has_text="for sign-off")
                approval.get_by_role("button", name="Reject").click()
                expect(page.locator(".modal")).to_contain_text("reason", ignore_case=True)
                page.locator(".modal textarea").fill("The contact page is missing the map we agreed on.")
                shot("form")
                page.locator("#modal-close").click()
                expect(page.locator("#modal-back")).to_be_hidden()
                approval.get_by_role("button", name="Approve").click()
                expect(approval).to_contain_text("Approved by")
                approval.scroll_into_view_if_needed()
                shot("approval")

                page.select_option("#persona", CONTACT)
                box("/project status")
                expect(page.locator("#messages > .msg.ephemeral").last).to_contain_text("Acme website")
                shot("client-view")

                page.select_option("#persona", OWNER)
                page.locator("#app-link").click()
                expect(page.locator("#home")).to_contain_text("My projects")
                shot("home")

                page.locator("#next-day").click()
                expect(page.locator("#clock")).to_contain_text("Tue")
                expect(page.locator("#clock-busy")).to_be_hidden()
                page.select_option("#persona", MEMBER)
                page.locator("#tab-messages").click()
                expect(page.locator("#messages")).to_contain_text("overdue")
                shot("reminders")
                browser.close()
        finally:
            running.stop()
    return taken


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.playground.screenshots", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/screenshots", help="where the PNGs go (default: docs/screenshots)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if not Path(CHROMIUM).exists():
        print(f"screenshots: needs Debian's chromium at {CHROMIUM} (apt-get install -y chromium)", file=sys.stderr)
        return 2
    try:
        import playwright  # noqa: F401
    except ImportError:
        print("screenshots: needs playwright (pip install -e '.[test]')", file=sys.stderr)
        return 2
    for path in take(Path(args.out)):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
