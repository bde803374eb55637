"""The shape of the code, checked: a Slack-free core, modules that do one job, every verb declared whole."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(
    p for folder in ("bot", "handlers", "storage") for p in (ROOT / folder).rglob("*.py") if "migrations" not in p.parts
)


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "bot" / "core").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_core_never_imports_slack_or_what_people_read(path):
    """Domain rules return data or raise errors that carry data; Slack and its markup live elsewhere."""
    for name in imported(path):
        assert not name.startswith(("slack_sdk", "slack_bolt", "bot.messages", "bot.slack", "handlers")), (path, name)


@pytest.mark.parametrize("path", sorted((ROOT / "bot" / "messages").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_builders_are_pure(path):
    """Message builders turn data into payloads; they never call Slack or open a session (slack_sdk's
    models, plain data that names Block Kit's limits, are the one part of it they may read)."""
    for name in imported(path):
        if name.startswith("slack_sdk.models"):
            continue
        assert not name.startswith(("slack_sdk", "slack_bolt", "bot.slack", "handlers", "storage.db")), (path, name)


LISTENERS = ("handlers.approvals", "handlers.new_project", "handlers.reminders", "handlers.commands")


@pytest.mark.parametrize("path", [p for p in SOURCES if "handlers" in p.parts and p.name != "__init__.py"])
def test_no_listener_imports_another(path):
    """Shared flows live in bot/slack; a listener module imports no other listener module."""
    own = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    for name in imported(path):
        assert not (name.startswith(LISTENERS) and not own.startswith(name.split(".", 2)[0] + "." + name.split(".")[1])), (
            own,
            name,
        )


def test_no_module_outside_tests_and_migrations_is_long():
    long = {str(p.relative_to(ROOT)): n for p in SOURCES if (n := len(p.read_text().splitlines())) > 430}
    assert long == {}
