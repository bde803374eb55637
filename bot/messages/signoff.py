"""Block Kit for closure: the completion sign-off message (client-safe, in the project channel),
its Confirm form, what the confirmer and the owner are told, and the owner's debrief DM and form
(team-only). Pure functions of domain data.

    message = signoff_message(signoff_card(session, team_id=team, closing_id=7))
    client.chat_postMessage(channel=card.project.channel_id, **message)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.core.signoff import COMMENT_MAX, DEBRIEF_MAX, SignoffCard
from bot.core.text import cut
from bot.messages import ids
from bot.messages.blocks import Block, Message, bulleted, context, modal, section, text_input
from bot.messages.format import escape, mention, mentions
from bot.messages.labels import project_label
from bot.messages.limits import FALLBACK_MAX, SECTION_MAX
from storage.models import Closing, Project, Signoff

CONFIRMED_SHOWN = 40  # confirmations listed on the message before "and N more"
MENTIONS_SHOWN = 15
RATING_WORDS = {5: "Very satisfied", 4: "Satisfied", 3: "Neither", 2: "Dissatisfied", 1: "Very dissatisfied"}
DEBRIEF_QUESTIONS = (
    (ids.DEBRIEF_WELL_BLOCK, ids.DEBRIEF_WELL_INPUT, "What went well", "debrief_went_well"),
    (ids.DEBRIEF_IMPROVE_BLOCK, ids.DEBRIEF_IMPROVE_INPUT, "What to improve", "debrief_improve"),
    (ids.DEBRIEF_LESSONS_BLOCK, ids.DEBRIEF_LESSONS_INPUT, "Lessons for next time", "debrief_lessons"),
)


def on_day(moment: datetime) -> str:
    """A day each reader sees in their own time zone: `Nov 26, 2026`."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return f"<!date^{int(aware.timestamp())}^{{date_short}}|{aware:%Y-%m-%d}>"


def stars(rating: int | None) -> str:
    if rating is None:
        return ""
    return "★" * rating + "☆" * (5 - rating) + f" {rating}/5"


def quoted(text: str, limit: int = DEBRIEF_MAX) -> str:
    return "\n".join(f">{escape(line)}" for line in cut(text, limit).splitlines() or [""])


# --- the sign-off message --------------------------------------------------------------------


def signoff_message(card: SignoffCard) -> Message:
    """The message in the project channel: who is asked, who confirmed (never how they rated: the
    client's colleagues and the whole team read it; the owner hears the rating), and the
    **Confirm completion** button while someone still has to. Client-safe: no internal figures."""
    project, deciders = card.project, card.deciders
    blocks: list[Block] = [
        section(f":checkered_flag: {project_label(project)} is complete: closed on {on_day(card.closing.closed_at)}.")
    ]
    waiting = card.waiting_on
    if card.current and waiting:
        asked = mentions(waiting, limit=MENTIONS_SHOWN)
        blocks.append(section(f"{asked}: please confirm the project is complete and say how satisfied you are (1–5)."))
    if deciders.owner_decides:
        blocks.append(context(f"No client approvers are named, so the project owner {mention(project.owner_id)} confirms."))
    if card.signoffs:
        lines = [f"{mention(s.approver_id)} · {on_day(s.confirmed_at)}" for s in card.signoffs]
        blocks.append(section(bulleted(":white_check_mark: *Confirmed*", lines, limit=CONFIRMED_SHOWN)))
    if not card.current:
        blocks.append(context(":arrows_counterclockwise: The project was reopened, so this sign-off no longer applies."))
    elif waiting:
        blocks.append(
            {
                "type": "actions",
                "block_id": ids.SIGNOFF_ACTIONS_BLOCK,
                "elements": [
                    {
                        "type": "button",
                        "action_id": ids.SIGNOFF_CONFIRM_ACTION,
                        "text": {"type": "plain_text", "text": "Confirm completion"},
                        "style": "primary",
                        "value": str(card.closing.id),  # who clicks comes from Slack's signed payload
                    }
                ],
            }
        )
    else:
        blocks.append(context(":tada: Everyone has confirmed. Thank you!"))
    return {"text": fallback_text(card), "blocks": blocks}


def fallback_text(card: SignoffCard) -> str:
    name = escape(cut(card.project.name, 150))
    waiting = card.waiting_on
    if card.current and waiting:
        state = f"{mentions(waiting, limit=MENTIONS_SHOWN)}, please confirm completion"
    else:
        state = f"confirmed by {len(card.signoffs)}"
    return cut(f"{name} is complete: {state}", FALLBACK_MAX)


def confirm_modal(card: SignoffCard) -> dict[str, Any]:
    """The form behind **Confirm completion**: a 1–5 rating (required) and a comment (optional)."""
    options = [
        {"text": {"type": "plain_text", "text": f"{n} · {RATING_WORDS[n]}"}, "value": str(n)}
        for n in sorted(RATING_WORDS, reverse=True)
    ]
    rating: Block = {
        "type": "input",
        "block_id": ids.SIGNOFF_RATING_BLOCK,
        "label": {"type": "plain_text", "text": "How satisfied are you?"},
        "element": {"type": "radio_buttons", "action_id": ids.SIGNOFF_RATING_INPUT, "options": options},
    }
    comment = text_input(
        block_id=ids.SIGNOFF_COMMENT_BLOCK, action_id=ids.SIGNOFF_COMMENT_INPUT, label="Comment", max_length=COMMENT_MAX,
        optional=True, placeholder="Anything you'd like the team to know",
    )  # fmt: skip
    intro = section(f"Confirm that {project_label(card.project)} is complete.")
    note = context("The channel shows that you confirmed; your rating and comment go to the project owner alone.")
    return modal(
        callback_id=ids.SIGNOFF_VIEW, metadata={"closing_id": card.closing.id}, title="Confirm completion",
        submit="Confirm", blocks=[intro, rating, comment, note],
    )  # fmt: skip


def confirmed_reply(card: SignoffCard, signoff: Signoff) -> Message:
    text = f"Thank you! You confirmed {project_label(card.project)} complete: {stars(signoff.rating)}."
    return {"response_type": "ephemeral", "text": cut(text, SECTION_MAX), "blocks": [section(text)]}


def owner_notice(card: SignoffCard, signoff: Signoff) -> Message:
    """The owner's DM for each confirmation: who, the rating and the comment."""
    who, what = mention(signoff.approver_id), project_label(card.project)
    text = f":white_check_mark: {who} confirmed {what} complete: {stars(signoff.rating)}"
    blocks = [section(text)]
    if signoff.comment:
        blocks.append(section(quoted(signoff.comment, COMMENT_MAX)))
    left = card.waiting_on
    tally = "Everyone asked has now confirmed." if not left else f"Still to confirm: {mentions(left, limit=MENTIONS_SHOWN)}."
    blocks.append(context(tally))
    return {"text": cut(text, FALLBACK_MAX), "blocks": blocks}


# --- the debrief (team-only: the owner's DM and form) -----------------------------------------


def debrief_invite(closing: Closing, project: Project) -> Message:
    """The owner's DM after a close: a **Write debrief** button; or, once written, the debrief
    itself with **Edit debrief**."""
    if closing.debrief_at is not None:
        return debrief_saved(closing, project)
    text = (
        f":memo: {project_label(project)} is closed. While it's fresh, write a short debrief for the team: "
        "what went well, what to improve, lessons."
    )
    blocks = [
        section(text),
        context(f"Team-only: the client never sees it. The completion sign-off for the approvers is in <#{project.channel_id}>."),
        debrief_button("Write debrief", closing),
    ]
    return {"text": cut(text, FALLBACK_MAX), "blocks": blocks}


def debrief_saved(closing: Closing, project: Project) -> Message:
    blocks: list[Block] = [section(f":memo: Debrief of {project_label(project)}")]
    for _, _, label, field in DEBRIEF_QUESTIONS:
        answer = getattr(closing, field)
        if answer:
            blocks.append(section(f"*{label}*\n{quoted(answer)}"))
    saved = on_day(closing.debrief_at) if closing.debrief_at else ""
    blocks.append(
        context(f"Saved by {mention(closing.debrief_by or project.owner_id)} on {saved}. Team-only: the client never sees it.")
    )
    blocks.append(debrief_button("Edit debrief", closing))
    return {"text": cut(f"Debrief of {escape(project.name)} saved", FALLBACK_MAX), "blocks": blocks}


def debrief_button(label: str, closing: Closing) -> Block:
    """Write or Edit the debrief of `closing`: on the owner's DM, and on a closed project's card
    for its owner (so a DM that Slack lost never leaves the debrief out of reach)."""
    button = {"type": "button", "action_id": ids.DEBRIEF_ACTION, "text": {"type": "plain_text", "text": label}}
    return {"type": "actions", "elements": [{**button, "value": str(closing.id)}]}


def debrief_modal(closing: Closing, project: Project, *, dm: tuple[str, str] | None) -> dict[str, Any]:
    """The debrief form, pre-filled with what was saved. `dm` is the (channel, ts) of the DM the
    button was on, so it can show the debrief once saved."""
    blocks: list[Block] = [section(f"Debrief of {project_label(project)}. Answer at least one; the client never sees it.")]
    for block_id, action_id, label, field in DEBRIEF_QUESTIONS:
        field_block = text_input(block_id=block_id, action_id=action_id, label=label, max_length=DEBRIEF_MAX, optional=True)
        saved = getattr(closing, field)
        if saved:
            field_block["element"]["initial_value"] = cut(saved, DEBRIEF_MAX)
        blocks.append(field_block)
    metadata: dict[str, Any] = {"closing_id": closing.id}
    if dm is not None:
        metadata["dm"] = list(dm)
    return modal(callback_id=ids.DEBRIEF_VIEW, metadata=metadata, title="Debrief", submit="Save", blocks=blocks)
