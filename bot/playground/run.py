"""`python -m bot playground`: the real Shepherd — its Bolt app, handlers, scheduler pass and
database — against a Slack stand-in in this process, with a page at http://127.0.0.1:3000/.

    running = start(host="127.0.0.1", port=0, database_url="sqlite:///p.db", demo=False)
    print(running.url); …; running.stop()
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from sqlmodel import select

import handlers
from bot.playground import cast
from bot.playground.actions import Playground
from bot.playground.clock import Clock
from bot.playground.requests import Door
from bot.playground.server import Routes
from bot.services import Services
from bot.settings import Settings, SettingsError
from bot.slack.app import create_app, web_client
from bot.slack.runner import StartupError, open_database
from bot.slack.server import create_server, stop_server, wsgi_app
from storage.models import Project

log = logging.getLogger("shepherd.playground")
DEFAULT_DB = "playground.db"
NEVER_SLACK = "It never talks to Slack: no tokens, no network; Slack here is a stand-in in this process."


class _Later:
    """The server's application, set once the workspace exists (it needs the server's port)."""

    app: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        return self.app(environ, start_response)


@dataclass
class Running:
    url: str
    play: Playground
    server: Any
    thread: threading.Thread

    def stop(self) -> None:
        stop_server(self.server)
        self.play.services.work.shutdown(wait=True)
        self.play.services.db.dispose()


def start(
    *, host: str, port: int, database_url: str, demo: bool | None, clock: Clock | None = None, env: dict[str, str] | None = None
) -> Running:
    """Serve the playground on host:port (0: a free port) in a thread. `demo` seeds it first (None:
    when the database holds no project); the page answers once that is done."""
    clock = clock or Clock.start()
    later = _Later()
    server = create_server(later, host=host, port=port)
    loopback = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    base = f"http://{loopback}:{server.effective_port}"
    secret = secrets.token_hex(16)
    passed = {k: v for k, v in (env if env is not None else os.environ).items() if not k.startswith("SLACK_")}
    ws = cast.workspace(base)
    settings = Settings.from_mapping(
        {
            **passed, "DATABASE_URL": database_url, "HOST": host, "PORT": str(server.effective_port or 3000),
            "SLACK_BOT_TOKEN": ws.token, "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": base + "/slack/api/",
            "WORK_THREADS": passed.get("WORK_THREADS") or "4",
        }
    )  # fmt: skip
    ws.tz = settings.default_tz  # everyone's Slack time zone
    routes = later.app = Routes(ws)
    thread = threading.Thread(target=server.run, name="playground", daemon=True)
    thread.start()
    try:
        services = Services(settings, open_database(settings))
        app = create_app(services, handlers.register)  # asks the stand-in who it is (auth.test)
    except BaseException:
        stop_server(server)
        raise
    bot = wsgi_app(app, services.db, signing_secret=secret, work=services.work)
    play = Playground(ws, Door(bot, secret, app_team=ws.team_id), services, clock, web_client(settings, timeout=5))
    if demo or (demo is None and is_empty(play)):
        from bot.playground.demo import seed

        log.info("seeding the demo: an agency, two clients, two projects mid-flight")
        seed(play)
    routes.ready(play, bot)
    return Running(base, play, server, thread)


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def is_empty(play: Playground) -> bool:
    with play.services.db.reader() as session:
        return session.exec(select(Project)).first() is None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="shepherd playground",
        description=(
            "Try Shepherd without Slack: the real app against a Slack stand-in, with a page at http://HOST:PORT/ "
            f"(127.0.0.1:3000 by default). {NEVER_SLACK} Data goes to {DEFAULT_DB} unless DATABASE_URL is set; "
            "an empty database starts with the demo."
        ),
    )
    seeded = parser.add_mutually_exclusive_group()
    seeded.add_argument("--demo", action="store_true", help="a fresh demo: two clients, two projects (wipes playground.db)")
    seeded.add_argument("--empty", action="store_true", help="start with no project (wipes playground.db)")
    parser.add_argument("--force", action="store_true", help="start even though SLACK_BOT_TOKEN is set (it is not used)")
    args = parser.parse_args(argv)
    dotenv = dotenv_values(".env") if os.path.exists(".env") else {}
    if (os.environ.get("SLACK_BOT_TOKEN") or dotenv.get("SLACK_BOT_TOKEN")) and not args.force:
        print(
            "shepherd: SLACK_BOT_TOKEN is set: the playground never uses it and will not start beside it "
            "(unset it, or pass --force)",
            file=sys.stderr,
        )
        return 2
    for name in [n for n in os.environ if n.startswith("SLACK_")]:
        del os.environ[name]  # Bolt reads SLACK_* itself: none of it may reach the playground's app
    own_file = not os.environ.get("DATABASE_URL")
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_DB}"
    if own_file and (args.demo or args.empty):
        for suffix in ("", "-wal", "-shm", "-journal"):  # a fresh start: the playground's own file only
            Path(DEFAULT_DB + suffix).unlink(missing_ok=True)
    host = os.environ.get("HOST") or "127.0.0.1"
    try:
        port = int(os.environ.get("PORT") or 3000)
        running = start(host=host, port=port, database_url=database_url, demo=False if args.empty else (args.demo or None))
    except (SettingsError, StartupError, ValueError) as error:
        print(f"shepherd: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(
            f"shepherd: PORT: cannot listen on {host}:{os.environ.get('PORT') or 3000} ({error.strerror or error})",
            file=sys.stderr,
        )
        return 2
    log.info("Shepherd playground: open %s/  (%s)", running.url, NEVER_SLACK)
    if host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("HOST=%s: the playground is reachable from other machines", host)
    # SIGTERM ends it like Ctrl-C: what was acknowledged is finished, the database closed.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        running.thread.join()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        running.stop()
    return 0
