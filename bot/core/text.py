"""User text in and out of Slack: read Slack's markup into plain text, escape plain text for mrkdwn.

Slash commands arrive escaped (`should_escape: true`): `&amp; &lt; &gt;`, mentions as `<@U1|ann>`.
We keep plain text in the database and escape it every time it is shown, so typed text can
never ping @channel, mention someone or forge a link.
"""

from __future__ import annotations

import re
from datetime import datetime

_SLACK_TOKEN = re.compile(r"<([^<>]*)>")
USER_ID = re.compile(r"^[UW][A-Z0-9_]{1,30}$")
_MENTION = re.compile(r"^<@([UW][A-Z0-9_]{1,30})(?:\|[^<>]*)?>[,.;:!?]*$")  # "…and <@U1|ann>."
_URL = re.compile(r"^https?://[^\s<>|]+$")


_BROADCAST = re.compile(r"(?<![\w.])@(channel|here|everyone)\b", re.IGNORECASE)


def escape(text: str) -> str:
    """Plain text → mrkdwn that shows exactly that text and can't notify anyone.

    Besides `& < >`, a typed "@here" gets a zero-width space after its "@", so Slack's automatic
    parsing of mrkdwn can never turn it into a broadcast.
    """
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub("@\u200b\\1", escaped)


def plain_text(text: str) -> str:
    """Text for a `plain_text` object: shown as-is by Slack, so no entities; angle brackets become
    look-alikes so no Slack markup can appear anywhere in what Shepherd sends."""
    return text.replace("<", "‹").replace(">", "›")


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def plain(slack_text: str) -> str:
    """Slack-formatted input → the plain text the user meant.

    >>> plain("Brief for <@U1|ann> &amp; <!channel> <https://x.io|site>")
    'Brief for @ann & @channel site (https://x.io)'
    """

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            return "@" + (label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            name = label or target[1:].split("^")[0]
            return name if name.startswith("@") else "@" + name
        if label and label != target:
            return f"{label} ({target})"
        return target

    return " ".join(unescape(_SLACK_TOKEN.sub(replace, slack_text)).split())


_CHANNEL = re.compile(r"^<#([CG][A-Z0-9_]{1,30})(?:\|[^<>]*)?>[,.;:!?]*$")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: str) -> str:
    r"""User text without NUL and other control characters (a database refuses NUL; none is meant).

    >>> clean("Brief\x00 for\tann")
    'Brief for\tann'
    """
    return _CONTROL.sub("", text)


def channel_id(token: str) -> str | None:
    """`<#C123|general>` → `C123`; anything else → None."""
    match = _CHANNEL.match(token)
    return match.group(1) if match else None


def mention_id(token: str) -> str | None:
    """`<@U123|ann>` → `U123`; anything else → None."""
    match = _MENTION.match(token)
    return match.group(1) if match else None


def link_url(token: str) -> str | None:
    """A link as typed in Slack (`<https://…>`, `<https://…|label>` or bare) → its URL, else None."""
    candidate = token
    if token.startswith("<") and token.endswith(">"):
        candidate = token[1:-1].partition("|")[0]
    candidate = unescape(candidate)
    return candidate if _URL.match(candidate) and len(candidate) <= 2000 else None


def cut(text: str, limit: int) -> str:
    """Shorten to at most `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + "…"


def mention(user_id: str) -> str:
    return f"<@{user_id}>" if USER_ID.match(user_id) else escape(user_id)


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else (many or word + 's')}"


def slack_time(moment: datetime) -> str:
    """A timestamp Slack shows in each reader's own time zone."""
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"
