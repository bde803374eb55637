"""Block Kit as HTML: every block and element Shepherd sends, drawn the way Slack draws them.

Interactive elements carry `data-block` / `data-action` / `data-kind` for the page's script, which
sends what a person does back as Slack would (see `bot/playground/state.py`). Text from the
payload only ever reaches the HTML escaped.

>>> look = Look()
>>> blocks_to_html([{"type": "divider"}], look)
'<div class="bk-blocks"><hr class="bk-divider"></div>'
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.playground.mrkdwn import plain_to_html, to_html

Block = dict[str, Any]


@dataclass(frozen=True)
class Look:
    """What a reader's client knows besides the blocks: names for ids, their zone, who and which
    channels a select offers, and the errors a form was answered with."""

    names: Callable[[str], str | None] = lambda _: None
    channels: Callable[[str], str | None] = lambda _: None
    tz: str = "UTC"
    people: tuple[tuple[str, str], ...] = ()  # (id, name) for user selects
    rooms: tuple[tuple[str, str], ...] = ()  # (id, name) for channel selects
    errors: dict[str, str] = field(default_factory=dict)  # block_id → message


def _a(value: Any) -> str:
    """An attribute value, quoted."""
    return '"' + html.escape(str(value), quote=True) + '"'


def text_html(obj: Any, look: Look) -> str:
    """A text object (mrkdwn or plain_text), or a bare string as plain text."""
    if isinstance(obj, str):
        return plain_to_html(obj)
    if not isinstance(obj, dict):
        return ""
    raw = str(obj.get("text") or "")
    if obj.get("type") == "mrkdwn":
        return to_html(raw, names=look.names, channels=look.channels, tz=look.tz)
    return plain_to_html(raw)


def blocks_to_html(blocks: list[Block], look: Look) -> str:
    return '<div class="bk-blocks">' + "".join(block_html(b, look) for b in blocks if isinstance(b, dict)) + "</div>"


def block_html(block: Block, look: Look) -> str:
    kind = block.get("type")
    block_id = str(block.get("block_id") or "")
    if kind == "divider":
        return '<hr class="bk-divider">'
    render = _BLOCKS.get(str(kind))
    if render is None:
        return f'<div class="bk-unknown">[{html.escape(str(kind))} block]</div>'
    return f'<div class="bk-block bk-{html.escape(str(kind))}" data-block={_a(block_id)}>{render(block, look)}</div>'


def _section(block: Block, look: Look) -> str:
    parts = []
    if block.get("text"):
        parts.append(f'<div class="bk-text">{text_html(block["text"], look)}</div>')
    if block.get("fields"):
        cells = "".join(f'<div class="bk-field">{text_html(f, look)}</div>' for f in block["fields"])
        parts.append(f'<div class="bk-fields">{cells}</div>')
    body = f'<div class="bk-main">{"".join(parts)}</div>'
    accessory = block.get("accessory")
    if isinstance(accessory, dict):
        body += f'<div class="bk-accessory">{element_html(accessory, look)}</div>'
    return body


def _header(block: Block, look: Look) -> str:
    return f'<div class="bk-header-text">{text_html(block.get("text"), look)}</div>'


def _context(block: Block, look: Look) -> str:
    items = []
    for element in block.get("elements") or []:
        if isinstance(element, dict) and element.get("type") == "image":
            items.append(_image_tag(element, "bk-context-image"))
        else:
            items.append(f"<span>{text_html(element, look)}</span>")
    return "".join(items)


def _actions(block: Block, look: Look) -> str:
    return "".join(element_html(e, look) for e in block.get("elements") or [] if isinstance(e, dict))


def _image(block: Block, look: Look) -> str:
    title = f'<div class="bk-image-title">{text_html(block["title"], look)}</div>' if block.get("title") else ""
    return title + _image_tag(block, "bk-image-img")


def _image_tag(element: Block, cls: str) -> str:
    url = str(element.get("image_url") or "")
    if not url.startswith(("https://", "http://", "/")):
        url = ""
    return f'<img class="{cls}" src={_a(url)} alt={_a(element.get("alt_text") or "")}>'


def _input(block: Block, look: Look) -> str:
    block_id = str(block.get("block_id") or "")
    optional = ' <span class="bk-optional">(optional)</span>' if block.get("optional") else ""
    label = f'<label class="bk-label">{text_html(block.get("label"), look)}{optional}</label>'
    element = block.get("element") if isinstance(block.get("element"), dict) else {}
    hint = f'<div class="bk-hint">{text_html(block["hint"], look)}</div>' if block.get("hint") else ""
    error = look.errors.get(block_id)
    shown = f'<div class="bk-error">{html.escape(error)}</div>' if error else ""
    return label + element_html(element or {}, look, in_input=True) + hint + shown


def _rich_text(block: Block, look: Look) -> str:
    return '<div class="bk-text">[rich text]</div>'


_BLOCKS: dict[str, Callable[[Block, Look], str]] = {
    "section": _section,
    "header": _header,
    "context": _context,
    "actions": _actions,
    "image": _image,
    "input": _input,
    "rich_text": _rich_text,
}


def element_html(element: Block, look: Look, *, in_input: bool = False) -> str:
    """One interactive element; `in_input` ones only keep their state until the form is sent."""
    kind = str(element.get("type") or "")
    action_id = str(element.get("action_id") or "")
    data = f"data-action={_a(action_id)} data-kind={_a(kind)}" + (" data-input" if in_input else "")
    placeholder = text_html(element.get("placeholder"), look) if element.get("placeholder") else ""
    if kind == "button":
        style = str(element.get("style") or "")
        css = "bk-btn" + (f" bk-{style}" if style in ("primary", "danger") else "")
        value = element.get("value") or ""
        url = element.get("url")
        href = f" data-url={_a(url)}" if isinstance(url, str) and url.startswith(("http://", "https://")) else ""
        return f'<button class="{css}" {data} data-value={_a(value)}{href}>{text_html(element.get("text"), look)}</button>'
    if kind in ("static_select", "overflow", "external_select"):
        options = _options(element, look, initial=_initial_values(element))
        first = "" if kind == "overflow" else f'<option value="">{placeholder or "Select an item"}</option>'
        return f'<select class="bk-select" {data}>{first}{options}</select>'
    if kind in ("multi_static_select", "checkboxes"):
        return _choices(element, look, data, "checkbox")
    if kind == "radio_buttons":
        return _choices(element, look, data, "radio")
    if kind in ("users_select", "multi_users_select", "conversations_select", "channels_select", "multi_conversations_select"):
        return _pick(element, look, data, kind, placeholder)
    if kind == "datepicker":
        return f'<input class="bk-control" type="date" {data} value={_a(element.get("initial_date") or "")}>'
    if kind == "timepicker":
        return f'<input class="bk-control" type="time" {data} value={_a(element.get("initial_time") or "")}>'
    if kind in ("plain_text_input", "email_text_input", "url_text_input", "number_input"):
        return _text_field(element, data, kind, placeholder)
    if kind == "image":
        return _image_tag(element, "bk-accessory-image")
    return f'<span class="bk-unknown">[{html.escape(kind)}]</span>'


def _text_field(element: Block, data: str, kind: str, placeholder: str) -> str:
    initial = str(element.get("initial_value") or "")
    limit = f" maxlength={_a(element['max_length'])}" if element.get("max_length") else ""
    hold = f" placeholder={_a(html.unescape(placeholder))}" if placeholder else ""
    if element.get("multiline"):
        return f'<textarea class="bk-control bk-textarea" rows="4" {data}{limit}{hold}>{html.escape(initial)}</textarea>'
    kind_of = {"email_text_input": "email", "url_text_input": "url", "number_input": "number"}.get(kind, "text")
    return f'<input class="bk-control" type="{kind_of}" {data}{limit}{hold} value={_a(initial)}>'


def _initial_values(element: Block) -> set[str]:
    chosen = element.get("initial_options") or ([element["initial_option"]] if element.get("initial_option") else [])
    return {str(o.get("value")) for o in chosen if isinstance(o, dict)}


def _flat_options(element: Block) -> list[Block]:
    found = [o for o in element.get("options") or [] if isinstance(o, dict)]
    for group in element.get("option_groups") or []:
        found += [o for o in group.get("options") or [] if isinstance(o, dict)]
    return found


def _options(element: Block, look: Look, *, initial: set[str]) -> str:
    def one(option: Block) -> str:
        chosen = " selected" if str(option.get("value")) in initial else ""
        return f"<option value={_a(option.get('value') or '')}{chosen}>{text_html(option.get('text'), look)}</option>"

    groups = element.get("option_groups")
    if groups:
        return "".join(
            f"<optgroup label={_a(html.unescape(text_html(g.get('label'), look)))}>"
            + "".join(one(o) for o in g.get("options") or [])
            + "</optgroup>"
            for g in groups
        )
    return "".join(one(o) for o in element.get("options") or [] if isinstance(o, dict))


def _choices(element: Block, look: Look, data: str, kind: str) -> str:
    initial = _initial_values(element)
    name = html.escape(json.dumps(id(element)))
    rows = []
    for option in _flat_options(element):
        value = str(option.get("value") or "")
        checked = " checked" if value in initial else ""
        described = f'<div class="bk-hint">{text_html(option["description"], look)}</div>' if option.get("description") else ""
        rows.append(
            f'<label class="bk-choice"><input type="{kind}" name="c{name}" value={_a(value)}{checked}>'
            f"<span>{text_html(option.get('text'), look)}{described}</span></label>"
        )
    return f'<div class="bk-choices" {data}>{"".join(rows)}</div>'


def _pick(element: Block, look: Look, data: str, kind: str, placeholder: str) -> str:
    people = kind in ("users_select", "multi_users_select")
    pool = look.people if people else look.rooms
    initial = set(
        element.get("initial_users")
        or element.get("initial_conversations")
        or element.get("initial_channels")
        or [element.get("initial_user") or element.get("initial_conversation") or element.get("initial_channel") or ""]
    )
    prefix = "" if people else "#"
    options = "".join(
        f"<option value={_a(key)}{' selected' if key in initial else ''}>{prefix}{html.escape(name)}</option>"
        for key, name in pool
    )
    if kind.startswith("multi_"):
        return f'<select class="bk-select bk-multi" multiple size="4" {data}>{options}</select>'
    first = f'<option value="">{placeholder or ("Select a person" if people else "Select a channel")}</option>'
    return f'<select class="bk-select" {data}>{first}{options}</select>'
