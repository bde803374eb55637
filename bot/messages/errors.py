"""The one mapping from a refusal the core raised to the sentence a person reads.

>>> from bot.core.errors import NotOwner
>>> error_text(NotOwner(owner_id="U1", action="change the stage"))
'Only the project owner, <@U1>, can change the stage.'
"""

from __future__ import annotations

from bot.core import errors as e
from bot.messages.blocks import Message, bulleted, reply
from bot.messages.format import code, day, escape, mention, mentions, plural, shown, slack_time
from bot.messages.signoff import on_day

TEAM_ONLY = (
    "That's for the project team, so nothing was changed. As the client you can use `/project status`, "
    "`/project list` and `/project help`, decide what you're asked to approve, and mark done or date your own steps."
)
DB_DOWN = "Shepherd can't reach its database, nothing was changed — try again in a minute."
OOPS = "Something went wrong on my side and nothing was changed. Please try again in a moment."
STALE_BUTTON = "This button is out of date, so nothing was changed."


def error_text(error: e.UserError) -> str:
    """What to tell the person whose request was refused (mrkdwn)."""
    match error:
        case e.BadInput(template=template, word=word, values=values):
            filled = {k: escape(str(v)) for k, v in values.items()}
            return template.format(**filled, word=code(word) if word is not None else "")
        case e.ProjectNotFound(name=name):
            return f"I can't find a project called *{shown(name)}*. `/project list all` shows every project."
        case e.NoProjectHere():
            return (
                "This channel has no project yet. Create one here with `/project new <name>`, "
                'or name a project, e.g. `/project status "Acme website"`.'
            )
        case e.NotInDirectMessage():
            return "A project lives in a channel its team shares. Run `/project new` in that channel, not in a DM."
        case e.ChannelTaken(project_name=name):
            return (
                f"This channel already runs *{shown(name)}*: one project per channel. Create the new project in its own channel."
            )
        case e.NameTaken(name=name):
            return f"There is already a project called *{shown(name)}*. Pick another name."
        case e.NotOwner(owner_id=owner, action=action):
            return f"Only the project owner, {mention(owner)}, can {action}."
        case e.ProjectClosed(project_name=name):
            return f"*{shown(name)}* is closed; it can't be changed any more."
        case e.AlreadyOwner(user_id=user, project_name=name):
            return f"{mention(user)} already owns *{shown(name)}*."
        case e.NotApprovers(user_ids=users, project_name=name):
            return f"{mentions(users)} {'is' if len(users) == 1 else 'are'} not an approver of *{shown(name)}*."
        case e.LastStage(project_name=name):
            return f"*{shown(name)}* is already in the last stage, Closure. `/project close` closes it."
        case e.AlreadyInStage(project_name=name, stage_label=label):
            return f"*{shown(name)}* is already in {label}."
        case e.StageGate(stage_label=label, blockers=blockers, retry=retry):
            lines = [f"{shown(b.title)} v{b.version}: {b.state}" for b in blockers]
            return (
                bulleted(f"{label} can't close yet: these deliverables need the client's approval first:", lines)
                + f"\nThe owner can override with `{retry}`."
            )
        case e.NoSuchStep(project_name=name, number=number, count=count):
            hint = f"Steps go from #1 to #{count}." if count else "It has no steps yet: add one with `/project step add <title>`."
            return f"*{shown(name)}* has no step #{number}. {hint}"
        case e.StepGone():
            return "That step no longer exists."
        case e.StepAlreadyDone(number=number):
            return f"Step #{number} is already done."
        case e.NotStepsPerson(number=number, assignee_id=assignee, owner_id=owner):
            who = f"{mention(assignee)} (its assignee) or " if assignee else ""
            return f"Only {who}{mention(owner)} (the project owner) can change step #{number}."
        case e.DeliverableGone():
            return "I can't find this deliverable any more, so nothing was changed."
        case e.SubmittedJustNow(title=title, resubmitted=again):
            return (
                f"*{shown(title)}* was {'resubmitted' if again else 'submitted'} by someone else just now; look in the channel."
            )
        case e.BeingPosted(title=title):
            return f"*{shown(title)}* is being posted for sign-off right now; look in the channel in a moment."
        case e.AlreadyApproved(title=title, version=version, approver_id=approver):
            by = f" by {mention(approver)}" if approver else ""
            nothing = "so there is nothing to resubmit. New work gets a new title."
            return f"*{shown(title)}* v{version} is already approved{by}, {nothing}"
        case e.ReasonRequired():
            return "A rejection needs a reason, so the team knows what to change."
        case e.NotADecider(title=title, version=version, deciders=deciders, owner_decides=owner_decides):
            what = f"*{shown(title)}* v{version}"
            who = mentions(deciders, last="or")
            if owner_decides:
                return (
                    f"Only {who}, the project owner, can approve or reject {what}: the project names no client approvers. "
                    "Your click changed nothing."
                )
            return f"Only the project's approvers ({who}) can approve or reject {what}. Your click changed nothing."
        case e.AlreadyDecided(title=title, version=version, actor=actor, approver_id=approver, verdict=verdict, decided_at=at):
            what = f"*{shown(title)}* v{version}"
            if approver is None or at is None:
                return f"{what} was replaced by a newer version before anyone decided; decide on the newest one."
            who = "You" if approver == actor else mention(approver)
            return f"{who} already {verdict} {what} {slack_time(at)}. That decision stands."
        case e.TeamOnly():
            return TEAM_ONLY
        case e.NotYourStep(number=number):
            return f"Step #{number} isn't assigned to you, so nothing was changed. You can mark done or date your own steps."
        case e.OwnerIsTeam(user_id=user):
            return f"{mention(user)} owns the project, so they are on the team, not a client."
        case e.NotAPerson(user_id=user):
            return f"{mention(user)} is an app, not a person: only people can be clients."
        case e.NotClients(user_ids=users, project_name=name):
            return f"{mentions(users)} {'is' if len(users) == 1 else 'are'} not a named client of *{shown(name)}*."
        case e.NotYourProject(name=name):
            where = f"called *{shown(name)}*" if name else "in this channel"
            return f"I can't find a project of yours {where}. `/project list` shows the projects you're part of."
        case e.StaysClient(user_id=user, named_here=True):
            return f"{mention(user)} is a named client of this project: `/project client remove {mention(user)}` first."
        case e.StaysClient(user_id=user):
            return (
                f"Slack says {mention(user)} is from another organization or a guest (or can't say right now), "
                "so they stay a client and nothing was changed."
            )
        case e.NotTeamNamed(user_ids=users, project_name=name):
            return f"{mentions(users)} {'is' if len(users) == 1 else 'are'} not named team on *{shown(name)}*."
        case e.InternalIsProjectChannel():
            return (
                "The internal channel is for the team only, so it can't be the project channel (clients may read it). "
                "Pick a team channel, e.g. `/project internal #acme-team`."
            )
        case e.TargetInPast(target=target):
            return f"{day(target)} has already passed: a new target date must be today or later."
        case e.SameTarget(target=target):
            return f"The target is already {day(target)}."
        case e.ProposalGone():
            return "I can't find this date proposal any more, so nothing was changed."
        case e.ProposalDecided(state=state, decided_by=who):
            by = f" by {mention(who)}" if who else ""
            outcome = {"accepted": "accepted", "discuss": "sent back for discussion", "superseded": "replaced by a newer one"}
            return f"This date proposal was already {outcome.get(state, state)}{by}. That stands."
        case e.NotProposalDecider(deciders=deciders):
            who = mentions(deciders, last="or")
            return f"Only the project's approvers ({who}) can answer a date proposal. Your click changed nothing."
        case e.ProposedJustNow():
            return "Someone proposed a new date at the same moment; look in the channel."
        case e.StepIsDone(number=number, verb=verb):
            return f"Step #{number} is done, so it can't be {verb}. `/project step reopen #{number}` first if it isn't."
        case e.StepRemoved(number=number):
            return f"Step #{number} was removed from the plan."
        case e.NotWaiting(number=number):
            return f"Step #{number} isn't waiting on the client."
        case e.AlreadyWaiting(number=number):
            return f"Step #{number} is already waiting on the client."
        case e.OpenStepsGate(stage_label=label, steps=open_steps, retry=retry):
            lines = [f"#{n} {shown(title)}" for n, title in open_steps]
            return (
                bulleted(f"{label} still has open steps:", lines)
                + f"\nFinish them first, or carry them into the next stage with `{retry}` (owner)."
            )
        case e.CloseChecklist(open_steps=open_steps, waiting=waiting, proposal=proposal, over_budget=over):
            items = [f"step #{n} {shown(title)} is open" for n, title in open_steps]
            items += [f"{shown(title)} v{version} waits for sign-off" for title, version in waiting]
            if proposal:
                items.append(f"the new target {day(proposal)} waits for the approvers")
            if over:
                items.append(f"hours are over budget: {over[0]:g}h of {over[1]:g}h")
            return (
                bulleted("Not closed yet: this still stands open:", items)
                + "\nFinish these, or close anyway with `/project close --force` (owner)."
            )
        case e.NotClosed(project_name=name):
            return f"*{shown(name)}* is open; there's nothing to reopen."
        case e.NoProjectForMessage(in_dm=True):
            return (
                "*Add as a step* works on messages in a project's channel; this is a direct message, so nothing "
                "was added. Use it on a message in the project's channel, or `/project step add <title>` there."
            )
        case e.NoProjectForMessage():
            return (
                "This channel has no project, so nothing was added. *Add as a step* works on messages in a "
                "project's channel (`/project new <name>` makes this channel one)."
            )
        case e.SignoffGone():
            return "I can't find this sign-off any more, so nothing was changed."
        case e.SignoffNotCurrent(project_name=name):
            return (
                f"*{shown(name)}* was reopened after this sign-off was asked for, so it no longer applies and nothing "
                "was changed. A new one comes when the project closes again."
            )
        case e.NotASignoffDecider(project_name=name, deciders=deciders, owner_decides=owner_decides):
            who = mentions(deciders, last="or")
            if owner_decides:
                return (
                    f"*{shown(name)}* names no approvers, so its owner, {who}, confirms completion. "
                    "Thanks for looking; your click changed nothing."
                )
            return (
                f"Only the project's approvers ({who}) can confirm that *{shown(name)}* is complete. "
                "Thanks for looking; your click changed nothing."
            )
        case e.AlreadyConfirmed(project_name=name, confirmed_at=at, rating=rating):
            rated = f", rating it {rating}/5" if rating else ""
            return f"You confirmed *{shown(name)}* complete on {on_day(at)}{rated}. Thank you, that stands."
        case e.BadRating():
            return "Pick how satisfied you are, from 1 to 5."
        case e.DebriefEmpty():
            return "Write at least one of the three (what went well, what to improve, lessons), or Cancel."
        case e.UpdateGone():
            return "I can't find this client update any more, so nothing was changed."
        case e.UpdateNotOwner(owner_id=owner):
            return (
                f"Only the project owner, {mention(owner)}, can post, edit or skip the client update. Your click changed nothing."
            )
        case e.UpdateDecided(state=state, decided_by=who, decided_at=at, actor=actor):
            by = "you" if who == actor else mention(who) if who else "someone"
            when = f" {slack_time(at)}" if at else ""
            return f"This week's client update was already {state} by {by}{when}. Nothing was changed."
        case e.UpdateBeingPosted(seconds_left=seconds, unconfirmed_in=str(channel)):
            return (
                f"Slack didn't confirm the earlier post of this client update: it may be in <#{channel}> already. "
                f"Look there first; if it isn't, *Post* works again in {plural(seconds, 'second')}. Nothing was done now."
            )
        case e.UpdateBeingPosted(seconds_left=seconds):
            later = f" If it doesn't show up, *Post* works again in {plural(seconds, 'second')}." if seconds else ""
            return f"This client update is being posted right now, so nothing more was done.{later}"
        case e.ReportNotUploaded(project_name=name, code=slack_said, maybe_shared=True):
            return (
                f"Slack didn't confirm the upload of the report of *{shown(name)}* ({code(slack_said)}): the files may "
                "have arrived anyway. If they aren't there in a minute, please ask again."
            )
        case e.ReportNotUploaded(project_name=name, code=slack_said):
            retry = (
                "Invite me to this channel (`/invite @Shepherd`) and try again."
                if "channel" in slack_said
                else "Please try again."
            )
            return (
                f"I couldn't upload the report of *{shown(name)}*: Slack said {code(slack_said)}, so nothing was shared. {retry}"
            )
    return OOPS  # a refusal with no sentence yet: say nothing was changed rather than show internals


def refusal(error: e.UserError) -> Message:
    """The ephemeral reply for a refused command or click."""
    return reply(error_text(error))
