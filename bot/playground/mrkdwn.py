"""Slack's mrkdwn as HTML, the way Slack's client shows it: *bold*, _italics_, ~strike~, `code`,
```blocks```, > quotes, links, mentions shown as names and `<!date^…>` in the reader's time zone.

Whatever the text says, the HTML that comes out holds no markup of its own: every character of
the text is escaped, and only the tags made here appear.

>>> to_html("*Hi* <@U1> &lt;b&gt;", names={"U1": "Ann"}.get)
'<b>Hi</b> <span class="mention">@Ann</span> &lt;b&gt;'
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

Names = Callable[[str], str | None]

_TOKEN = re.compile(r"<([^<>\n]{1,2000})>")
_PRE = re.compile(r"```(.+?)```", re.DOTALL)
_CODE = re.compile(r"`([^`\n]+)`")
_SLOT = re.compile(r"\x00(\d+)\x00")
_STYLES = (
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])"), "b"),
    (re.compile(r"(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])"), "i"),
    (re.compile(r"(?<![\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])"), "s"),
)
_SAFE_URL = re.compile(r"^(https?://|mailto:|/)", re.IGNORECASE)
_EMOJI_CODE = re.compile(r":([a-z0-9_+\-]+):")
EMOJI = {
    "white_check_mark": "✅", "warning": "⚠️", "hourglass_flowing_sand": "⏳", "checkered_flag": "🏁",
    "arrows_counterclockwise": "🔄", "tada": "🎉", "rotating_light": "🚨", "pause_button": "⏸️", "memo": "📝",
    "calendar": "📆", "arrow_forward": "▶️", "wave": "👋", "speech_balloon": "💬", "page_facing_up": "📄",
    "fast_forward": "⏩", "zzz": "💤", "x": "❌", "white_small_square": "▫️", "white_circle": "⚪", "rocket": "🚀",
    "red_circle": "🔴", "large_green_circle": "🟢", "large_yellow_circle": "🟡", "pushpin": "📌",
    "money_with_wings": "💸", "link": "🔗", "chart_with_downwards_trend": "📉", "arrow_right": "➡️", "star": "⭐",
    "bell": "🔔", "eyes": "👀", "lock": "🔒", "bar_chart": "📊", "clipboard": "📋", "busts_in_silhouette": "👥",
}  # fmt: skip


def unescape(text: str) -> str:
    """Slack's three entities back to characters (mrkdwn carries `&amp; &lt; &gt;`)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def to_html(text: str, *, names: Names = lambda _: None, channels: Names = lambda _: None, tz: str = "UTC") -> str:
    """mrkdwn → HTML; `names`/`channels` turn ids into display names."""
    slots: list[str] = []

    def keep(fragment: str) -> str:
        slots.append(fragment)
        return f"\x00{len(slots) - 1}\x00"

    text = text.replace("\x00", "")
    text = _PRE.sub(lambda m: keep(f'<pre class="pre">{_escape(m[1].strip(chr(10)))}</pre>'), text)
    text = _CODE.sub(lambda m: keep(f'<code class="code">{_escape(m[1])}</code>'), text)
    text = _TOKEN.sub(lambda m: keep(_token(m[1], names, channels, tz)), text)
    lines = []
    text = _EMOJI_CODE.sub(lambda m: EMOJI.get(m[1], m[0]), text)
    for line in _escape(text).split("\n"):
        for pattern, tag in _STYLES:
            line = pattern.sub(rf"<{tag}>\1</{tag}>", line)
        if line.startswith("&gt;"):
            line = f'<span class="quote">{line[4:].removeprefix(" ")}</span>'
        lines.append(line)
    joined = "<br>".join(lines).replace('</span><br><span class="quote">', '</span><span class="quote">')
    while _SLOT.search(joined):  # a slot's HTML may hold no slot itself, but be sure
        joined = _SLOT.sub(lambda m: slots[int(m[1])], joined)
    return joined


def plain_to_html(text: str) -> str:
    """A `plain_text` object: shown exactly as written."""
    return html.escape(text).replace("\n", "<br>")


def _escape(text: str) -> str:
    """Text in mrkdwn (entities and all) as HTML text; slot markers pass through."""
    return html.escape(unescape(text), quote=True)


def _token(inner: str, names: Names, channels: Names, tz: str) -> str:
    """One `<…>`: a mention, a channel, a special, a date or a link; anything else as text."""
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        name = names(target[1:]) or label or target[1:]
        return f'<span class="mention">@{_escape(name)}</span>'
    if target.startswith("#"):
        name = channels(target[1:]) or label or target[1:]
        return f'<span class="mention">#{_escape(name)}</span>'
    if target.startswith("!date^"):
        return f'<span class="date">{_escape(_date(target, label, tz))}</span>'
    if target.startswith("!subteam^"):
        return f'<span class="mention">@{_escape(label or "group")}</span>'
    if target.startswith("!"):
        return f'<span class="mention">@{_escape(target[1:].split("^")[0])}</span>'
    url = unescape(target)
    if _SAFE_URL.match(url):
        shown = label or target
        return f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener">{_escape(shown)}</a>'
    return _escape(f"<{inner}>")


_DATE_WORDS = {
    "date_num": "%Y-%m-%d",
    "date": "%B {day}, %Y",
    "date_short": "%b {day}, %Y",
    "date_long": "%A, %B {day}, %Y",
    "date_pretty": "%B {day}, %Y",
    "date_short_pretty": "%b {day}, %Y",
    "date_long_pretty": "%A, %B {day}, %Y",
    "time": "%H:%M",
    "time_secs": "%H:%M:%S",
}


def _date(target: str, fallback: str, tz: str) -> str:
    """`!date^<unix>^<format>[^<link>]` in the reader's zone; "_pretty" says Today/Yesterday/Tomorrow."""
    parts = target.split("^")
    try:
        moment = datetime.fromtimestamp(int(parts[1]), UTC).astimezone(ZoneInfo(tz))
        template = parts[2]
    except (IndexError, ValueError, KeyError):
        return fallback
    today = datetime.now(UTC).astimezone(ZoneInfo(tz)).date()
    relative = {0: "Today", -1: "Yesterday", 1: "Tomorrow"}.get((moment.date() - today).days)

    def word(match: re.Match[str]) -> str:
        key = match[1]
        if key not in _DATE_WORDS:
            return match[0]
        if key.endswith("_pretty") and relative:
            return relative
        return moment.strftime(_DATE_WORDS[key].replace("{day}", str(moment.day)))

    return re.sub(r"\{(\w+)\}", word, template)
