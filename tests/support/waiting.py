"""Waiting for what a click or command leaves to the work threads, without fixed sleeps."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

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
