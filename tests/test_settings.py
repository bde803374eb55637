"""Settings: read from the environment and `.env`, checked, one clear line when wrong."""

from __future__ import annotations

import subprocess
import sys
from datetime import time
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError
from tests.support.slack_stub import SlackStub

ROOT = Path(__file__).resolve().parent.parent
HTTP = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}


def test_defaults_match_the_product_spec():
    settings = Settings.from_mapping(HTTP)
    assert not settings.socket_mode and settings.port == 3000
    assert settings.database_url == "sqlite:///shepherd.db"
    assert (settings.work_start, settings.work_end, settings.work_days) == (time(9), time(18), frozenset(range(5)))
    assert settings.nudge_time == time(9, 30) and settings.reminder_interval == 60
    assert (settings.approval_chase_days, settings.escalate_after_days, settings.default_tz) == (2, 3, "UTC")


def test_every_setting_is_read():
    settings = Settings.from_mapping(
        {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_APP_TOKEN": "xapp-1",
            "PORT": "8080",
            "DATABASE_URL": "postgresql://u:p@db/shepherd",
            "SLACK_API_URL": "http://127.0.0.1:9000/api",
            "DEFAULT_TZ": "Europe/Paris",
            "WORK_HOURS": "08:30-17:00",
            "WORK_DAYS": "sun-thu",
            "NUDGE_TIME": "10:00",
            "REMINDER_INTERVAL": "30",
            "APPROVAL_CHASE_DAYS": "1",
            "ESCALATE_AFTER_DAYS": "5",
        }
    )
    assert settings.socket_mode and settings.signing_secret is None and settings.port == 8080
    assert settings.database_url == "postgresql+psycopg://u:p@db/shepherd"
    assert settings.slack_api_url == "http://127.0.0.1:9000/api/"
    assert settings.work_days == frozenset({6, 0, 1, 2, 3})
    assert (settings.work_start, settings.work_end, settings.nudge_time) == (time(8, 30), time(17), time(10))
    assert (settings.reminder_interval, settings.approval_chase_days, settings.escalate_after_days) == (30, 1, 5)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "nope", "SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({**HTTP, "SLACK_APP_TOKEN": "xoxb-wrong"}, "SLACK_APP_TOKEN"),
        ({**HTTP, "PORT": "eighty"}, "PORT"),
        ({**HTTP, "PORT": "70000"}, "PORT"),
        ({**HTTP, "DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({**HTTP, "SLACK_API_URL": "slack.com"}, "SLACK_API_URL"),
        ({**HTTP, "DEFAULT_TZ": "Mars/Olympus"}, "DEFAULT_TZ"),
        ({**HTTP, "WORK_HOURS": "9-5"}, "WORK_HOURS"),
        ({**HTTP, "WORK_HOURS": "18:00-09:00"}, "WORK_HOURS"),
        ({**HTTP, "WORK_DAYS": "weekdays"}, "WORK_DAYS"),
        ({**HTTP, "NUDGE_TIME": "25:00"}, "NUDGE_TIME"),
        ({**HTTP, "NUDGE_TIME": "18:30"}, "NUDGE_TIME"),
        ({**HTTP, "DATABASE_URL": "postgresql://u@h:notaport/db"}, "DATABASE_URL"),
        ({**HTTP, "REMINDER_INTERVAL": "0"}, "REMINDER_INTERVAL"),
        ({**HTTP, "APPROVAL_CHASE_DAYS": "-1"}, "APPROVAL_CHASE_DAYS"),
        ({**HTTP, "ESCALATE_AFTER_DAYS": "x"}, "ESCALATE_AFTER_DAYS"),
    ],
)
def test_a_bad_or_missing_setting_names_the_variable(env, variable):
    with pytest.raises(SettingsError) as error:
        Settings.from_mapping(env)
    assert str(error.value).startswith(variable)


def test_real_environment_wins_over_dotenv(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("SLACK_BOT_TOKEN=xoxb-from-file\nSLACK_SIGNING_SECRET=file-secret\nPORT=4000\n")
    settings = Settings.from_env({"PORT": "5000"}, env_file=str(env_file))
    assert (settings.bot_token, settings.signing_secret, settings.port) == ("xoxb-from-file", "file-secret", 5000)


def test_start_up_with_a_bad_setting_prints_one_line_and_exits_non_zero(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,  # no .env here
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "s",
            "WORK_DAYS": "someday",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["shepherd: WORK_DAYS must look like mon-fri or mon,tue,thu, got 'someday'."]
    assert "Traceback" not in result.stderr + result.stdout


def test_a_port_already_in_use_is_one_clear_line(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        stub_env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s"}
        with SlackStub() as slack:
            result = subprocess.run(
                [sys.executable, "-m", "bot"],
                cwd=tmp_path,
                env={**stub_env, "SLACK_API_URL": slack.api_url, "PORT": str(port), "DATABASE_URL": f"sqlite:///{tmp_path}/s.db"},
                capture_output=True,
                text=True,
                timeout=60,
            )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith(f"shepherd: PORT: cannot listen on 0.0.0.0:{port}")
    assert "Traceback" not in result.stderr
    assert "listening" not in result.stderr  # said only once it is true
    assert "will be unused" not in result.stderr  # Bolt's warning about the token we pass as a client


def test_a_rejected_app_token_in_socket_mode_is_one_clear_line(tmp_path):
    with SlackStub() as slack:
        slack.fail("apps.connections.open", error="invalid_auth", times=10)
        env = {
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_APP_TOKEN": "xapp-rejected",
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": f"sqlite:///{tmp_path}/s.db",
        }
        result = subprocess.run([sys.executable, "-m", "bot"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert (
        result.stderr.strip().splitlines()[-1]
        == "shepherd: SLACK_APP_TOKEN: Slack did not accept the app-level token (invalid_auth)"
    )


def test_work_hours_typed_loosely_get_the_accepted_form():
    with pytest.raises(SettingsError) as error:
        Settings.from_mapping({**HTTP, "WORK_HOURS": "9-5"})
    assert str(error.value) == "WORK_HOURS must be two 24-hour times like 09:00-18:00, got '9-5'."


def test_host_binds_the_http_server_to_an_address():
    assert Settings.from_mapping(HTTP).host == "0.0.0.0"
    assert Settings.from_mapping({**HTTP, "HOST": "127.0.0.1"}).host == "127.0.0.1"
    with pytest.raises(SettingsError):
        Settings.from_mapping({**HTTP, "HOST": "not an address!"})


def test_when_slack_is_unreachable_start_up_names_slack_or_the_configured_url():
    from bot.slack.runner import unreachable

    error = OSError("Connection refused")
    assert unreachable(Settings.from_mapping(HTTP), error).startswith("cannot reach Slack (https://slack.com/api/)")
    custom = Settings.from_mapping({**HTTP, "SLACK_API_URL": "http://127.0.0.1:9/api"})
    assert unreachable(custom, error).startswith("SLACK_API_URL: cannot reach the Web API at http://127.0.0.1:9/api/")


def test_shepherd_help_describes_its_three_commands():
    result = subprocess.run([sys.executable, "-m", "bot", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for command in ("run", "migrate", "remind"):
        assert f"  {command}  " in result.stdout
