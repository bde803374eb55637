"""How `/project internal #channel` reads (who the client is, `client add @u`, reads as people)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.errors import BadInput
from bot.core.grammar import Token, channel


@dataclass(frozen=True)
class Channel:
    channel_id: str


def internal(tokens: list[Token]) -> Channel:
    if not tokens:
        raise BadInput("Which channel? Pick one with #: `/project internal #acme-team`.")
    return Channel(channel(tokens, "/project internal #acme-team"))
