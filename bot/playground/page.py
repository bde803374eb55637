"""What the page shows one person: the channels they are in, the app's Home and Messages tabs, the
messages they may see (ephemeral ones only to them), the form they have open — as JSON with the
Block Kit already drawn as HTML (`bot/playground/blockkit.py`).

    state = page_state(ws, viewer="U0MAYA", at="C0ACME", clock=…)
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.playground.blockkit import Look, blocks_to_html, text_html
from bot.playground.mrkdwn import to_html
from bot.playground.workspace import APP_USER, Message, Workspace

JSON = dict[str, Any]
HOME, MESSAGES = "home", "messages"
NOTICE = "Playground: a stand-in of Slack on this machine. Nothing here reaches Slack; no tokens, no network."


def look_for(ws: Workspace, errors: dict[str, str] | None = None) -> Look:
    people = tuple(sorted(((p.id, p.name) for p in ws.people.values()), key=lambda p: p[1]))
    rooms = tuple(sorted((c.id, c.name) for c in ws.channels.values() if not c.is_dm))
    return Look(ws.name_of, ws.channel_name, ws.tz, people, rooms, dict(errors or {}))


def page_state(ws: Workspace, *, viewer: str, at: str, now: datetime, commands: list[JSON]) -> JSON:
    person = ws.people[viewer]
    look = look_for(ws)
    channels = [c for c in sorted(ws.channels.values(), key=lambda c: c.name) if not c.is_dm and viewer in c.members]
    if at not in (HOME, MESSAGES) and at not in {c.id for c in channels}:
        at = channels[0].id if channels else HOME
    state: JSON = {
        "version": ws.version,
        "notice": NOTICE,
        "team": ws.team_name,
        "clock": {"iso": now.isoformat(), "shown": _clock(now, ws.tz), "tz": ws.tz},
        "me": _persona(ws, viewer),
        "personas": [_persona(ws, p.id) for p in ws.people.values() if p.persona],
        "channels": [
            {"id": c.id, "name": c.name, "shared_with": c.shared_with, "latest": _latest(ws, c.id, viewer)} for c in channels
        ],
        "dm_latest": _latest(ws, ws.dm_of(viewer).id, viewer),
        "at": at,
        "commands": commands,
        "home": None,
        "messages": [],
        "modal": _modal(ws, viewer),
    }
    if at == HOME:
        view = ws.homes.get(viewer)
        state["home"] = blocks_to_html(list(view.get("blocks") or []), look) if view else None
        state["title"] = "Shepherd"
    else:
        channel = ws.dm_of(viewer) if at == MESSAGES else ws.channels[at]
        state["title"] = channel.name
        state["channel"] = {"id": channel.id, "shared_with": channel.shared_with, "topic": channel.topic}
        state["messages"] = messages_html(ws, ws.visible(channel.id, viewer), look)
    state["who"] = person.name
    return state


def _latest(ws: Workspace, channel_id: str, viewer: str) -> str:
    """The newest message `viewer` can see in a channel (for the sidebar's unread marks)."""
    seen = ws.visible(channel_id, viewer)
    return seen[-1].ts if seen else ""


def _persona(ws: Workspace, user_id: str) -> JSON:
    person = ws.people[user_id]
    org = ws.team_name if person.team_id == ws.team_id else _org(ws, person.team_id)
    return {"id": person.id, "name": person.name, "handle": person.handle, "role": person.role, "org": org,
            "external": person.team_id != ws.team_id}  # fmt: skip


def _org(ws: Workspace, team_id: str) -> str:
    return next((c.shared_with for c in ws.channels.values() if c.shared_with and _team_of(ws, c) == team_id), team_id)


def _team_of(ws: Workspace, channel: Any) -> str | None:
    return next((ws.people[m].team_id for m in channel.members if m in ws.people and ws.people[m].team_id != ws.team_id), None)


def _clock(now: datetime, tz: str) -> str:
    local = now.astimezone(ZoneInfo(tz))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} ({tz})"


def _modal(ws: Workspace, viewer: str) -> JSON | None:
    opened = ws.modal_of(viewer)
    if opened is None:
        return None
    view, look = opened.view, look_for(ws, opened.errors)
    return {
        "id": opened.id,
        "rev": opened.rev,
        "title": text_html(view.get("title") or "", look),
        "submit": text_html(view.get("submit"), look) if view.get("submit") else None,
        "close": text_html(view.get("close") or {"type": "plain_text", "text": "Cancel"}, look),
        "html": blocks_to_html(list(view.get("blocks") or []), look),
        "errors": opened.errors,
    }


def messages_html(ws: Workspace, messages: list[Message], look: Look) -> list[JSON]:
    """Top-level messages in order, each with its thread replies under it."""
    replies: dict[str, list[Message]] = {}
    for message in messages:
        if message.thread_ts and message.thread_ts != message.ts:
            replies.setdefault(message.thread_ts, []).append(message)
    shown = []
    for message in messages:
        if message.thread_ts and message.thread_ts != message.ts and any(m.ts == message.thread_ts for m in messages):
            continue
        thread = "".join(message_html(ws, r, look, reply=True) for r in replies.get(message.ts, []))
        if thread:
            count = len(replies[message.ts])
            label = "1 reply" if count == 1 else f"{count} replies"
            thread = f'<div class="thread"><div class="thread-count">{label}</div>{thread}</div>'
        shown.append({"ts": message.ts, "html": message_html(ws, message, look) + thread})
    return shown


def message_html(ws: Workspace, message: Message, look: Look, *, reply: bool = False) -> str:
    author = ws.name_of(message.user) or message.user
    is_app = message.user == APP_USER
    badge = '<span class="app-badge">APP</span>' if is_app else ""
    when = datetime.fromtimestamp(message.at, UTC).astimezone(ZoneInfo(look.tz))
    today = datetime.now(UTC).astimezone(ZoneInfo(look.tz)).date()
    shown_at = f"{when:%H:%M}" if when.date() == today else f"{when:%a} {when.day} {when:%b}, {when:%H:%M}"
    ephemeral = '<div class="only-you">👁 Only visible to you</div>' if message.only else ""
    edited = ' <span class="edited">(edited)</span>' if message.edited else ""
    if message.blocks:
        body = blocks_to_html(message.blocks, look)
    else:
        body = f'<div class="bk-text">{to_html(message.text, names=look.names, channels=look.channels, tz=look.tz)}</div>'
    files = "".join(_file_html(ws, f) for f in message.files)
    initials = "".join(w[:1] for w in author.split()[:2]).upper()
    avatar = f'<div class="avatar{" app" if is_app else ""}">{"🐑" if is_app else html.escape(initials)}</div>'
    classes = "msg" + (" ephemeral" if message.only else "") + (" reply" if reply else "")
    menu = "" if message.only else '<button class="msg-menu" title="More actions" data-menu>⋯</button>'
    return (
        f'<div class="{classes}" id="m{message.ts.replace(".", "")}" data-ts="{html.escape(message.ts)}"'
        f' data-channel="{html.escape(message.channel)}">{avatar}<div class="msg-body">{ephemeral}'
        f'<div class="msg-head"><span class="author">{html.escape(author)}</span>{badge}'
        f'<span class="time">{shown_at}</span>{edited}</div>{body}{files}</div>{menu}</div>'
    )


def _file_html(ws: Workspace, file_id: str) -> str:
    stored = ws.files.get(file_id)
    if stored is None:
        return ""
    name = html.escape(stored.title or stored.filename)
    return (
        f'<a class="file" href="/files/{html.escape(stored.id)}" target="_blank" rel="noopener">'
        f'<span class="file-icon">📄</span><span><b>{name}</b><br><small>{html.escape(stored.filename)} · '
        f"{stored.length} bytes</small></span></a>"
    )
