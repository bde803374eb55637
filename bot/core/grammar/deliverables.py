"""How `/project deliverable <title> [link] [for:#n]` reads.

>>> from bot.core.grammar import tokenize
>>> deliverable(tokenize("Homepage design <https://figma.com/x|figma> for:#3"))
Submit(title='Homepage design', link='https://figma.com/x', step_number=3)
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.errors import BadInput
from bot.core.grammar import TITLE_MAX, Token, join, numbers, options
from bot.core.text import cut, link_url


@dataclass(frozen=True)
class Submit:
    title: str
    link: str | None = None
    step_number: int | None = None  # `for:#n`: approving it completes step #n


def deliverable(tokens: list[Token]) -> Submit:
    words, given = options(tokens)
    for key in given:
        if key != "for":
            raise BadInput("{word} doesn't apply to deliverables; use `for:#3` to tie it to a step.", f"{key}:")
    link = link_url(words[-1].raw) if words else None
    title = join(words[:-1] if link else words)
    if not title:
        raise BadInput('Name the deliverable: `/project deliverable "Homepage design" https://link`.')
    step = numbers(given["for"], "for:#3")[0] if "for" in given else None
    return Submit(cut(title, TITLE_MAX), link, step)
