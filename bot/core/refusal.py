"""The base of every refusal the core raises (`bot.core.errors` and `bot.core.closing_errors`
define them, and the first re-exports the second's): a module of its own, so that neither of
those imports the other back."""

from __future__ import annotations


class UserError(Exception):
    """Something the user can fix or should know; nothing was changed. Subclasses carry the facts."""

    def __str__(self) -> str:  # logs and test failures; people see `bot.messages.errors.error_text`
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"
