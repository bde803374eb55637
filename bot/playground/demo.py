"""The demo: an agency with two clients and two projects mid-flight — overdue steps, a deliverable
waiting on the client, an approved one, a date-change proposal — made the way people would make
them: signed `/project` commands and clicks through the app, on a clock set back ten days and
brought forward as the work happens. Nothing is written to the database directly.

    seed(play)
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.messages import ids
from bot.playground.actions import Playground
from bot.playground.cast import (
    ACME_CHANNEL,
    APPROVER,
    BLUEBIRD_CHANNEL,
    MEMBER,
    OTHER_APPROVER,
    OWNER,
)

log = logging.getLogger("shepherd.playground")


class _Story:
    def __init__(self, play: Playground) -> None:
        self.play = play
        self.zone = ZoneInfo(play.services.settings.default_tz)
        self.today = play.clock.now().astimezone(self.zone).date()
        self.work_days = play.services.settings.work_days

    def day(self, offset: int) -> date:
        """`offset` calendar days from today, moved back to a working day."""
        moment = self.today + timedelta(days=offset)
        while moment.weekday() not in self.work_days:
            moment -= timedelta(days=1)
        return moment

    def on(self, offset: int, hour: int = 10) -> None:
        """Set the clock to `offset` days from today (a working day) at `hour`, local time."""
        moment = datetime.combine(self.day(offset), time(hour), tzinfo=self.zone)
        self.play.clock.move_to(moment.astimezone(UTC))

    def run(self, user: str, channel: str, text: str) -> None:
        self.play.command(user, channel, text)
        self.play.settle()

    def click(self, user: str, channel: str, action_id: str) -> None:
        """`user` clicks the newest button `action_id` in `channel`."""
        for message in reversed(self.play.ws.visible(channel, user)):
            for block in message.blocks:
                for element in block.get("elements") or []:
                    if isinstance(element, dict) and element.get("action_id") == action_id:
                        self.play.click(
                            user, surface="message", at=channel, ts=message.ts,
                            block=str(block.get("block_id") or ""), action=action_id, value=None,
                        )  # fmt: skip
                        self.play.settle()
                        return
        log.warning("demo: no %s button in %s", action_id, channel)


def seed(play: Playground) -> None:
    story = _Story(play)
    back_to = play.clock.now()
    d = lambda offset: story.day(offset).isoformat()  # noqa: E731 (a date word for a command)

    story.on(-12)
    story.run(OWNER, ACME_CHANNEL, f'new "Acme website" client:Acme due:{d(16)} budget:120 internal:#studio')
    story.run(OWNER, ACME_CHANNEL, "approver add @chris")
    story.run(OWNER, ACME_CHANNEL, "client add @dana")  # the client's contact: she sees the client view
    story.run(OWNER, ACME_CHANNEL, f'step add "Kick-off workshop" @maya due:{d(-11)}')
    story.run(OWNER, BLUEBIRD_CHANNEL, f'new "Bluebird app" client:Bluebird due:{d(11)} budget:80')
    story.run(OWNER, BLUEBIRD_CHANNEL, "approver add @ben")
    story.run(OWNER, BLUEBIRD_CHANNEL, f'step add "App icon concepts" @sam due:{d(-6)}')
    story.run(OWNER, BLUEBIRD_CHANNEL, f'step add "Onboarding screens" @sam due:{d(-1)}')
    story.run(OWNER, BLUEBIRD_CHANNEL, f'step add "Store listing copy" @maya due:{d(6)}')

    story.on(-11, 16)
    story.run(OWNER, ACME_CHANNEL, "step done #1")
    story.run(OWNER, ACME_CHANNEL, "stage next")
    story.run(OWNER, ACME_CHANNEL, f'step add "Sitemap and content plan" @sam due:{d(-8)}')
    story.run(MEMBER, ACME_CHANNEL, "log 6h")

    story.on(-8, 15)
    story.run(MEMBER, ACME_CHANNEL, "step done #2")
    story.run(MEMBER, ACME_CHANNEL, "log 14h")
    story.run(OWNER, ACME_CHANNEL, "stage next")
    story.run(OWNER, ACME_CHANNEL, f"step add Wireframes @sam due:{d(-3)}")
    story.run(OWNER, ACME_CHANNEL, f'step add "Homepage copy and photos" @dana due:{d(-2)}')
    story.run(OWNER, ACME_CHANNEL, f'step add "Homepage design" @sam due:{d(1)}')
    story.run(OWNER, ACME_CHANNEL, f'step add "CMS templates" @sam due:{d(9)}')

    story.on(-6)
    story.run(MEMBER, BLUEBIRD_CHANNEL, 'deliverable "App icon concepts" https://example.com/bluebird/icons for:#1')
    story.on(-5, 11)
    story.click(OTHER_APPROVER, BLUEBIRD_CHANNEL, ids.APPROVE_ACTION)
    story.run(MEMBER, BLUEBIRD_CHANNEL, "log 18h")

    story.on(-4, 14)
    story.run(MEMBER, ACME_CHANNEL, "log 20h")
    story.run(MEMBER, ACME_CHANNEL, 'deliverable "Wireframes v1" https://example.com/acme/wireframes for:#3')

    story.on(0, 9)
    story.run(OWNER, BLUEBIRD_CHANNEL, f"due {d(21)} Bluebird asked for two more onboarding screens")
    play.clock.move_to(max(back_to, play.clock.now()))
    log.info("demo ready: Acme website waits on %s's sign-off; Bluebird app has a date proposal", play.ws.name_of(APPROVER))
