"""What the page reports a person chose, turned into what Slack sends: `view.state.values` of a form
and `actions[0]` of a click, taken from the blocks themselves (an option's full object, its type).

>>> blocks = [{"type": "input", "block_id": "b", "element": {"type": "datepicker", "action_id": "d"}}]
>>> state_values(blocks, [{"block": "b", "action": "d", "value": "2026-12-01"}])
{'b': {'d': {'type': 'datepicker', 'selected_date': '2026-12-01'}}}
"""

from __future__ import annotations

import time
from typing import Any

Block = dict[str, Any]


def elements(blocks: list[Block]) -> dict[tuple[str, str], Block]:
    """Every interactive element of `blocks` by (block_id, action_id)."""
    found: dict[tuple[str, str], Block] = {}
    for block in blocks:
        if not isinstance(block, dict):
            continue
        block_id = str(block.get("block_id") or "")
        candidates = []
        if isinstance(block.get("element"), dict):
            candidates.append(block["element"])
        if isinstance(block.get("accessory"), dict):
            candidates.append(block["accessory"])
        candidates += [e for e in block.get("elements") or [] if isinstance(e, dict)]
        for element in candidates:
            if element.get("action_id"):
                found[(block_id, str(element["action_id"]))] = element
    return found


def _option(element: Block, value: str) -> Block | None:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += list(group.get("options") or [])
    return next((o for o in options if isinstance(o, dict) and str(o.get("value")) == value), None)


def chosen(element: Block, value: Any) -> Block:
    """The part of a state entry (or an action) that says what was chosen, by element type."""
    kind = str(element.get("type") or "")
    values = [str(v) for v in value] if isinstance(value, list) else ([str(value)] if value not in (None, "") else [])
    first = values[0] if values else None
    if kind in ("plain_text_input", "email_text_input", "url_text_input", "number_input"):
        return {"value": first}
    if kind == "datepicker":
        return {"selected_date": first}
    if kind == "timepicker":
        return {"selected_time": first}
    if kind == "users_select":
        return {"selected_user": first}
    if kind == "multi_users_select":
        return {"selected_users": values}
    if kind == "conversations_select":
        return {"selected_conversation": first}
    if kind == "channels_select":
        return {"selected_channel": first}
    if kind == "multi_conversations_select":
        return {"selected_conversations": values}
    if kind in ("static_select", "radio_buttons", "overflow", "external_select"):
        return {"selected_option": _option(element, first) if first is not None else None}
    if kind in ("multi_static_select", "checkboxes"):
        return {"selected_options": [o for v in values if (o := _option(element, v)) is not None]}
    return {"value": first}


def state_values(blocks: list[Block], reported: list[dict[str, Any]]) -> dict[str, dict[str, Block]]:
    """`view.state.values`: every input element of the form, whether or not the person touched it."""
    known = elements(blocks)
    given = {(str(r.get("block")), str(r.get("action"))): r.get("value") for r in reported if isinstance(r, dict)}
    values: dict[str, dict[str, Block]] = {}
    for block in blocks:
        if not isinstance(block, dict) or block.get("type") != "input" or not isinstance(block.get("element"), dict):
            continue
        key = (str(block.get("block_id") or ""), str(block["element"].get("action_id") or ""))
        element: Block = known.get(key) or block["element"]
        entry = {"type": element.get("type"), **chosen(element, given.get(key))}
        values.setdefault(key[0], {})[key[1]] = entry
    return values


def action(blocks: list[Block], block_id: str, action_id: str, value: Any) -> Block | None:
    """`actions[0]` of a click on the element (block_id, action_id) of `blocks`; None when no such
    element is there any more (the message changed under the person's pointer)."""
    element = elements(blocks).get((block_id, action_id))
    if element is None:
        return None
    found: Block = {
        "action_id": action_id,
        "block_id": block_id,
        "type": element.get("type"),
        "action_ts": f"{time.time():.6f}",
    }
    if element.get("type") == "button":
        found["value"] = element.get("value", "")
        found["text"] = element.get("text") or {"type": "plain_text", "text": ""}
        if element.get("style"):
            found["style"] = element["style"]
    else:
        found.update(chosen(element, value))
    return found


def missing(blocks: list[Block], values: dict[str, dict[str, Block]]) -> dict[str, str]:
    """Required inputs left empty: Slack's client refuses to send those forms and says so itself."""
    errors: dict[str, str] = {}
    for block in blocks:
        if not isinstance(block, dict) or block.get("type") != "input" or block.get("optional"):
            continue
        block_id = str(block.get("block_id") or "")
        for entry in values.get(block_id, {}).values():
            chosen_values = [v for k, v in entry.items() if k != "type"]
            if all(v in (None, "", []) for v in chosen_values):
                errors[block_id] = "Please complete this required field."
    return errors
