"""A local stand-in for Slack's Web API and response URLs, for pointing a WebClient at in tests."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

JSON = dict[str, Any]

_TS_BASE = 1_700_000_000


@dataclass(frozen=True)
class Call:
    """One request the stub received at /api/<method>."""

    method: str
    params: JSON
    token: str | None
    headers: dict[str, str]
    at: float  # time.monotonic() on arrival
    status: int = 200
    failed: bool = False
    replied: threading.Event = field(default_factory=threading.Event, compare=False, repr=False)

    @property
    def answered(self) -> bool:
        """The stand-in has sent its answer (after any scripted delay)."""
        return self.replied.is_set()


@dataclass
class StoredFile:
    """A file as files.getUploadURLExternal announced it, its bytes once sent to the upload URL,
    and where files.completeUploadExternal shared it (nothing is shared before that)."""

    id: str
    filename: str
    length: int
    content: bytes | None = None  # None until the upload URL received them
    title: str | None = None
    channel: str | None = None
    initial_comment: str | None = None
    completed: bool = False

    @property
    def text(self) -> str:
        return (self.content or b"").decode("utf-8")


@dataclass
class _Failure:
    """A scripted failure, answered to the next `times` calls of a method."""

    status: int
    headers: dict[str, str]
    body: JSON | str
    times: int


@dataclass
class _Reply:
    status: int = 200
    body: JSON | str = field(default_factory=lambda: {"ok": True})
    headers: dict[str, str] = field(default_factory=dict)


def _maybe_json(value: Any) -> Any:
    """Decode strings that look like JSON arrays/objects (e.g. `blocks` in form posts)."""
    if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _parse_body(content_type: str, raw: bytes) -> JSON:
    """Parse a request body as Slack clients send it: form, JSON or multipart."""
    if not raw:
        return {}
    ctype = content_type.split(";", 1)[0].strip().lower()
    if ctype == "application/json":
        data = json.loads(raw.decode("utf-8"))
        return data if isinstance(data, dict) else {"_json": data}
    if ctype == "multipart/form-data":
        message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw)
        parts: JSON = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if part.get_filename():
                parts[str(name)] = payload
            else:
                parts[str(name)] = payload.decode("utf-8", "replace")
        return parts
    return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))


class SlackStub:
    """Fake Slack Web API on 127.0.0.1 that records calls and can script failures and delays."""

    def __init__(
        self,
        tokens: dict[str, str] | None = None,
        user_tz: dict[str, str] | None = None,
        unknown_users: set[str] | None = None,
    ) -> None:
        self.tokens: dict[str, str] = dict(tokens) if tokens is not None else {"xoxb-test": "T_HOME"}
        self.user_tz: dict[str, str] = dict(user_tz or {})
        self.unknown_users: set[str] = set(unknown_users or ())
        # The client boundary: people of another organization, workspace guests, apps, and
        # channels shared with another organization (Slack Connect).
        self.user_team: dict[str, str] = {}
        self.guests: set[str] = set()
        self.bots: set[str] = set()
        self.shared_channels: set[str] = set()
        self.members: list[str] = []  # who users.list pages through
        self._cond = threading.Condition()
        self._calls: list[Call] = []
        self._responses: list[tuple[str, JSON]] = []
        self._failures: dict[str, list[_Failure]] = {}
        self._delays: dict[str, float] = {}
        self._ts_counter = 0
        self._files: dict[str, StoredFile] = {}
        # Requests being answered (a delayed one included) and when one last arrived or was
        # answered, for this test only: `reset` starts a new generation, so a request an earlier
        # test left hanging (Slack scripted to take a minute) doesn't keep the stand-in busy here.
        self._generation = 0
        self._in_flight = 0
        self._last_seen = time.monotonic()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> SlackStub:
        """Bind an ephemeral port and serve in a daemon thread."""
        if self._server is not None:
            return self
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.stub = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="slack-stub", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        server, thread = self._server, self._thread
        self._server, self._thread = None, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> SlackStub:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("SlackStub is not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """Base URL for `WebClient(base_url=...)`, with the trailing slash slack_sdk expects."""
        return f"{self.base_url}/api/"

    def response_url(self, key: str = "default") -> str:
        """A response_url whose posts are recorded under `key`."""
        return f"{self.base_url}/response/{key}"

    # ----------------------------------------------------------------- scripting

    def fail(
        self,
        method: str,
        *,
        error: str = "internal_error",
        status: int = 200,
        headers: dict[str, str] | None = None,
        times: int = 1,
        body: JSON | str | None = None,
    ) -> None:
        """Answer the next `times` calls to `method` with this status/headers/body (queued FIFO)."""
        failure = _Failure(
            status=status,
            headers=dict(headers or {}),
            body=body if body is not None else {"ok": False, "error": error},
            times=times,
        )
        with self._cond:
            self._failures.setdefault(method, []).append(failure)

    def delay(self, method: str, seconds: float) -> None:
        """Make calls to `method` sleep `seconds` before answering; 0 clears."""
        with self._cond:
            if seconds > 0:
                self._delays[method] = seconds
            else:
                self._delays.pop(method, None)

    def reset(self) -> None:
        """Forget calls, response-URL posts, scripted failures, delays and who is who (tokens are kept)."""
        with self._cond:
            self.user_team.clear()
            self.guests.clear()
            self.bots.clear()
            self.shared_channels.clear()
            self.members.clear()
            self._calls.clear()
            self._responses.clear()
            self._failures.clear()
            self._delays.clear()
            self._files.clear()
            self._generation += 1
            self._in_flight = 0
            self._last_seen = time.monotonic()

    # ----------------------------------------------------------------- queries

    @property
    def calls(self) -> list[Call]:
        with self._cond:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self._calls if c.method == method]

    def shared_files(self, channel: str | None = None) -> list[StoredFile]:
        """Files completed (shared) by files.completeUploadExternal, in order (in `channel`, or anywhere)."""
        with self._cond:
            return [f for f in self._files.values() if f.completed and (channel is None or f.channel == channel)]

    def upload_url(self, file_id: str) -> str:
        """Where the bytes of a file go, as files.getUploadURLExternal answers (Slack's is on files.slack.com)."""
        return f"{self.base_url}/upload/{file_id}"

    def responses(self, key: str | None = None) -> list[JSON]:
        """JSON bodies posted to response URLs, in order (all keys when `key` is None)."""
        with self._cond:
            return [body for k, body in self._responses if key is None or k == key]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until at least `count` calls to `method` were recorded; return them."""
        if not self._wait(lambda: len(self._calls_to_locked(method)) >= count, timeout):
            with self._cond:
                seen = Counter(c.method for c in self._calls)
            summary = ", ".join(f"{m} x{n}" for m, n in seen.items()) or "none"
            raise AssertionError(
                f"expected {count} call(s) to {method} within {timeout}s, got {seen.get(method, 0)}; methods seen: {summary}"
            )
        return self.calls_to(method)

    def wait_for_responses(self, count: int = 1, key: str | None = None, timeout: float = 5.0) -> list[JSON]:
        """Block until at least `count` response-URL posts (for `key`, or any) were recorded."""
        if not self._wait(lambda: len(self._responses_locked(key)) >= count, timeout):
            with self._cond:
                seen = Counter(k for k, _ in self._responses)
            summary = ", ".join(f"{k} x{n}" for k, n in seen.items()) or "none"
            raise AssertionError(f"expected {count} response_url post(s) for key={key!r} within {timeout}s; keys seen: {summary}")
        return self.responses(key)

    def quiet_for(self) -> float:
        """Seconds since the stand-in last received or answered a request of this test; 0 while one
        is in flight."""
        with self._cond:
            return 0.0 if self._in_flight else time.monotonic() - self._last_seen

    def _arrived(self) -> int:
        with self._cond:
            self._in_flight += 1
            self._last_seen = time.monotonic()
            return self._generation

    def _answered(self, generation: int) -> None:
        with self._cond:
            if generation == self._generation:  # one from before the last reset no longer counts
                self._in_flight -= 1
                self._last_seen = time.monotonic()

    def _wait(self, predicate: Callable[[], bool], timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(predicate, timeout=timeout)

    def _calls_to_locked(self, method: str) -> list[Call]:
        return [c for c in self._calls if c.method == method]

    def _responses_locked(self, key: str | None) -> list[JSON]:
        return [body for k, body in self._responses if key is None or k == key]

    # ----------------------------------------------------------------- handling

    def _upload(self, file_id: str, raw: bytes, headers: dict[str, str]) -> _Reply:
        """The upload URL: it takes the file's bytes as the request body ("upload" in `fail`/`delay`)."""
        reply = self._handle_api("upload", {"file_id": file_id, "length": len(raw)}, headers)
        if reply.status != 200 or reply.body != {"ok": True}:
            return reply
        with self._cond:
            stored = self._files.get(file_id)
            if stored is None:
                return _Reply(404, "Not Found", {"Content-Type": "text/plain"})
            stored.content = raw
            self._cond.notify_all()
        return _Reply(body=f"OK - {len(raw)}", headers={"Content-Type": "text/plain"})

    def _complete_upload(self, params: JSON) -> JSON:
        """files.completeUploadExternal: share every file of `files` at once, or none."""
        files = params.get("files")
        channel = params.get("channel_id") or None
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        if isinstance(channel, str) and channel[:1] in ("U", "W"):  # Slack takes conversation ids only, not a user's
            return {"ok": False, "error": "invalid_arguments"}
        with self._cond:
            found = [self._files.get(str(f.get("id"))) if isinstance(f, dict) else None for f in files]
            if any(f is None or f.content is None for f in found):
                return {"ok": False, "error": "file_not_found"}
            shared = []
            for stored, item in zip(found, files, strict=True):
                assert stored is not None
                stored.title = str(item.get("title") or stored.filename)
                stored.channel, stored.initial_comment = channel, params.get("initial_comment")
                stored.completed = True
                shared.append({"id": stored.id, "name": stored.filename, "title": stored.title, "size": stored.length})
            self._cond.notify_all()
        return {"ok": True, "files": shared}

    def _next_ts(self) -> str:
        with self._cond:
            self._ts_counter += 1
            n = self._ts_counter
        return f"{_TS_BASE + n // 1_000_000}.{n % 1_000_000:06d}"

    def _handle_api(self, method: str, params: JSON, headers: dict[str, str]) -> _Reply:
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else params.get("token")
        with self._cond:
            queue = self._failures.get(method)
            failure = queue[0] if queue else None
            if queue and failure is not None:
                failure.times -= 1
                if failure.times <= 0:
                    queue.pop(0)
            delay = self._delays.get(method, 0.0)
            call = Call(
                method=method,
                params=params,
                token=token,
                headers=headers,
                at=time.monotonic(),
                status=failure.status if failure else 200,
                failed=failure is not None,
            )
            self._calls.append(call)
            self._cond.notify_all()
        if delay:
            time.sleep(delay)
        try:
            if failure is not None:
                return _Reply(failure.status, failure.body, failure.headers)
            return _Reply(body=self._answer(method, params, token))
        finally:
            call.replied.set()

    def _user(self, user: str, token: str | None) -> JSON:
        """A user object as users.info and users.list return it."""
        return {
            "id": user,
            "team_id": self.user_team.get(user) or self.tokens.get(token or "", "T_HOME"),
            "is_restricted": user in self.guests,
            "is_ultra_restricted": False,
            "is_bot": user in self.bots,
            "name": user.lower(),
            "real_name": f"User {user}",
            "tz": self.user_tz.get(user, "UTC"),
            "tz_offset": 0,
            "deleted": False,
        }

    def _answer(self, method: str, params: JSON, token: str | None) -> JSON:
        """The canned success body for a Web API method."""
        channel = params.get("channel")
        if method == "auth.test":
            if not token:
                return {"ok": False, "error": "not_authed"}
            if token not in self.tokens:
                return {"ok": False, "error": "invalid_auth"}
            return {
                "ok": True,
                "team_id": self.tokens[token],
                "team": "Team",
                "user_id": "UBOT",
                "bot_id": "BBOT",
                "url": "https://example.slack.com/",
            }
        if method == "chat.postMessage":
            if isinstance(channel, str) and channel[:1] in ("U", "W"):
                channel = "D" + channel[1:]
            ts = self._next_ts()
            message: JSON = {
                "type": "message",
                "user": "UBOT",
                "bot_id": "BBOT",
                "ts": ts,
                "text": params.get("text", ""),
                "blocks": params.get("blocks", []),
            }
            if "thread_ts" in params:
                message["thread_ts"] = params["thread_ts"]
            return {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method == "chat.update":
            return {"ok": True, "channel": channel, "ts": params.get("ts"), "text": params.get("text", "")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "conversations.open":
            users = str(params.get("users", "")).split(",")[0].strip()
            channel_id = "D" + users[1:] if users else channel
            return {"ok": True, "channel": {"id": channel_id}}
        if method == "conversations.join":
            return {"ok": True, "channel": {"id": channel}}
        if method == "conversations.info":
            shared = channel in self.shared_channels
            return {"ok": True, "channel": {"id": channel, "is_shared": shared, "is_ext_shared": shared}}
        if method == "users.list":  # `members`: who the workspace has, paged like Slack's
            start = int(str(params.get("cursor") or "0") or 0)
            size = int(str(params.get("limit") or "200"))
            page = self.members[start : start + size]
            more = start + size < len(self.members)
            return {
                "ok": True,
                "members": [self._user(user, token) for user in page],
                "response_metadata": {"next_cursor": str(start + size) if more else ""},
            }
        if method == "users.info":
            user = str(params.get("user", ""))
            if user in self.unknown_users:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": self._user(user, token)}
        if method == "chat.getPermalink":  # what Slack answers: the workspace's URL of the message
            ts = str(params.get("message_ts", ""))
            return {
                "ok": True,
                "channel": channel,
                "permalink": f"https://team.slack.com/archives/{channel}/p{ts.replace('.', '')}",
            }
        if method == "files.getUploadURLExternal":
            filename, length = params.get("filename"), str(params.get("length") or "")
            if not filename or not length.isdigit():
                return {"ok": False, "error": "invalid_arguments"}
            with self._cond:
                file_id = f"F{len(self._files) + 1:08d}"
                self._files[file_id] = StoredFile(file_id, str(filename), int(length))
            return {"ok": True, "upload_url": self.upload_url(file_id), "file_id": file_id}
        if method == "files.completeUploadExternal":
            return self._complete_upload(params)
        if method == "views.publish":
            view = params.get("view")
            view = dict(view) if isinstance(view, dict) else {}
            return {"ok": True, "view": {**view, "id": "VHOME" + str(params.get("user_id", ""))}}
        if method in ("views.open", "views.update", "views.push"):
            view = params.get("view")
            view = dict(view) if isinstance(view, dict) else {}
            return {"ok": True, "view": {**view, "id": params.get("view_id") or "V123"}}
        return {"ok": True}

    def _record_response(self, key: str, body: JSON) -> None:
        with self._cond:
            self._responses.append((key, body))
            self._cond.notify_all()


class _Handler(BaseHTTPRequestHandler):
    """Routes /api/<method> and /response/<key> to the owning SlackStub."""

    server: ThreadingHTTPServer

    @property
    def stub(self) -> SlackStub:
        return self.server.stub  # type: ignore[attr-defined,no-any-return]

    def do_GET(self) -> None:
        self._dispatch(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._dispatch(self.rfile.read(length) if length else b"")

    def _dispatch(self, raw: bytes) -> None:
        generation = self.stub._arrived()
        try:
            self._answer(raw)
        finally:
            self.stub._answered(generation)

    def _answer(self, raw: bytes) -> None:
        url = urlsplit(self.path)
        headers = dict(self.headers.items())
        content_type = self.headers.get("Content-Type", "application/x-www-form-urlencoded")
        try:
            if url.path.startswith("/api/"):
                params: JSON = dict(parse_qsl(url.query, keep_blank_values=True))
                params.update(_parse_body(content_type, raw))
                params = {k: _maybe_json(v) for k, v in params.items()}
                reply = self.stub._handle_api(url.path[len("/api/") :], params, headers)
            elif url.path.startswith("/upload/"):
                reply = self.stub._upload(url.path[len("/upload/") :], raw, headers)
            elif url.path.startswith("/response/"):
                delay = self.stub._delays.get("response", 0.0)  # `delay("response", s)`: a slow response_url
                if delay:
                    time.sleep(delay)
                try:
                    body = json.loads(raw.decode("utf-8")) if raw else {}
                except ValueError:
                    body = {"_raw": raw.decode("utf-8", "replace")}
                self.stub._record_response(url.path[len("/response/") :], body)
                reply = _Reply(body="ok", headers={"Content-Type": "text/plain"})
            else:
                reply = _Reply(404, {"ok": False, "error": "unknown_path"})
        except Exception as exc:  # keep the server alive; surface the bug to the client
            reply = _Reply(500, {"ok": False, "error": f"stub_error: {exc!r}"})
        self._send(reply)

    def _send(self, reply: _Reply) -> None:
        if isinstance(reply.body, str):
            data = reply.body.encode("utf-8")
            default_type = "text/plain; charset=utf-8"
        else:
            data = json.dumps(reply.body).encode("utf-8")
            default_type = "application/json; charset=utf-8"
        self.send_response(reply.status)
        headers = {"Content-Type": default_type, **reply.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""
