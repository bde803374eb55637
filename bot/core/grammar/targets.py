"""How `/project due <date> [reason]` reads: a new target date, proposed to the approvers when
there are any.

>>> from bot.core.grammar import tokenize
>>> target_date(tokenize("next fri the client added a section"))
TargetDate(due_word='next fri', reason='the client added a section')
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.dates import incomplete
from bot.core.errors import BadInput
from bot.core.grammar import Token, join
from bot.core.text import cut, plain


@dataclass(frozen=True)
class TargetDate:
    due_word: str
    reason: str | None = None


def target_date(tokens: list[Token]) -> TargetDate:
    """`due <date> [reason]`: the date is one word, or two when the first needs the second."""
    if not tokens:
        raise BadInput("Give the new target date: `/project due 2027-02-01 the client added a section`.")
    size = 2 if incomplete(tokens[0].raw) and len(tokens) > 1 else 1
    reason = join(tokens[size:])
    return TargetDate(plain(" ".join(t.raw for t in tokens[:size])), cut(reason, 500) if reason else None)
