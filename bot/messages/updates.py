"""The weekly client update as people read it: the draft's text (plain, so the owner can edit it;
escaped whenever shown), the owner's DM with Post / Edit / Skip, the Edit form, the post in the
project channel, and the replies to `/project update`. The text is kept as typed (`Q&A`) and
escaped every time it is shown (`Q&amp;A`), so an edit can never ping anyone or forge a link.
"""

from __future__ import annotations

from bot.core.dates import weekday_label
from bot.core.update_times import Schedule
from bot.core.updates import Draft, UpdateCard
from bot.messages import ids
from bot.messages.blocks import Block, Message, context, header, modal, packed, reply, section, text_input
from bot.messages.client_view import target_holds
from bot.messages.format import day, escape, mention, plural, shown, slack_time
from bot.messages.limits import BUTTON_TEXT_MAX, FALLBACK_MAX
from storage.models import Step, UpdateState

NOTHING_NEW = "Nothing new was finished or decided since the last update."


LIST_MAX = 8  # lines per list in the draft; the rest are counted, so the agreed date always fits
TITLE_MAX = 80  # a title in the draft: 4 lists of 8 such lines stay well inside the 3,000 the text keeps


def _cut(text: str, limit: int = TITLE_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _capped(lines: list[str]) -> list[str]:
    """At most LIST_MAX lines, then how many more (a busy week must not push the date out).

    >>> _capped([f"• {n}" for n in range(10)])[-1]
    '• …and 3 more'
    """
    if len(lines) <= LIST_MAX:
        return lines
    return [*lines[: LIST_MAX - 1], f"• …and {len(lines) - LIST_MAX + 1} more"]


def draft_text(draft: Draft) -> str:
    """The update as plain text (`*bold*` and bullets are Slack's own): what the owner edits, and
    what is escaped when shown. Only client-safe facts, and nothing invented for a quiet week."""
    view = draft.view
    project = view.project
    lines = [f"*{_cut(project.name)}: this week's update* (week of {day(draft.week)})", ""]
    since = f"since the last update ({day(draft.since)})" if draft.since else "so far"
    if draft.done:
        lines += [f"*Done {since}*", *_capped([f"• {_cut(s.title)}" for s in draft.done]), ""]
    if draft.decisions or draft.agreed:
        lines.append(f"*Decisions {since}*")
        decided = [f"• {_cut(d.title)} v{d.version}: {decision.verdict}" for d, decision in draft.decisions]
        lines += _capped(decided + [f"• Target date agreed: {day(target)}" for target in draft.agreed])
        lines.append("")
    if draft.nothing_new:
        lines += [NOTHING_NEW if draft.since else "Nothing was finished or decided yet.", ""]
    if draft.next_up:
        lines += ["*Next up*", *_capped([f"• {_cut(s.title)}{_when(draft, s, 'by')}" for s in draft.next_up]), ""]
    waiting = [f"• {_cut(w.deliverable.title)} v{w.deliverable.version}: your decision" for w in view.waiting]
    if view.proposed is not None and project.closed_at is None:
        waiting.append(f"• A new target date, {day(view.proposed)}: your answer")
    waiting += [f"• {_cut(s.title)}{_when(draft, s, 'due')}" for s in draft.waiting_steps]
    if waiting:
        lines += ["*Waiting on you*", *_capped(waiting), ""]
    if project.target_date is not None:
        lines.append(f"*Agreed date*: {day(project.target_date)}, {target_holds(view)}")
    else:
        lines.append("*Agreed date*: none set yet")
    return "\n".join(lines).strip()


def _when(draft: Draft, step: Step, word: str) -> str:
    """A step's date as the client reads it: a late one keeps its date and says it is late
    (the project's lateness, never a person's)."""
    if step.due_date is None:
        return ""
    if draft.late(step):
        return f" (late: it was due {day(step.due_date)})"
    return f" ({word} {day(step.due_date)})"


def _text_blocks(text: str) -> list[Block]:
    return packed([escape(line) for line in text.splitlines()] or [" "])


def _where(card: UpdateCard) -> str:
    return f"*{shown(card.project.name)}*, week of {day(card.update.week)}"


def draft_dm(card: UpdateCard, *, channel_name: str | None = None) -> Message:
    """The owner's DM: the text as the client will read it, and what can be done with it now."""
    update, project = card.update, card.project
    blocks: list[Block] = [
        header("Weekly client update"),
        context(f"{_where(card)} · for <#{project.channel_id}>. Nothing reaches the client until you post it."),
        *_text_blocks(update.text),
    ]
    if update.edited_by and update.edited_at:
        blocks.append(context(f"Edited by {mention(update.edited_by)} {slack_time(update.edited_at)}"))
    if update.state == UpdateState.POSTED.value and update.decided_at:
        where = f" in <#{update.channel_id}>" if update.channel_id else ""
        blocks.append(
            section(f":white_check_mark: *Posted* by {mention(update.decided_by or '')} {slack_time(update.decided_at)}{where}")
        )
    elif update.state == UpdateState.SKIPPED.value and update.decided_at:
        blocks.append(
            section(
                f":fast_forward: *Skipped* by {mention(update.decided_by or '')} {slack_time(update.decided_at)}: "
                "nothing was sent to the client this week."
            )  # fmt: skip
        )
    elif project.closed_at is not None:
        blocks.append(section(f"*{shown(project.name)}* is closed, so this update won't be posted."))
    else:
        target = f"Post to #{channel_name}" if channel_name else "Post to the project channel"
        value = str(update.id)
        blocks.append(
            {
                "type": "actions",
                "block_id": ids.UPDATE_ACTIONS_BLOCK,
                "elements": [
                    _button(_cut(target, BUTTON_TEXT_MAX), ids.UPDATE_POST_ACTION, value, style="primary"),
                    _button("Edit", ids.UPDATE_EDIT_ACTION, value),
                    _button("Skip this week", ids.UPDATE_SKIP_ACTION, value),
                ],
            }
        )
    fallback = f"Weekly client update for {project.name}: " + (
        update.state if update.state != UpdateState.DRAFTED.value else "your draft to post, edit or skip"
    )
    return {"text": escape(_cut(fallback, FALLBACK_MAX)), "blocks": blocks}


def _button(text: str, action_id: str, value: str, *, style: str | None = None) -> Block:
    button: Block = {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": action_id, "value": value}
    if style:
        button["style"] = style
    return button


def replaced_dm(card: UpdateCard) -> Message:
    """An older DM of the same week's draft, once a newer one was sent: its buttons go."""
    text = f"This draft of the client update for {_where(card)} was replaced by a newer one, sent below."
    return {"text": escape(_cut(f"Client update for {card.project.name}: replaced", FALLBACK_MAX)), "blocks": [section(text)]}


def client_update(card: UpdateCard, *, posted_by: str) -> Message:
    """The post in the project channel: the owner's text, escaped, and who sent it."""
    blocks = [*_text_blocks(card.update.text), context(f"Weekly update from {mention(posted_by)}")]
    first = next((line for line in card.update.text.splitlines() if line.strip()), card.project.name)
    return {"text": escape(_cut(first.replace("*", ""), FALLBACK_MAX)), "blocks": blocks}


def edit_modal(card: UpdateCard, *, max_length: int) -> dict:
    field = text_input(
        block_id=ids.UPDATE_TEXT_BLOCK, action_id=ids.UPDATE_TEXT_INPUT, label="What the client will read", max_length=max_length
    )
    field["element"]["initial_value"] = card.update.text[:max_length]
    return modal(
        callback_id=ids.UPDATE_EDIT_VIEW,
        metadata={"update_id": card.update.id},
        title="Edit the update",
        submit="Save",
        blocks=[context(f"{_where(card)}. `*bold*` and bullets work; saving keeps it waiting for you to post."), field],
    )


# --- replies -----------------------------------------------------------------------------------


def sent_to_owner(card: UpdateCard, *, asker: str, keep_text: bool, revived: bool, edit_replaced: bool = False) -> Message:
    """`/project update`: where the draft went and what can be done with it."""
    if asker == card.project.owner_id:
        again = " (it had been skipped; it waits again)" if revived else ""
        fresh = " It is drafted afresh: your earlier edit was replaced." if edit_replaced else ""
        return reply(
            f"This week's client update for {_where(card)} is in your DMs{again}: post it, edit it or skip it there.{fresh}"
        )
    kept = f" It keeps {mention(card.project.owner_id)}'s edited text." if keep_text else ""
    intro = (
        f"This week's client update for {_where(card)} went to {mention(card.project.owner_id)}, who posts, edits or "
        f"skips it.{kept} This is what the client would read:"
    )
    return reply(intro, blocks=[section(intro), *_text_blocks(card.update.text)][:50])


def already_sent(card: UpdateCard, *, asker: str) -> Message:
    """`/project update` asked again while this week's draft is on its way to the owner, or just arrived."""
    owner = card.project.owner_id
    where = "already in your DMs" if asker == owner else f"already on its way to {mention(owner)}, who posts, edits or skips it"
    if asker == owner and card.update.dm_ts is None:
        where = "on its way to your DMs"
    return reply(f"This week's client update for {_where(card)} is {where}. Nothing else was sent.")


def dm_failed(card: UpdateCard) -> Message:
    return reply(
        f"Slack didn't deliver the client update for {_where(card)} to {mention(card.project.owner_id)}. "
        "Nothing was posted; run `/project update` again in a moment."
    )


def post_unconfirmed(card: UpdateCard, seconds: int) -> Message:
    return reply(
        f"Slack didn't confirm the post of the client update for {_where(card)}: it may be in <#{card.project.channel_id}> "
        f"already. Look there first; if it isn't, *Post* works again in {plural(seconds, 'second')}."
    )


def post_failed(card: UpdateCard, code: str) -> Message:
    return reply(
        f"Slack wouldn't post the client update for {_where(card)} in <#{card.project.channel_id}> ({escape(code)}), "
        "so the client hasn't seen it. Click *Post* again to retry; if the channel is private, `/invite @Shepherd` there first."
    )


def schedule_set(project_name: str, schedule: Schedule | None, tz: str) -> Message:
    if schedule is None:
        return reply(
            f"No more weekly client updates for *{shown(project_name)}*. `/project update` still drafts one when you ask."
        )
    when = f"{weekday_label(schedule.weekday)}s at {schedule.at:%H:%M} ({escape(tz)})"
    return reply(f"The weekly client update for *{shown(project_name)}* will be drafted {when} and sent to its owner.")
