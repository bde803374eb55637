"""What a person can do on the playground's page, done the way Slack's client does it: a message
typed, `/project …` sent, a button clicked, a form sent or closed, a shortcut run, the Home tab
opened; and the clock moved on, with the scheduler's pass run as of then.

    play = Playground(ws, door, services, clock)
    play.send("U0MAYA", "C0ACME", "/project new Acme")
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from typing import Any

from slack_sdk import WebClient

from bot.messages import ids
from bot.playground import state as shapes
from bot.playground.clock import Clock
from bot.playground.page import HOME, MESSAGES
from bot.playground.requests import Door
from bot.playground.workspace import APP_USER, Origin, Workspace
from bot.services import Services
from bot.slack.scheduler import ReminderScheduler

log = logging.getLogger("shepherd.playground")
JSON = dict[str, Any]
_MENTION = re.compile(r"(?<![\w<|])@([a-z][\w.\-]*)", re.IGNORECASE)
_CHANNEL = re.compile(r"(?<![\w<|])#([a-z0-9][\w\-]*)", re.IGNORECASE)


def slack_text(ws: Workspace, typed: str) -> str:
    """What Slack makes of typed text (`should_escape`): `& < >` escaped, @handles and #channels
    turned into mentions.

    >>> from bot.playground.cast import workspace
    >>> slack_text(workspace(""), "@sam & #studio")
    '<@U0SAM|sam> &amp; <#C0STUDIO|studio>'
    """
    text = typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    handles = {p.handle.lower(): p for p in ws.people.values()}
    names = {c.name.lower(): c for c in ws.channels.values() if not c.is_dm}

    def person(match: re.Match[str]) -> str:
        found = handles.get(match[1].lower())
        return f"<@{found.id}|{found.handle}>" if found else match[0]

    def channel(match: re.Match[str]) -> str:
        found = names.get(match[1].lower())
        return f"<#{found.id}|{found.name}>" if found else match[0]

    return _CHANNEL.sub(channel, _MENTION.sub(person, text))


class Playground:
    def __init__(self, ws: Workspace, door: Door, services: Services, clock: Clock, client: WebClient) -> None:
        self.ws, self.door, self.services, self.clock = ws, door, services, clock
        self.scheduler = ReminderScheduler(services, client)  # its pass, run on demand rather than on a timer
        self._pass_lock = threading.Lock()

    def channel_of(self, user_id: str, at: str) -> str:
        return self.ws.dm_of(user_id).id if at in (MESSAGES, HOME) else at

    # --- the message box -----------------------------------------------------------------

    def send(self, user_id: str, at: str, text: str) -> JSON:
        """`/project …` runs the command; other text is posted as the person's message."""
        person = self.ws.people[user_id]
        channel_id = self.channel_of(user_id, at)
        text = text.strip()
        if not text:
            return {"ok": False}
        if text.startswith("/"):
            command, _, rest = text.partition(" ")
            if command != ids.COMMAND:
                self.ws.post(channel_id, APP_USER, f"`{command}` is not a valid command here: try `/project`.", only=user_id)
                return {"ok": False}
            return self.command(user_id, channel_id, rest)
        self.ws.post(channel_id, person.id, slack_text(self.ws, text))
        return {"ok": True}

    def command(self, user_id: str, channel_id: str, text: str) -> JSON:
        person = self.ws.people[user_id]
        channel = self.ws.channels[channel_id]
        origin = Origin(user_id, channel_id)
        status, body = self.door.command(
            person, channel_id=channel_id, channel_name=channel.name if not channel.is_dm else "directmessage",
            text=slack_text(self.ws, text), response_url=self.ws.new_response_url(origin),
            trigger_id=self.ws.new_trigger(user_id),
        )  # fmt: skip
        return self._acked(status, body, origin)

    def _acked(self, status: int, body: str, origin: Origin) -> JSON:
        """Slack shows what an acknowledgement carries as a reply; a failure as its own line."""
        if status != 200:
            self.ws.post(origin.channel, APP_USER, f'/project failed with the error "http_{status}"', only=origin.user)
            return {"ok": False, "status": status}
        if body.strip():
            try:
                answer = json.loads(body)
            except ValueError:
                answer = {"text": body}
            if isinstance(answer, dict) and (answer.get("text") or answer.get("blocks")):
                self.ws.post(
                    origin.channel, APP_USER, str(answer.get("text") or ""), blocks=answer.get("blocks"),
                    only=None if answer.get("response_type") == "in_channel" else origin.user,
                )  # fmt: skip
        return {"ok": True}

    # --- clicks, forms, shortcuts, Home -------------------------------------------------------

    def click(self, user_id: str, *, surface: str, at: str, ts: str | None, block: str, action: str, value: Any) -> JSON:
        person = self.ws.people[user_id]
        trigger = self.ws.new_trigger(user_id)
        url = value if isinstance(value, str) and value.startswith("http") else None
        if surface == "message":
            channel_id = self.channel_of(user_id, at)
            message = self.ws.find(channel_id, ts or "")
            if message is None or message.only not in (None, user_id):
                return {"ok": False, "error": "message_not_found"}
            found = shapes.action(message.blocks, block, action, value)
            if found is None:
                return {"ok": False, "error": "no_such_element"}
            origin = Origin(user_id, channel_id, message.ts)
            status, body = self.door.message_click(
                person, action=found, channel_id=channel_id, message=self.ws.shown(message), ephemeral=message.only is not None,
                response_url=self.ws.new_response_url(origin), trigger_id=trigger,
            )  # fmt: skip
            return self._acked(status, body, origin) | {"url": url}
        if surface == "home":
            view = self.ws.homes.get(user_id)
            shown = {**(view or {}), "id": "VH" + user_id, "type": "home"}
        else:
            opened = self.ws.modal_of(user_id)
            view, shown = (opened.view, {**opened.view, "id": opened.id}) if opened else (None, {})
        found = shapes.action(list((view or {}).get("blocks") or []), block, action, value)
        if view is None or found is None:
            return {"ok": False, "error": "no_such_element"}
        status, _body = self.door.view_click(person, action=found, view=shown, trigger_id=trigger)
        return {"ok": status == 200, "url": url}

    def submit(self, user_id: str, reported: list[JSON]) -> JSON:
        opened = self.ws.modal_of(user_id)
        if opened is None:
            return {"ok": False, "error": "no_form"}
        blocks = list(opened.view.get("blocks") or [])
        values = shapes.state_values(blocks, reported)
        missing = shapes.missing(blocks, values)
        if missing:  # Slack's client holds the form back itself
            opened.errors, opened.rev = missing, opened.rev + 1
            self.ws.changed()
            return {"ok": False, "errors": missing}
        status, body = self.door.submit(
            self.ws.people[user_id], view={**opened.view, "id": opened.id}, values=values, trigger_id=self.ws.new_trigger(user_id)
        )
        if status != 200:
            opened.errors, opened.rev = {"": f"We had some trouble connecting (HTTP {status}). Try again?"}, opened.rev + 1
            self.ws.changed()
            return {"ok": False, "status": status}
        answer = json.loads(body) if body.strip().startswith("{") else {}
        kind = answer.get("response_action")
        if kind == "errors":
            opened.errors, opened.rev = dict(answer.get("errors") or {}), opened.rev + 1
            self.ws.changed()
            return {"ok": False, "errors": opened.errors}
        if kind == "update":
            opened.view, opened.errors, opened.rev = dict(answer.get("view") or {}), {}, opened.rev + 1
            self.ws.changed()
        elif kind == "push":
            self.ws.api("views.push", {"trigger_id": self.ws.new_trigger(user_id), "view": answer.get("view")}, self.ws.token)
        else:
            self.ws.close_modal(user_id, all_views=kind == "clear")
        return {"ok": True}

    def close(self, user_id: str) -> JSON:
        self.ws.close_modal(user_id)
        return {"ok": True}

    def shortcut(self, user_id: str, at: str, ts: str) -> JSON:
        channel_id = self.channel_of(user_id, at)
        message = self.ws.find(channel_id, ts)
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        origin = Origin(user_id, channel_id, ts)
        status, body = self.door.message_action(
            self.ws.people[user_id], channel_id=channel_id, message=self.ws.shown(message), callback_id=ids.ADD_STEP_SHORTCUT,
            response_url=self.ws.new_response_url(origin), trigger_id=self.ws.new_trigger(user_id),
        )  # fmt: skip
        return self._acked(status, body, origin)

    def open_home(self, user_id: str) -> JSON:
        status, _ = self.door.home_opened(self.ws.people[user_id])
        return {"ok": status == 200}

    # --- time ------------------------------------------------------------------------------

    def advance(self, to: str) -> JSON:
        """Move the clock ("next-day", "later") or not ("now"), then run one scheduler pass."""
        with self._pass_lock:
            if to == "next-day":
                self.clock.move_to(self.clock.next_working_day(self.services.settings))
            elif to == "later":
                self.clock.move_to(self.clock.later_today())
            self.settle()
            log.info("playground clock: %s; running the scheduler's pass", self.clock.now().isoformat(timespec="minutes"))
            self.ws.changed()
            self.scheduler.run_pass()
            self.settle()
        return {"ok": True, "now": self.clock.now().isoformat()}

    def settle(self, timeout: float = 20.0) -> None:
        """Wait until the work acknowledged requests handed on is done (demo steps, the pass)."""
        deadline = time.monotonic() + timeout
        quiet_since = None
        while time.monotonic() < deadline:
            stats = self.services.work.stats()
            if stats["queued"] or stats["running"]:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > 0.15:
                return
            time.sleep(0.03)
