"""Every stored time is an aware UTC datetime, so a naive one compared with it (or bound to a query
on it) fails at run time: `datetime.max`/`datetime.min`, `datetime.now()` without a zone, the
stdlib's `utcnow()`/`utcfromtimestamp()`/`today()`, `fromtimestamp()` without a zone and a
`datetime(...)` or `datetime.combine(...)` without `tzinfo` are kept out of the code that reads and
writes them. The clock is `storage.models.utcnow()` (aware, and steered by freezegun in tests)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(p for folder in ("bot", "handlers", "storage") for p in (ROOT / folder).rglob("*.py"))
ALWAYS_NAIVE = {"utcnow", "utcfromtimestamp", "today"}  # the stdlib's: never aware


def is_datetime(node: ast.expr) -> bool:
    """`datetime` or `<module>.datetime` (the class, as imported either way)."""
    return (isinstance(node, ast.Name) and node.id == "datetime") or (isinstance(node, ast.Attribute) and node.attr == "datetime")


def has_zone(call: ast.Call, *, positional: int) -> bool:
    """Whether the call is given a zone: `tz`/`tzinfo` by keyword, or the positional at that index."""
    return len(call.args) > positional or any(k.arg in ("tz", "tzinfo") or k.arg is None for k in call.keywords)


def naive_uses(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in ("max", "min") and is_datetime(node.value):
            found.append((node.lineno, f"datetime.{node.attr} (naive)"))
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if is_datetime(func) and not has_zone(node, positional=7):
            found.append((node.lineno, "datetime(...) without tzinfo"))
        if isinstance(func, ast.Attribute) and is_datetime(func.value):
            if func.attr in ALWAYS_NAIVE:
                found.append((node.lineno, f"datetime.{func.attr}() (naive)"))
            elif func.attr == "now" and not has_zone(node, positional=0):
                found.append((node.lineno, "datetime.now() without a zone"))
            elif func.attr == "fromtimestamp" and not has_zone(node, positional=1):
                found.append((node.lineno, "datetime.fromtimestamp() without a zone"))
            elif func.attr == "combine" and not has_zone(node, positional=2):
                found.append((node.lineno, "datetime.combine() without tzinfo"))
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_naive_datetime_is_made_where_stored_times_are_read_and_written(path):
    assert naive_uses(path.read_text()) == [], path


@pytest.mark.parametrize(
    "line",
    [
        "x = col(P.refresh_due_at) <= (p.refresh_due_at or datetime.max)",
        "start = datetime.min",
        "now = datetime.now()",
        "now = dt.datetime.utcnow()",
        "when = datetime.fromtimestamp(ts)",
        "day = datetime(2026, 12, 1, 9)",
        "at = datetime.combine(d, t)",
    ],
)
def test_the_check_catches_each_naive_form(line):
    assert naive_uses(line)


@pytest.mark.parametrize(
    "line",
    [
        "now = datetime.now(UTC)",
        "when = datetime.fromtimestamp(ts, tz=UTC)",
        "day = datetime(2026, 12, 1, 9, tzinfo=UTC)",
        "at = datetime.combine(d, t, tzinfo=zone)",
        "last = date.max",
        "now = utcnow()",
    ],
)
def test_aware_forms_pass(line):
    assert naive_uses(line) == []
