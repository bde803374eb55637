"""The words of a `/project …` command: what the grammars (`bot.core.grammar` and the ones
beside it) read, in a module of its own so that they need not import each other for it.

>>> [t.raw for t in tokenize('step add "Draft brief" <@U1|ann>')]
['step', 'add', 'Draft brief', '<@U1|ann>']
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.errors import BadInput


@dataclass(frozen=True)
class Token:
    raw: str  # as Slack sent it (quotes removed)
    quoted: bool = False

    @property
    def lower(self) -> str:
        return self.raw.lower()


def tokenize(text: str) -> list[Token]:
    """Split on spaces; "double quotes" (straight or curly) group words, and Slack's own
    `<…>` markup (a mention, or a link whose label has spaces) stays one token."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        buf: list[str] = []
        quoted = False
        while i < n and not text[i].isspace():
            if text[i] in '"“”':
                close = text.find("”" if text[i] == "“" else '"', i + 1)
                if close == -1:
                    close = text.find('"' if text[i] == "“" else "”", i + 1)
                if close == -1:
                    raise BadInput('A quote is missing its closing `"`. Check the quotes and try again.')
                buf.append(text[i + 1 : close])
                quoted = True
                i = close + 1
            elif text[i] == "<" and text.find(">", i) != -1:
                close = text.find(">", i)
                buf.append(text[i : close + 1])
                i = close + 1
            else:
                buf.append(text[i])
                i += 1
        tokens.append(Token("".join(buf), quoted))
    return tokens
