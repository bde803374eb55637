"""The demo workspace, made the way people would make it: signed commands and clicks through the app."""

from __future__ import annotations

from bot.playground.actions import Playground


def seed(play: Playground) -> None:
    """Filled in below."""
