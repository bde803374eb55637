"""The playground's Slack: a workspace in memory — people of two organizations, channels (some
shared over Slack Connect), DMs with the app, messages and ephemeral ones, Home tabs, open forms,
files — and the Web API methods Shepherd calls on it (`api`), answered as Slack answers them.

    ws = Workspace(people=…, channels=…)
    ws.api("chat.postMessage", {"channel": "C1", "text": "hi"}, token=ws.token)
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]
APP_USER = "U0SHEPHERD"
APP_NAME = "Shepherd"


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    handle: str
    team_id: str
    role: str  # how the persona switcher describes them
    persona: bool = True


@dataclass
class Channel:
    id: str
    name: str
    members: set[str]
    shared_with: str | None = None  # the other organization's name, for a Slack Connect channel
    topic: str = ""

    @property
    def is_dm(self) -> bool:
        return self.id.startswith("D")


@dataclass
class Message:
    ts: str
    channel: str
    user: str
    text: str
    blocks: list[JSON] = field(default_factory=list)
    only: str | None = None  # an ephemeral message: only this person sees it
    thread_ts: str | None = None
    files: list[str] = field(default_factory=list)
    edited: bool = False
    at: float = field(default_factory=lambda: time.time())  # when it was posted, on the playground's clock


@dataclass
class File:
    id: str
    filename: str
    length: int
    title: str = ""
    content: bytes | None = None
    channel: str | None = None


@dataclass
class View:
    id: str
    user: str
    view: JSON
    errors: dict[str, str] = field(default_factory=dict)
    rev: int = 0


@dataclass(frozen=True)
class Origin:
    """Where a response_url answers: the person, the channel, and the message acted on (if any)."""

    user: str
    channel: str
    ts: str | None = None


class Workspace:
    def __init__(
        self, *, team_id: str, team_name: str, people: list[Person], channels: list[Channel], base_url: str = ""
    ) -> None:
        self.team_id, self.team_name = team_id, team_name
        self.token = "xoxb-playground-" + secrets.token_hex(6)
        self.base_url = base_url  # where the page is served: permalinks and upload URLs point there
        self.people = {p.id: p for p in people}
        self.channels = {c.id: c for c in channels}
        self.messages: list[Message] = []
        self.homes: dict[str, JSON] = {}
        self.modals: dict[str, list[View]] = {}
        self.files: dict[str, File] = {}
        self.triggers: dict[str, str] = {}
        self.origins: dict[str, Origin] = {}
        self.version = 0
        self._lock = threading.RLock()
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._base_ts = 1_700_000_000

    # --- what the page reads -------------------------------------------------------------

    def changed(self) -> None:
        with self._lock:
            self.version += 1

    def name_of(self, user_id: str) -> str | None:
        if user_id == APP_USER:
            return APP_NAME
        person = self.people.get(user_id)
        return person.name if person else None

    def channel_name(self, channel_id: str) -> str | None:
        channel = self.channels.get(channel_id)
        return channel.name if channel else None

    def dm_of(self, user_id: str) -> Channel:
        """The DM between a person and the app (the app's Messages tab), made on first use."""
        with self._lock:
            channel_id = "D" + user_id[1:]
            if channel_id not in self.channels:
                self.channels[channel_id] = Channel(channel_id, APP_NAME, {user_id, APP_USER})
            return self.channels[channel_id]

    def visible(self, channel_id: str, user_id: str) -> list[Message]:
        """What `user_id` sees in a channel: its messages and the ephemeral ones meant for them."""
        with self._lock:
            return [m for m in self.messages if m.channel == channel_id and m.only in (None, user_id)]

    def find(self, channel_id: str, ts: str) -> Message | None:
        with self._lock:
            return next((m for m in self.messages if m.channel == channel_id and m.ts == ts), None)

    def modal_of(self, user_id: str) -> View | None:
        with self._lock:
            stack = self.modals.get(user_id) or []
            return stack[-1] if stack else None

    # --- what people do on the page -------------------------------------------------------

    def new_trigger(self, user_id: str) -> str:
        trigger = f"{next(self._ids)}.{secrets.token_hex(8)}"
        with self._lock:
            self.triggers[trigger] = user_id
        return trigger

    def new_response_url(self, origin: Origin) -> str:
        key = secrets.token_urlsafe(12)
        with self._lock:
            self.origins[key] = origin
        return f"{self.base_url}/slack/response/{key}"

    def post(
        self, channel_id: str, user_id: str, text: str, *, blocks: list[JSON] | None = None, only: str | None = None, **extra: Any
    ) -> Message:
        with self._lock:
            ts = f"{self._base_ts + next(self._ts)}.000100"
            message = Message(ts, channel_id, user_id, text, list(blocks or []), only=only, **extra)
            self.messages.append(message)
            self.version += 1
            return message

    def close_modal(self, user_id: str, *, all_views: bool = False) -> None:
        with self._lock:
            stack = self.modals.get(user_id) or []
            if stack:
                del stack[0 if all_views else -1 :]
            self.version += 1

    # --- response_url ----------------------------------------------------------------------

    def respond(self, key: str, body: JSON) -> bool:
        """A post to a response_url: replace or delete the message acted on, or answer the person
        ephemerally (or, `in_channel`, everyone). False for a URL Slack never gave out."""
        origin = self.origins.get(key)
        if origin is None:
            return False
        source = self.find(origin.channel, origin.ts) if origin.ts else None
        with self._lock:
            if body.get("delete_original") and source is not None:
                self.messages.remove(source)
            elif body.get("replace_original") and source is not None:
                source.text, source.blocks = str(body.get("text") or ""), list(body.get("blocks") or [])
                source.edited = source.only is None
            else:
                public = body.get("response_type") == "in_channel"
                self.post(
                    origin.channel, APP_USER, str(body.get("text") or ""), blocks=body.get("blocks"),
                    only=None if public else origin.user, thread_ts=body.get("thread_ts"),
                )  # fmt: skip
            self.version += 1
        return True

    def upload(self, file_id: str, raw: bytes) -> bool:
        with self._lock:
            stored = self.files.get(file_id)
            if stored is None:
                return False
            stored.content = raw
            return True

    # --- the Web API ------------------------------------------------------------------------

    def api(self, method: str, params: JSON, token: str | None) -> JSON:
        if token != self.token:
            return {"ok": False, "error": "invalid_auth" if token else "not_authed"}
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": True}  # methods Shepherd does not rely on the answer of
        with self._lock:
            return dict(handler(params))

    def _auth_test(self, params: JSON) -> JSON:
        return {"ok": True, "team_id": self.team_id, "team": self.team_name, "user_id": APP_USER, "bot_id": "B0SHEPHERD"}

    def _conversation(self, channel: Any) -> Channel | None:
        channel_id = str(channel or "")
        if channel_id[:1] in ("U", "W") and channel_id in self.people:
            return self.dm_of(channel_id)
        return self.channels.get(channel_id)

    def _chat_postMessage(self, params: JSON) -> JSON:
        channel = self._conversation(params.get("channel"))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        thread = params.get("thread_ts") or None
        message = self.post(channel.id, APP_USER, str(params.get("text") or ""), blocks=params.get("blocks"), thread_ts=thread)
        return {"ok": True, "channel": channel.id, "ts": message.ts, "message": self._shown(message)}

    def _chat_postEphemeral(self, params: JSON) -> JSON:
        channel = self._conversation(params.get("channel"))
        user = str(params.get("user") or "")
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if user not in channel.members:
            return {"ok": False, "error": "user_not_in_channel"}
        message = self.post(channel.id, APP_USER, str(params.get("text") or ""), blocks=params.get("blocks"), only=user)
        return {"ok": True, "message_ts": message.ts}

    def _chat_update(self, params: JSON) -> JSON:
        channel = self._conversation(params.get("channel"))
        message = self.find(channel.id, str(params.get("ts"))) if channel else None
        if channel is None or message is None:
            return {"ok": False, "error": "message_not_found"}
        message.text = str(params.get("text") or message.text)
        if "blocks" in params:
            message.blocks = list(params.get("blocks") or [])
        message.edited = True
        self.version += 1
        return {"ok": True, "channel": channel.id, "ts": message.ts, "text": message.text}

    def _chat_delete(self, params: JSON) -> JSON:
        channel = self._conversation(params.get("channel"))
        message = self.find(channel.id, str(params.get("ts"))) if channel else None
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        self.messages.remove(message)
        self.version += 1
        return {"ok": True}

    def _chat_getPermalink(self, params: JSON) -> JSON:
        channel, ts = str(params.get("channel") or ""), str(params.get("message_ts") or "")
        return {"ok": True, "channel": channel, "permalink": f"{self.base_url}/?at={channel}#m{ts.replace('.', '')}"}

    def _conversations_open(self, params: JSON) -> JSON:
        user = str(params.get("users") or "").split(",")[0].strip()
        if user not in self.people:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "channel": {"id": self.dm_of(user).id}}

    def _conversations_join(self, params: JSON) -> JSON:
        channel = self._conversation(params.get("channel"))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        channel.members.add(APP_USER)
        return {"ok": True, "channel": {"id": channel.id}}

    def _conversations_info(self, params: JSON) -> JSON:
        channel = self._conversation(params.get("channel"))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        shared = channel.shared_with is not None
        return {
            "ok": True,
            "channel": {
                "id": channel.id, "name": channel.name, "is_channel": not channel.is_dm, "is_im": channel.is_dm,
                "is_private": False, "is_shared": shared, "is_ext_shared": shared, "is_member": APP_USER in channel.members,
            },
        }  # fmt: skip

    def _user(self, person: Person, tz: str) -> JSON:
        return {
            "id": person.id, "team_id": person.team_id, "name": person.handle, "real_name": person.name,
            "profile": {"real_name": person.name, "display_name": person.handle},
            "tz": tz, "tz_offset": 0, "is_restricted": False, "is_ultra_restricted": False,
            "is_bot": False, "deleted": False,
        }  # fmt: skip

    tz = "UTC"  # everyone's Slack time zone (the playground's DEFAULT_TZ)

    def _users_info(self, params: JSON) -> JSON:
        person = self.people.get(str(params.get("user") or ""))
        if person is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": self._user(person, self.tz)}

    def _users_list(self, params: JSON) -> JSON:
        members = [self._user(p, self.tz) for p in self.people.values() if p.team_id == self.team_id]
        return {"ok": True, "members": members, "response_metadata": {"next_cursor": ""}}

    def _views_open(self, params: JSON) -> JSON:
        user = self.triggers.pop(str(params.get("trigger_id") or ""), None)
        if user is None:
            return {"ok": False, "error": "expired_trigger_id"}
        opened = View(f"V{next(self._ids):06d}", user, dict(params.get("view") or {}))
        self.modals[user] = [opened]
        self.version += 1
        return {"ok": True, "view": self._view_json(opened)}

    def _views_push(self, params: JSON) -> JSON:
        user = self.triggers.pop(str(params.get("trigger_id") or ""), None)
        if user is None or not self.modals.get(user):
            return {"ok": False, "error": "expired_trigger_id"}
        pushed = View(f"V{next(self._ids):06d}", user, dict(params.get("view") or {}))
        self.modals[user].append(pushed)
        self.version += 1
        return {"ok": True, "view": self._view_json(pushed)}

    def _views_update(self, params: JSON) -> JSON:
        wanted = str(params.get("view_id") or "")
        for stack in self.modals.values():
            for view in stack:
                if view.id == wanted or (params.get("external_id") and view.view.get("external_id") == params["external_id"]):
                    view.view, view.errors, view.rev = dict(params.get("view") or {}), {}, view.rev + 1
                    self.version += 1
                    return {"ok": True, "view": self._view_json(view)}
        return {"ok": False, "error": "not_found"}

    def _views_publish(self, params: JSON) -> JSON:
        user = str(params.get("user_id") or "")
        if user not in self.people:
            return {"ok": False, "error": "user_not_found"}
        self.homes[user] = dict(params.get("view") or {})
        self.version += 1
        return {"ok": True, "view": {**self.homes[user], "id": "VH" + user}}

    def _view_json(self, view: View) -> JSON:
        return {**view.view, "id": view.id, "hash": f"{view.rev}.{view.id}", "state": {"values": {}}}

    def _files_getUploadURLExternal(self, params: JSON) -> JSON:
        filename, length = params.get("filename"), str(params.get("length") or "")
        if not filename or not length.isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ids):08d}"
        self.files[file_id] = File(file_id, str(filename), int(length))
        return {"ok": True, "upload_url": f"{self.base_url}/slack/upload/{file_id}", "file_id": file_id}

    def _files_completeUploadExternal(self, params: JSON) -> JSON:
        items = params.get("files")
        channel = self._conversation(params.get("channel_id"))
        if not isinstance(items, list) or not items:
            return {"ok": False, "error": "invalid_arguments"}
        found = [self.files.get(str(item.get("id"))) if isinstance(item, dict) else None for item in items]
        if any(f is None or f.content is None for f in found):
            return {"ok": False, "error": "file_not_found"}
        shared = []
        for stored, item in zip(found, items, strict=True):
            assert stored is not None
            stored.title = str(item.get("title") or stored.filename)
            stored.channel = channel.id if channel else None
            shared.append({"id": stored.id, "name": stored.filename, "title": stored.title, "size": stored.length})
        if channel is not None:
            text = str(params.get("initial_comment") or "")
            self.post(channel.id, APP_USER, text, files=[f["id"] for f in shared])
        return {"ok": True, "files": shared}

    def _shown(self, message: Message) -> JSON:
        """A message as Slack hands it back (and puts in click payloads)."""
        shown: JSON = {"type": "message", "user": message.user, "ts": message.ts, "text": message.text, "blocks": message.blocks}
        if message.user == APP_USER:
            shown["bot_id"] = "B0SHEPHERD"
        if message.thread_ts:
            shown["thread_ts"] = message.thread_ts
        return shown

    def shown(self, message: Message) -> JSON:
        with self._lock:
            return self._shown(message)
