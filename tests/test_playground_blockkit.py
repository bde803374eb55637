"""The playground draws Block Kit as Slack does, and no text in a payload can become markup."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot.playground.blockkit import Look, blocks_to_html
from bot.playground.mrkdwn import to_html
from bot.playground.state import action, missing, state_values

NAMES = {"U0ANN": "Ann <b>Lee</b>", "U0BOB": "Bob"}
LOOK = Look(
    names=NAMES.get,
    channels={"C0WEB": "web"}.get,
    tz="Europe/London",
    people=(("U0ANN", "Ann"), ("U0BOB", "Bob")),
    rooms=(("C0WEB", "web"),),
)


def html_of(*blocks: dict) -> str:
    return blocks_to_html(list(blocks), LOOK)


def tags(fragment: str) -> set[str]:
    return set(re.findall(r"<([a-z0-9]+)[\s>]", fragment))


@pytest.mark.parametrize(
    "text",
    [
        "&lt;script&gt;alert(1)&lt;/script&gt;",  # escaped as Shepherd sends it
        "<script>alert(1)</script>",  # not escaped: still only text
        "<img src=x onerror=alert(1)>",
        '*bold <b onclick="x">* _<i>_',
        "`<code>` ```<pre>```",
        "<javascript:alert(1)|click me>",
        '<https://example.com/"onmouseover="x|label>',
        "\x00<script>\x00",
    ],
)
def test_text_in_mrkdwn_never_becomes_markup(text):
    shown = to_html(text, names=NAMES.get)
    assert tags(shown) <= {"b", "i", "s", "code", "pre", "a", "span", "br"}
    assert "<script" not in shown and "<img" not in shown and not re.search(r"<[^>]*onclick", shown)
    assert 'href="javascript' not in shown
    assert not re.search(r'href="[^"]*"[^>]*onmouseover=', shown)


def test_mrkdwn_styles_read_as_in_slack():
    shown = to_html("*done* _soon_ ~old~ `#3` and a_b_c 2*3*4")
    assert "<b>done</b>" in shown and "<i>soon</i>" in shown and "<s>old</s>" in shown
    assert '<code class="code">#3</code>' in shown
    assert "a_b_c" in shown and "2*3*4" in shown  # inside words, no styling


def test_code_keeps_its_text_unstyled():
    assert to_html("`*not bold*`") == '<code class="code">*not bold*</code>'
    assert to_html("```line *1*\nline 2```") == '<pre class="pre">line *1*\nline 2</pre>'


def test_quotes_lists_and_line_breaks():
    shown = to_html("&gt; quoted\n• first\n• second")
    assert shown.startswith('<span class="quote">quoted</span>')
    assert "• first<br>• second" in shown


def test_mentions_show_names_escaped_and_unknown_ids_as_they_are():
    shown = to_html("<@U0ANN> and <@U0ZED> in <#C0WEB> <!here>", names=NAMES.get, channels={"C0WEB": "web"}.get)
    assert "@Ann &lt;b&gt;Lee&lt;/b&gt;" in shown
    assert "@U0ZED" in shown and "#web" in shown and "@here" in shown


def test_links_keep_their_label_and_a_safe_address():
    shown = to_html("<https://example.com/a?x=1&amp;y=2|the &lt;spec&gt;>")
    assert '<a href="https://example.com/a?x=1&amp;y=2"' in shown
    assert ">the &lt;spec&gt;</a>" in shown


def test_dates_are_shown_in_the_readers_zone():
    moment = int(datetime(2026, 7, 1, 12, 0, tzinfo=UTC).timestamp())
    shown = to_html(f"<!date^{moment}^{{date_short}} at {{time}}|1 Jul>", tz="Europe/London")
    assert "Jul 1, 2026 at 13:00" in shown
    assert "1 Jul" in to_html("<!date^oops^{date}|1 Jul>")


def test_emoji_codes_become_emoji():
    assert to_html(":white_check_mark: done :nope:") == "✅ done :nope:"


def test_sections_fields_headers_context_and_dividers():
    shown = html_of(
        {"type": "header", "text": {"type": "plain_text", "text": "Acme <site>"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*Status*"},
            "fields": [{"type": "mrkdwn", "text": "a"}, {"type": "plain_text", "text": "*b*"}],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "by <@U0BOB>"}]},
        {"type": "divider"},
    )
    assert '<div class="bk-header-text">Acme &lt;site&gt;</div>' in shown
    assert "<b>Status</b>" in shown and '<div class="bk-field">*b*</div>' in shown  # plain text is not styled
    assert "@Bob" in shown and '<hr class="bk-divider">' in shown


def test_buttons_carry_their_style_ids_and_value():
    shown = html_of(
        {
            "type": "actions",
            "block_id": "decide",
            "elements": [
                {
                    "type": "button",
                    "action_id": "ok",
                    "value": "7",
                    "style": "primary",
                    "text": {"type": "plain_text", "text": "Approve"},
                },
                {
                    "type": "button",
                    "action_id": "no",
                    "value": '"x"',
                    "style": "danger",
                    "text": {"type": "plain_text", "text": "Reject"},
                },
                {
                    "type": "button",
                    "action_id": "open",
                    "url": "javascript:alert(1)",
                    "text": {"type": "plain_text", "text": "Open"},
                },
            ],
        }
    )
    assert 'data-block="decide"' in shown
    assert '<button class="bk-btn bk-primary" data-action="ok" data-kind="button" data-value="7">Approve</button>' in shown
    assert 'class="bk-btn bk-danger"' in shown and 'data-value="&quot;x&quot;"' in shown
    assert "javascript" not in shown


def test_selects_pickers_and_inputs_show_their_initial_values():
    option = {"text": {"type": "plain_text", "text": "Two"}, "value": "2"}
    shown = html_of(
        {
            "type": "section",
            "block_id": "s",
            "text": {"type": "mrkdwn", "text": "Pick"},
            "accessory": {
                "type": "static_select",
                "action_id": "n",
                "options": [{"text": {"type": "plain_text", "text": "One"}, "value": "1"}, option],
                "initial_option": option,
            },
        },
        {
            "type": "input",
            "block_id": "who",
            "label": {"type": "plain_text", "text": "Who"},
            "element": {"type": "users_select", "action_id": "u", "initial_user": "U0BOB"},
        },
        {
            "type": "input",
            "block_id": "where",
            "optional": True,
            "label": {"type": "plain_text", "text": "Where"},
            "element": {"type": "conversations_select", "action_id": "c"},
        },
        {
            "type": "input",
            "block_id": "when",
            "label": {"type": "plain_text", "text": "When"},
            "element": {"type": "datepicker", "action_id": "d", "initial_date": "2026-12-01"},
        },
        {
            "type": "input",
            "block_id": "why",
            "label": {"type": "plain_text", "text": "Why"},
            "element": {"type": "plain_text_input", "action_id": "t", "multiline": True, "initial_value": "</textarea><b>"},
        },
        {
            "type": "input",
            "block_id": "rate",
            "label": {"type": "plain_text", "text": "Rate"},
            "element": {"type": "radio_buttons", "action_id": "r", "options": [option]},
        },
    )
    assert '<option value="2" selected>Two</option>' in shown
    assert '<option value="U0BOB" selected>Bob</option>' in shown
    assert "#web" in shown and "(optional)" in shown
    assert 'type="date" data-action="d" data-kind="datepicker" data-input value="2026-12-01"' in shown
    assert "&lt;/textarea&gt;&lt;b&gt;</textarea>" in shown
    assert 'type="radio"' in shown


def test_a_form_shows_the_errors_it_was_answered_with():
    look = Look(errors={"why": "Say why <please>"})
    shown = blocks_to_html(
        [
            {
                "type": "input",
                "block_id": "why",
                "label": {"type": "plain_text", "text": "Why"},
                "element": {"type": "plain_text_input", "action_id": "t"},
            }
        ],
        look,
    )
    assert '<div class="bk-error">Say why &lt;please&gt;</div>' in shown


def test_unknown_blocks_are_named_not_dropped():
    assert "[video block]" in html_of({"type": "video"})


FORM = [
    {"type": "input", "block_id": "title", "element": {"type": "plain_text_input", "action_id": "t"}},
    {"type": "input", "block_id": "who", "optional": True, "element": {"type": "multi_users_select", "action_id": "u"}},
    {
        "type": "input",
        "block_id": "rate",
        "element": {
            "type": "radio_buttons",
            "action_id": "r",
            "options": [{"text": {"type": "plain_text", "text": "5"}, "value": "5"}],
        },
    },
]


def test_a_form_is_sent_as_slacks_view_state_values():
    values = state_values(
        FORM, [{"block": "title", "action": "t", "value": "Logo"}, {"block": "rate", "action": "r", "value": "5"}]
    )
    assert values == {
        "title": {"t": {"type": "plain_text_input", "value": "Logo"}},
        "who": {"u": {"type": "multi_users_select", "selected_users": []}},
        "rate": {"r": {"type": "radio_buttons", "selected_option": {"text": {"type": "plain_text", "text": "5"}, "value": "5"}}},
    }
    assert missing(FORM, values) == {}


def test_required_fields_left_empty_are_held_back_as_slack_does():
    values = state_values(FORM, [])
    assert set(missing(FORM, values)) == {"title", "rate"}


def test_a_click_is_sent_as_the_element_says_not_as_the_page_says():
    blocks = [
        {
            "type": "actions",
            "block_id": "b",
            "elements": [{"type": "button", "action_id": "ok", "value": "12", "text": {"type": "plain_text", "text": "Go"}}],
        }
    ]
    clicked = action(blocks, "b", "ok", "999")
    assert clicked is not None and clicked["value"] == "12" and clicked["type"] == "button"
    assert action(blocks, "b", "gone", None) is None
