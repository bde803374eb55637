"""`/project` verbs that change the plan: `steps`, `step rename|remove|wait|resume`, and `due`."""

from __future__ import annotations

from bot.core import overview, steps
from bot.core.grammar import steps as step_grammar
from bot.core.grammar import targets as target_grammar
from bot.messages import plan as plan_messages
from bot.messages.blocks import Message
from bot.slack.proposals import propose_target
from handlers.commands.declare import Kind, Request, Who, verb


@verb(
    "steps", step_grammar.steps, usage="steps [project] [mine|@person|all|<stage>]",
    does="the plan: open steps by stage, with number, assignee and due date", kind=Kind.READ,
)  # fmt: skip
def list_steps(req: Request, args: step_grammar.StepsScope) -> Message:
    assert req.session is not None
    project = req.project(args.project)
    found, title = overview.steps_listing(
        req.session, project, scope=args.scope, user_id=args.user_id or req.user_id, stage=args.stage
    )
    return plan_messages.steps_list(project, found, title=title, waiting=steps.waiting_step_ids(req.session, project))


@verb("step rename", step_grammar.step_rename, usage="step rename #3 <title>", does="give a step a new title")
def rename(req: Request, args: step_grammar.StepTitle) -> Message:
    assert req.session is not None
    step = steps.rename_step(
        req.session, project=req.project(), actor=req.user_id, number=args.number, title=args.title, now=req.now
    )
    return plan_messages.step_renamed(step)


@verb(
    "step remove", step_grammar.step_one("/project step remove #3"), usage="step remove #3",
    does="take a step out of the plan (kept in history)", aliases=("step rm", "step delete"),
)  # fmt: skip
def remove(req: Request, args: step_grammar.StepNumbers) -> Message:
    assert req.session is not None
    step = steps.remove_step(req.session, project=req.project(), actor=req.user_id, number=args.numbers[0], now=req.now)
    return plan_messages.step_removed(step)


@verb(
    "step wait", step_grammar.step_wait, usage="step wait #3 client [reason]",
    does="the step waits on the client: its days count as client-held",
)  # fmt: skip
def wait(req: Request, args: step_grammar.StepWait) -> Message:
    assert req.session is not None
    step = steps.wait_on_client(
        req.session, project=req.project(), actor=req.user_id, number=args.number, reason=args.reason, now=req.now
    )
    return plan_messages.step_waiting(step)


@verb("step resume", step_grammar.step_one("/project step resume #3"), usage="step resume #3", does="it no longer waits")
def resume(req: Request, args: step_grammar.StepNumbers) -> Message:
    assert req.session is not None
    step = steps.resume(req.session, project=req.project(), actor=req.user_id, number=args.numbers[0], now=req.now)
    return plan_messages.step_resumed(step)


@verb(
    "due", target_grammar.target_date, usage="due <date> [reason]",
    does="change the target date: proposed to the approvers when there are any (owner)",
    who=Who.OWNER, owner_action="change the target date", kind=Kind.SLACK,
)  # fmt: skip
def change_target(req: Request, args: target_grammar.TargetDate) -> Message:
    return propose_target(
        req.services, req.client, team_id=req.team_id, user_id=req.user_id, channel_id=req.channel_id,
        project_name=None, due_word=args.due_word, reason=args.reason, now=req.now,
    )  # fmt: skip
