"""Start-up: open and migrate the database, build the app, then serve (Socket Mode or HTTP).

Start-up problems end the process with one clear line and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading

from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from bot.services import Services
from bot.settings import Settings
from bot.slack.app import Listeners, create_app, listener_client, web_client
from bot.slack.passes import run_pass
from bot.slack.replay import replayer
from bot.slack.scheduler import ReminderScheduler
from bot.slack.server import create_server, wsgi_app
from bot.work import Workers
from storage.db import Database
from storage.jobs import worker_id
from storage.models import utcnow

log = logging.getLogger("shepherd")


RECOVERY_THREADS = 4
RECOVERY_POLL = 2.0  # seconds: how often a serving process looks for work left by a dead one


class StartupError(Exception):
    pass


def open_database(settings: Settings) -> Database:
    try:
        db = Database(settings.database_url)
        db.migrate()
    except (SQLAlchemyError, OSError) as error:
        where = settings.database_url.split("@")[-1]
        raise StartupError(f"DATABASE_URL: cannot open or migrate the database at {where}: {_first_line(error)}") from None
    return db


def migrate_only(settings: Settings) -> int:
    try:
        open_database(settings).dispose()
    except StartupError as error:
        return _fail(error)
    log.info("database schema is up to date")
    return 0


def run(settings: Settings, listeners: Listeners) -> int:
    try:
        services = Services(settings, open_database(settings))
        try:
            app = create_app(services, listeners)
            team_id = app.client.auth_test()["team_id"]  # whose written-down work this process may take
        except (BoltError, SlackApiError) as error:
            raise StartupError(f"SLACK_BOT_TOKEN: Slack did not accept the token ({_first_line(error)})") from None
        except OSError as error:  # URLError, timeouts: Slack (or SLACK_API_URL) is unreachable
            raise StartupError(unreachable(settings, error)) from None
    except StartupError as error:
        return _fail(error)

    # SIGTERM (systemd, containers) ends the process like Ctrl-C: the server stops taking
    # requests, the scheduler lets the message in flight finish, and the process exits 0.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    scheduler = ReminderScheduler(services)
    scheduler.start()
    # Work this process did not do (it only acknowledges, WORK_THREADS=0) is left to `python -m bot
    # work`; otherwise a few threads here take over the work of a process that died.
    recovery = None
    if services.work.here:
        recovery = Workers(
            services.db, team_id=team_id, run=replayer(services, listener_client(settings), listeners),
            threads=RECOVERY_THREADS, me=services.work.me, poll=RECOVERY_POLL,
        )  # fmt: skip
        recovery.start()
    try:
        if settings.socket_mode:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            try:
                handler = SocketModeHandler(app, settings.app_token)
                handler.connect()  # raises when Slack refuses the app-level token
                log.info("Shepherd is running in Socket Mode")
                threading.Event().wait()  # the handler's own threads serve; this one waits for SIGTERM
            except SlackApiError as error:
                raise StartupError(
                    f"SLACK_APP_TOKEN: Slack did not accept the app-level token ({error.response.get('error')})"
                ) from None
        else:
            application = wsgi_app(app, services.db, signing_secret=settings.signing_secret or "", work=services.work)
            where = f"{settings.host}:{settings.port}"
            try:
                server = create_server(application, host=settings.host, port=settings.port)
            except OSError as error:  # the port is taken, or needs privileges
                raise StartupError(f"PORT: cannot listen on {where} ({error.strerror or error})") from None
            log.info("Shepherd is listening on %s (POST /slack/events, GET /healthz)", where)  # bound: true now
            server.run()
    except StartupError as error:
        return _fail(error)
    finally:
        scheduler.stop()
        if recovery is not None:
            recovery.stop(leave=False)  # the work threads below sign this process off when done
        services.work.shutdown(wait=True)  # what was acknowledged still happens
    return 0


def work(settings: Settings, listeners: Listeners) -> int:
    """`python -m bot work`: do the work that acknowledging processes (WORK_THREADS=0 there) wrote
    down, WORK_THREADS jobs at a time, until SIGTERM; the jobs started are finished first."""
    try:
        services = Services(settings, open_database(settings))
        client = listener_client(settings)
        team_id = team_of(settings, client)
        run_job = replayer(services, client, listeners)
    except StartupError as error:
        return _fail(error)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    workers = Workers(services.db, team_id=team_id, run=run_job, threads=settings.work_threads or 32, me=worker_id())
    workers.start()
    log.info("Shepherd is working: %s jobs at a time", settings.work_threads or 32)
    try:
        threading.Event().wait()
    finally:
        workers.stop()
        services.work.shutdown(wait=True)
        log.info("worker stopped after %s jobs", workers.done)
    return 0


def remind_once(settings: Settings) -> int:
    """`python -m bot remind`: one whole pass, the one the timer runs (`bot.slack.passes`), then
    exit; it prints what each part did (0 even if Slack deferred some sends)."""
    try:
        services = Services(settings, open_database(settings))
        client = web_client(settings)
        team_id = team_of(settings, client)
    except StartupError as error:
        return _fail(error)
    try:
        summary = run_pass(services, client, utcnow(), team_id=team_id)
    finally:
        services.db.dispose()
    log.info("reminder pass: %s", summary)
    print("\n".join(summary.lines()))
    return 0


def team_of(settings: Settings, client: WebClient) -> str:
    """The workspace the token belongs to (`auth.test`), or a StartupError naming what is wrong."""
    try:
        return str(client.auth_test()["team_id"])
    except SlackApiError as error:
        raise StartupError(f"SLACK_BOT_TOKEN: Slack did not accept the token ({error.response.get('error')})") from None
    except OSError as error:
        raise StartupError(unreachable(settings, error)) from None


def unreachable(settings: Settings, error: Exception) -> str:
    """Name what could not be reached: the configured SLACK_API_URL, or Slack itself."""
    if settings.slack_api_url:
        return f"SLACK_API_URL: cannot reach the Web API at {settings.slack_api_url} ({_first_line(error)})"
    return f"cannot reach Slack (https://slack.com/api/): check this machine's internet access ({_first_line(error)})"


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def _fail(error: Exception) -> int:
    print(f"shepherd: {error}", file=sys.stderr)
    return 2


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
