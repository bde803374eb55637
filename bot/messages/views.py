"""Transitional: the builders moved to one module per surface (blocks, status, projects, help)."""

from bot.messages.blocks import Block, Message, bulleted, context, header, reply, section  # noqa: F401
from bot.messages.format import day, days_text  # noqa: F401
from bot.messages.limits import LIST_MAX, LIST_SHOWN, SECTION_MAX  # noqa: F401
from bot.messages.status import status_card  # noqa: F401
