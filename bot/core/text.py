"""Reading what people type: Slack's markup into the plain text they meant, mentions and links
recognised, control characters dropped, lengths cut. Showing text is `bot.messages.format`'s job.

Slash commands arrive escaped (`should_escape: true`): `&amp; &lt; &gt;`, mentions as `<@U1|ann>`.
We keep plain text in the database and escape it every time it is shown.
"""

from __future__ import annotations

import re

_SLACK_TOKEN = re.compile(r"<([^<>]*)>")
USER_ID = re.compile(r"^[UW][A-Z0-9_]{1,30}$")
_MENTION = re.compile(r"^<@([UW][A-Z0-9_]{1,30})(?:\|[^<>]*)?>[,.;:!?]*$")  # "…and <@U1|ann>."
_BARE_AT = re.compile(r"^@[\w.\-]+[,.;:!?]*$")  # "@dana" typed out, not picked from Slack's list
_URL = re.compile(r"^https?://[^\s<>|]+$")


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


def bare_at(token: str) -> bool:
    """`@dana` as plain text: Slack sent no mention, so it names no one.

    >>> bare_at("@dana"), bare_at("<@U1|dana>"), bare_at("ann@acme.com")
    (True, False, False)
    """
    return _BARE_AT.match(token) is not None


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
