"""Reading what Slack would show: the text of a message, and Block Kit validity via slack_sdk."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View


def text_of(message: dict) -> str:
    """Every piece of text a person could read in a message or view payload, joined by newlines."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                parts.append(node["text"])
            for value in node.values():
                if isinstance(value, (dict, list)):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks", []))
    if not parts and isinstance(message.get("text"), str):
        parts.append(message["text"])
    return "\n".join(parts)


def assert_valid_blocks(blocks: list[dict], *, limit: int = 50) -> None:
    """Slack's own model classes check every length limit; this raises if any is broken."""
    assert len(blocks) <= limit, f"{len(blocks)} blocks, Slack allows {limit}"
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.validate_json()


def assert_valid_view(view: dict) -> None:
    View(**view).validate_json()
    assert_valid_blocks(view["blocks"], limit=100)
