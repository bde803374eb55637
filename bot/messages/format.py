"""Text as people read it in Slack: user text escaped for mrkdwn, mentions, dates, counts.

We keep plain text in the database and escape it every time it is shown, so typed text can
never ping @channel, mention someone or forge a link.

>>> escape("Q&A <b> @here")
'Q&amp;A &lt;b&gt; @\u200bhere'
>>> plural(1, "step"), plural(3, "step")
('1 step', '3 steps')
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime

from bot.core.text import USER_ID, cut
from bot.messages.limits import LABEL_MAX

_BROADCAST = re.compile(r"(?<![\w.])@(channel|here|everyone)\b", re.IGNORECASE)


def escape(text: str) -> str:
    """Plain text → mrkdwn that shows exactly that text and can't notify anyone.

    Besides `& < >`, a typed "@here" gets a zero-width space after its "@", so Slack's automatic
    parsing of mrkdwn can never turn it into a broadcast.
    """
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub("@\u200b\\1", escaped)


def shown(text: str, limit: int = LABEL_MAX) -> str:
    """User text cut to `limit` and escaped: how a title or name appears inside a sentence."""
    return escape(cut(text, limit))


def plain_text(text: str) -> str:
    """Text for a `plain_text` object: shown as-is by Slack, so no entities; angle brackets become
    look-alikes so no Slack markup can appear anywhere in what Shepherd sends."""
    return text.replace("<", "‹").replace(">", "›")


def code(word: str, limit: int = 40) -> str:
    """A user's word quoted as code: `word`."""
    text = escape(cut(word.replace("`", "'"), limit)) or "(empty)"
    return f"`{text}`"


def mention(user_id: str) -> str:
    return f"<@{user_id}>" if USER_ID.match(user_id) else escape(user_id)


def mentions(user_ids: Sequence[str], *, last: str = "and", limit: int = 10) -> str:
    """`@a`, `@a and @b`, `@a, @b and 3 more`."""
    shown_ids = [mention(u) for u in user_ids[:limit]]
    rest = len(user_ids) - len(shown_ids)
    if rest:
        return ", ".join(shown_ids) + f" and {rest} more"
    if len(shown_ids) <= 1:
        return "".join(shown_ids)
    return ", ".join(shown_ids[:-1]) + f" {last} " + shown_ids[-1]


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else (many or word + 's')}"


def days_text(count: int) -> str:
    return plural(count, "day")


def day(d: date | None) -> str:
    """A date as people read it on a phone: `Fri 27 Nov 2026`."""
    return d.strftime("%a %-d %b %Y") if d else "—"


def slack_time(moment: datetime) -> str:
    """A timestamp Slack shows in each reader's own time zone."""
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"
