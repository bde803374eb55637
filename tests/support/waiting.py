"""Waiting for what a click or command leaves to the work threads, without fixed sleeps."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol, TypeVar

T = TypeVar("T")


def eventually(check: Callable[[], T], timeout: float = 5.0) -> T:
    """`check()` once it is truthy, or its last (falsy) answer after `timeout` seconds, for the
    caller's assert to report."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


class Busy(Protocol):
    def stats(self) -> dict[str, int]: ...


class Quiet(Protocol):
    def quiet_for(self) -> float: ...


def settled(slack: Quiet, *backlogs: Busy, quiet: float = 0.3, timeout: float = 15.0) -> None:
    """Return once every backlog is empty and the Slack stand-in has heard nothing for `quiet`
    seconds; fail the test if that never happens within `timeout`.

    Use it before asserting that something did *not* happen: it waits for the work that was
    handed on, however loaded the machine, instead of hoping a fixed sleep was long enough.

        bot.command("step done #1", user="U0CLIENT")
        settled(slack, bot.services.work)
        assert slack.calls_to("chat.postMessage") == []
    """
    deadline = time.monotonic() + timeout
    while True:
        # Idle before and after the quiet check: work that started meanwhile is not missed.
        if _idle(backlogs) and slack.quiet_for() >= quiet and _idle(backlogs):
            return
        if time.monotonic() > deadline:
            stats = [b.stats() for b in backlogs]
            raise AssertionError(f"the bot did not settle in {timeout}s: backlogs {stats}, Slack quiet {slack.quiet_for():.2f}s")
        time.sleep(0.02)


def _idle(backlogs: tuple[Busy, ...]) -> bool:
    return all(not (stats["queued"] or stats["running"]) for stats in (b.stats() for b in backlogs))
