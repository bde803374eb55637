"""`/project help`: one line per declared verb, generated from the declarations.

>>> help_message([("status [project]", "the status card")])["text"].splitlines()[1]
'• `/project status [project]`: the status card'
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.messages.blocks import Message, reply
from bot.messages.format import code

DATE_HELP = (
    "Dates: `2026-12-01`, `today`, `tomorrow`, `fri` (the next Friday), `next fri` (the one after), "
    "`+3d`, `+2w`, `+1m`, `eow` (end of this working week), `dec 5` or `5 dec`."
)


def help_message(lines: Sequence[tuple[str, str]], *, unknown: str | None = None, suggestion: str | None = None) -> Message:
    """`lines`: (usage, what it does) per verb, in the order to show them."""
    if unknown:
        meant = f" Did you mean `/project {suggestion}`?" if suggestion else ""
        intro = f"I don't know {code(unknown)}.{meant} Here is what I can do:"
    else:
        intro = "*Shepherd* keeps client projects moving. Commands:"
    return reply("\n".join([intro, *(f"• `/project {usage}`: {does}" for usage, does in lines), DATE_HELP]))
