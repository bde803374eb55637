"""The playground's one web server: the page and its JSON API, the stand-in of Slack's Web API
(`/slack/api/…`, upload and response URLs) that Shepherd talks to, and Shepherd itself
(`/slack/events`, `/healthz`, the production WSGI application).

    application = Routes(play, bot=wsgi_app(app, db, signing_secret=…))
"""

from __future__ import annotations

import contextlib
import json
import logging
import mimetypes
from collections.abc import Callable, Iterable
from email.parser import BytesParser
from email.policy import HTTP
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, parse_qsl

from bot.playground.actions import Playground
from bot.playground.page import page_state
from bot.playground.workspace import Workspace

log = logging.getLogger("shepherd.playground")
JSON = dict[str, Any]
WSGI = Callable[..., Iterable[bytes]]
Start = Callable[..., Any]
MAX_BODY = 4 << 20


def parse_body(content_type: str, raw: bytes) -> JSON:
    """A Web API request's parameters, as Slack reads them: form, JSON or multipart; values that
    are JSON (`blocks`, `view`, `files`) decoded."""
    if not raw:
        return {}
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/json":
        data = json.loads(raw.decode("utf-8"))
        return data if isinstance(data, dict) else {}
    if kind == "multipart/form-data":
        message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw)
        fields: JSON = {}
        for part in message.iter_parts():
            payload = part.get_payload(decode=True)
            fields[str(part.get_param("name", header="content-disposition"))] = (
                payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
            )
        return fields
    params: JSON = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    for key, value in params.items():
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
    return params


class Routes:
    """Slack's side (`ws`) answers from the start, since building the app already asks it
    (`auth.test`); the page and Shepherd answer once `ready` gave them the app."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.play: Playground | None = None
        self.bot: WSGI | None = None
        self.commands = _commands()

    def ready(self, play: Playground, bot: WSGI) -> None:
        self.play, self.bot = play, bot

    def __call__(self, environ: dict[str, Any], start_response: Start) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO") or "/", environ.get("REQUEST_METHOD") or "GET"
        try:
            if path.startswith("/slack/") and path != "/slack/events":
                return self._slack(path, environ, start_response)
            if self.play is None or self.bot is None:
                return _text(start_response, "Starting…", "503 Service Unavailable")
            if path in ("/slack/events", "/healthz"):
                return self.bot(environ, start_response)
            if path.startswith("/api/"):
                return self._page_api(self.play, path, method, environ, start_response)
            if path.startswith("/files/"):
                return self._file(path[len("/files/") :], start_response)
            if path == "/" or path.startswith("/static/"):
                return self._static(path, start_response)
        except Exception:
            log.exception("playground: %s %s failed", method, path)
            return _json(start_response, {"ok": False, "error": "internal_error"}, "500 Internal Server Error")
        return _json(start_response, {"ok": False, "error": "not_found"}, "404 Not Found")

    # --- Shepherd's side: the Web API stand-in -----------------------------------------------------

    def _slack(self, path: str, environ: dict[str, Any], start_response: Start) -> Iterable[bytes]:
        raw = _read(environ)
        ws = self.ws
        if path.startswith("/slack/api/"):
            params: JSON = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING") or "").items()}
            params.update(parse_body(environ.get("CONTENT_TYPE") or "", raw))
            auth = str(environ.get("HTTP_AUTHORIZATION") or "")
            token = auth[7:].strip() if auth.lower().startswith("bearer ") else params.get("token")
            return _json(start_response, ws.api(path[len("/slack/api/") :], params, token))
        if path.startswith("/slack/upload/"):
            done = ws.upload(path[len("/slack/upload/") :], raw)
            return _text(start_response, f"OK - {len(raw)}" if done else "Not Found", "200 OK" if done else "404 Not Found")
        if path.startswith("/slack/response/"):
            try:
                body = json.loads(raw.decode("utf-8")) if raw else {}
            except ValueError:
                body = {"text": raw.decode("utf-8", "replace")}
            known = ws.respond(path[len("/slack/response/") :], body if isinstance(body, dict) else {})
            return _text(start_response, "ok" if known else "no_service", "200 OK" if known else "404 Not Found")
        return _json(start_response, {"ok": False, "error": "unknown_method"}, "404 Not Found")

    # --- the page's side ---------------------------------------------------------------------

    def _page_api(
        self, play: Playground, path: str, method: str, environ: dict[str, Any], start_response: Start
    ) -> Iterable[bytes]:
        ws = self.ws
        if path == "/api/state":
            query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING") or "").items()}
            viewer = query.get("as") or next(iter(ws.people))
            if viewer not in ws.people:
                return _json(start_response, {"ok": False, "error": "no_such_person"}, "404 Not Found")
            if query.get("since") == str(ws.version):
                return _json(start_response, {"version": ws.version, "unchanged": True})
            state = page_state(ws, viewer=viewer, at=query.get("at") or "", now=play.clock.now(), commands=self.commands)
            return _json(start_response, state)
        if method != "POST":
            return _json(start_response, {"ok": False, "error": "method_not_allowed"}, "405 Method Not Allowed")
        try:
            body = json.loads(_read(environ) or b"{}")
        except ValueError:
            return _json(start_response, {"ok": False, "error": "bad_json"}, "400 Bad Request")
        user = str(body.get("as") or "")
        if path != "/api/clock" and user not in ws.people:
            return _json(start_response, {"ok": False, "error": "no_such_person"}, "400 Bad Request")
        at = str(body.get("at") or "")
        if path == "/api/send":
            answer = play.send(user, at, str(body.get("text") or ""))
        elif path == "/api/click":
            answer = play.click(
                user, surface=str(body.get("surface") or "message"), at=at, ts=body.get("ts"),
                block=str(body.get("block") or ""), action=str(body.get("action") or ""), value=body.get("value"),
            )  # fmt: skip
        elif path == "/api/submit":
            answer = play.submit(user, list(body.get("values") or []))
        elif path == "/api/close":
            answer = play.close(user)
        elif path == "/api/shortcut":
            answer = play.shortcut(user, at, str(body.get("ts") or ""))
        elif path == "/api/home":
            answer = play.open_home(user)
        elif path == "/api/clock":
            answer = play.advance(str(body.get("to") or "now"))
        else:
            return _json(start_response, {"ok": False, "error": "not_found"}, "404 Not Found")
        return _json(start_response, answer)

    def _file(self, file_id: str, start_response: Start) -> Iterable[bytes]:
        stored = self.ws.files.get(file_id)
        if stored is None or stored.content is None:
            return _text(start_response, "No such file", "404 Not Found")
        kind = "text/csv" if stored.filename.endswith(".csv") else "text/plain"
        headers = [("Content-Type", f"{kind}; charset=utf-8"), ("Content-Disposition", f'inline; filename="{stored.filename}"')]
        start_response("200 OK", [*headers, ("X-Content-Type-Options", "nosniff"), ("Content-Length", str(len(stored.content)))])
        return [stored.content]

    def _static(self, path: str, start_response: Start) -> Iterable[bytes]:
        name = "index.html" if path == "/" else path[len("/static/") :]
        if name not in ("index.html", "app.js", "style.css"):
            return _text(start_response, "Not Found", "404 Not Found")
        data = resources.files("bot.playground").joinpath("static", name).read_bytes()
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        start_response(
            "200 OK",
            [("Content-Type", f"{kind}; charset=utf-8"), ("Cache-Control", "no-store"), ("Content-Length", str(len(data)))],
        )
        return [data]


def _commands() -> list[JSON]:
    """`/project`'s verbs as help lists them: the command list shown while typing."""
    import handlers.commands  # noqa: F401  (importing it declares the verbs)
    from handlers.commands.declare import declared

    return [{"usage": verb.usage, "does": verb.does} for verb in declared()]


def _read(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(min(length, MAX_BODY)) if length > 0 else b""


def _json(start_response: Start, body: Any, status: str = "200 OK") -> Iterable[bytes]:
    data = json.dumps(body).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Cache-Control", "no-store"), ("Content-Length", str(len(data)))]
    )
    return [data]


def _text(start_response: Start, text: str, status: str = "200 OK") -> Iterable[bytes]:
    data = text.encode()
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))])
    return [data]
