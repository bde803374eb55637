"""Shepherd's settings: read once from the environment (and `.env`), checked, typed.

settings = Settings.from_env()        # raises SettingsError("SLACK_BOT_TOKEN is required ...")
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.core.dates import WEEKDAY_ABBREVIATIONS, weekday_named

WEEKDAYS = WEEKDAY_ABBREVIATIONS


class SettingsError(Exception):
    """A setting is missing or unreadable; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    bot_token: str
    signing_secret: str | None = None
    app_token: str | None = None
    port: int = 3000
    host: str = "0.0.0.0"
    database_url: str = "sqlite:///shepherd.db"
    slack_api_url: str | None = None
    default_tz: str = "UTC"
    work_start: time = time(9, 0)
    work_end: time = time(18, 0)
    work_days: frozenset[int] = frozenset(range(5))  # Monday=0 … Friday=4
    nudge_time: time = time(9, 30)
    reminder_interval: int = 60
    reminder_concurrency: int = 8
    work_threads: int = 32  # threads doing acknowledged work here; 0: `python -m bot work` processes do it
    approval_chase_days: int = 2
    escalate_after_days: int = 3
    slip_alert_days: int = 3
    client_update_day: int = 4  # the weekly client update's draft: Friday (Monday=0) …
    client_update_time: time = time(15, 0)  # … at 15:00, project-local

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, env_file: str | None = ".env") -> Settings:
        """Real environment variables win over `.env`; blank values count as unset."""
        values: dict[str, str] = {}
        if env_file and os.path.exists(env_file):
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ if environ is None else environ)
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> Settings:
        def get(name: str) -> str | None:
            value = env.get(name)
            return value.strip() if value and value.strip() else None

        bot_token = get("SLACK_BOT_TOKEN")
        if not bot_token:
            raise SettingsError("SLACK_BOT_TOKEN is required (the bot token, xoxb-…).")
        if not bot_token.startswith("xoxb-"):
            raise SettingsError("SLACK_BOT_TOKEN does not look like a Slack bot token (it should start with xoxb-).")
        app_token = get("SLACK_APP_TOKEN")
        if app_token and not app_token.startswith("xapp-"):
            raise SettingsError("SLACK_APP_TOKEN must be an app-level token starting with xapp-, or unset for HTTP mode.")
        signing_secret = get("SLACK_SIGNING_SECRET")
        if not app_token and not signing_secret:
            raise SettingsError("SLACK_SIGNING_SECRET is required in HTTP mode (set it, or set SLACK_APP_TOKEN for Socket Mode).")

        work_start, work_end = _work_hours(get("WORK_HOURS") or "09:00-18:00")
        nudge_time = _clock("NUDGE_TIME", get("NUDGE_TIME") or "09:30")
        if not work_start <= nudge_time < work_end:
            raise SettingsError(
                f"NUDGE_TIME must fall inside WORK_HOURS ({work_start:%H:%M}-{work_end:%H:%M}), got {nudge_time:%H:%M}: "
                "the digest waits for working hours, so it would never be sent."
            )
        slack_api_url = get("SLACK_API_URL")
        if slack_api_url:
            if not re.match(r"^https?://", slack_api_url):
                raise SettingsError("SLACK_API_URL must be an http(s) URL, e.g. https://slack.com/api/.")
            slack_api_url = slack_api_url.rstrip("/") + "/"
        return cls(
            bot_token=bot_token,
            signing_secret=signing_secret,
            app_token=app_token,
            port=_int("PORT", get("PORT"), 3000, low=1, high=65535),
            host=_host(get("HOST") or "0.0.0.0"),
            database_url=_database_url(get("DATABASE_URL") or "sqlite:///shepherd.db"),
            slack_api_url=slack_api_url,
            default_tz=_tz("DEFAULT_TZ", get("DEFAULT_TZ") or "UTC"),
            work_start=work_start,
            work_end=work_end,
            work_days=_work_days(get("WORK_DAYS") or "mon-fri"),
            nudge_time=nudge_time,
            reminder_interval=_int("REMINDER_INTERVAL", get("REMINDER_INTERVAL"), 60, low=5, high=86400),
            reminder_concurrency=_int("REMINDER_CONCURRENCY", get("REMINDER_CONCURRENCY"), 8, low=1, high=64),
            work_threads=_int("WORK_THREADS", get("WORK_THREADS"), 32, low=0, high=256),
            approval_chase_days=_int("APPROVAL_CHASE_DAYS", get("APPROVAL_CHASE_DAYS"), 2, low=0, high=60),
            escalate_after_days=_int("ESCALATE_AFTER_DAYS", get("ESCALATE_AFTER_DAYS"), 3, low=0, high=60),
            slip_alert_days=_int("SLIP_ALERT_DAYS", get("SLIP_ALERT_DAYS"), 3, low=1, high=60),
            client_update_day=_weekday("CLIENT_UPDATE_DAY", get("CLIENT_UPDATE_DAY") or "fri"),
            client_update_time=_clock("CLIENT_UPDATE_TIME", get("CLIENT_UPDATE_TIME") or "15:00"),
        )


def _int(name: str, raw: str | None, default: int, *, low: int, high: int) -> int:
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}.") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}.")
    return value


def _clock(name: str, raw: str) -> time:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", raw)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise SettingsError(f"{name} must be a time like 09:30, got {raw!r}.")
    return time(int(match[1]), int(match[2]))


def _work_hours(raw: str) -> tuple[time, time]:
    parts = raw.replace(" ", "").replace("–", "-").split("-")
    form = f"WORK_HOURS must be two 24-hour times like 09:00-18:00, got {raw!r}."
    if len(parts) != 2:
        raise SettingsError(form)
    try:
        start, end = (_clock("WORK_HOURS", part) for part in parts)
    except SettingsError:
        raise SettingsError(form) from None
    if start >= end:
        raise SettingsError(f"WORK_HOURS must start before it ends, got {raw!r}.")
    return start, end


def _work_days(raw: str) -> frozenset[int]:
    days: set[int] = set()
    for part in raw.lower().replace(" ", "").split(","):
        bounds = part.split("-")
        if not part or len(bounds) > 2 or any(b[:3] not in WEEKDAYS for b in bounds):
            raise SettingsError(f"WORK_DAYS must look like mon-fri or mon,tue,thu, got {raw!r}.")
        first, last = WEEKDAYS.index(bounds[0][:3]), WEEKDAYS.index(bounds[-1][:3])
        day = first
        days.add(day)
        while day != last:  # ranges may wrap, e.g. sun-thu
            day = (day + 1) % 7
            days.add(day)
    return frozenset(days)


def _weekday(name: str, raw: str) -> int:
    found = weekday_named(raw)
    if found is None:
        raise SettingsError(f"{name} must be a day of the week like fri or friday, got {raw!r}.")
    return found


def _host(raw: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9.:\-\[\]]{1,255}", raw):
        raise SettingsError(f"HOST must be an address to listen on, like 0.0.0.0 or 127.0.0.1, got {raw!r}.")
    return raw.strip("[]")


def _tz(name: str, raw: str) -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"{name} must be an IANA time zone like Europe/London, got {raw!r}.") from None
    return raw


def _database_url(raw: str) -> str:
    shown = raw.split("@")[-1]  # never print a password
    if not re.match(r"^(sqlite|postgres(ql)?)(\+\w+)?://", raw):
        raise SettingsError(f"DATABASE_URL must be a sqlite:/// or postgresql:// URL, got {shown!r}.")
    # Plain postgresql:// and postgres:// mean psycopg 3 here (psycopg2 is not installed).
    url = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", raw)
    try:
        make_url(url)
    except (ArgumentError, ValueError):
        raise SettingsError(f"DATABASE_URL is not a valid database URL: {shown!r}.") from None
    return url
