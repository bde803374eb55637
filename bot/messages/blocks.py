"""Block Kit pieces every surface uses, each within Slack's limits, and the reply shapes.

>>> reply("Done.")["response_type"]
'ephemeral'
>>> len(section("x" * 5000)["text"]["text"])
3000
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.core.text import cut
from bot.messages.format import plain_text
from bot.messages.limits import CONTEXT_ELEMENTS_MAX, FIELD_TEXT_MAX, FIELDS_MAX, HEADER_MAX, LIST_MAX, SECTION_MAX

Block = dict[str, Any]
Message = dict[str, Any]


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, SECTION_MAX)}}


def context(*elements: str) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": cut(e, SECTION_MAX)} for e in elements[:CONTEXT_ELEMENTS_MAX]],
    }


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": cut(plain_text(text), HEADER_MAX), "emoji": False}}


def fields(*texts: str) -> Block:
    return {"type": "section", "fields": [{"type": "mrkdwn", "text": cut(t, FIELD_TEXT_MAX)} for t in texts[:FIELDS_MAX]]}


def bulleted(title: str, lines: Sequence[str], *, limit: int = LIST_MAX) -> str:
    """`title` then one bullet per line, cut to `limit` lines (and to a section) with "…and N more"."""
    shown = list(lines[:limit])
    while shown:
        rest = len(lines) - len(shown)
        text = "\n".join([title, *(f"• {line}" for line in shown)]) + (f"\n…and {rest} more" if rest else "")
        if len(text) <= SECTION_MAX:
            return text
        shown.pop()
    return f"{title}\n…{len(lines)} items"


def packed(lines: Sequence[str]) -> list[Block]:
    """Whole lines packed into as few sections as Slack's 3000 characters allow."""
    blocks: list[Block] = []
    current: list[str] = []
    for line in lines:
        if current and len("\n".join([*current, line])) > SECTION_MAX:
            blocks.append(section("\n".join(current)))
            current = []
        current.append(line)
    if current:
        blocks.append(section("\n".join(current)))
    return blocks


def reply(text: str, *, in_channel: bool = False, blocks: list[Block] | None = None) -> Message:
    """A reply to a person: ephemeral unless `in_channel`. `text` is mrkdwn already escaped."""
    return {
        "response_type": "in_channel" if in_channel else "ephemeral",
        "text": cut(text, SECTION_MAX),
        "blocks": blocks or [section(text)],
    }


def modal(*, callback_id: str, metadata: dict[str, Any], title: str, submit: str, blocks: list[Block]) -> dict[str, Any]:
    """A form: its id, what it is about (private metadata), its title and submit label, its blocks."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": json.dumps(metadata),
        "title": {"type": "plain_text", "text": cut(title, 24)},
        "submit": {"type": "plain_text", "text": cut(submit, 24)},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def text_input(
    *, block_id: str, action_id: str, label: str, max_length: int, optional: bool = False, placeholder: str | None = None
) -> Block:
    """A multi-line text field of a form."""
    element: Block = {"type": "plain_text_input", "action_id": action_id, "multiline": True, "max_length": max_length}
    if placeholder:
        element["placeholder"] = {"type": "plain_text", "text": placeholder}
    block: Block = {"type": "input", "block_id": block_id, "label": {"type": "plain_text", "text": label}, "element": element}
    if optional:
        block["optional"] = True
    return block
