"""`/project step …`: add, done, reopen, assign, date, rename, remove, hold and resume the steps of the
channel's project; and `/project steps`, the plan: its steps by stage."""

from __future__ import annotations

from datetime import date

from bot.core import overview, steps
from bot.core.dates import parse_date
from bot.core.grammar import steps as step_grammar
from bot.messages import steps as step_messages
from bot.messages.blocks import Message
from handlers.commands.declare import ClientAccess, Kind, Request, verb


def only_own(req: Request, numbers: tuple[int, ...]) -> None:
    """A client may change only the steps assigned to them."""
    assert req.session is not None
    project = req.project()
    if req.is_client_of(project):
        steps.require_assigned(req.session, project=project, numbers=numbers, user_id=req.user_id)


def _date(req: Request, word: str | None, today: date) -> date | None:
    return parse_date(word, today, req.services.settings.work_days) if word else None


@verb("step add", step_grammar.step_add, usage="step add <title> [@person] [due:<date>]", does="add a step to the current stage")
def add_step(req: Request, args: step_grammar.StepAdd) -> Message:
    assert req.session is not None
    project = req.project()
    today = req.today(project)
    step = steps.add_step(
        req.session, project=project, actor=req.user_id, title=args.title, assignee_id=args.assignee_id,
        due_date=_date(req, args.due_word, today), now=req.now,
    )  # fmt: skip
    return step_messages.step_added(step, project, today=today)


@verb(
    "step done", step_grammar.step_numbers("/project step done #3"), usage="step done #3", does="mark steps done",
    clients=ClientAccess.OWN_STEPS, client_help=("step done #3", "mark a step assigned to you done"),
)  # fmt: skip
def complete(req: Request, args: step_grammar.StepNumbers) -> Message:
    assert req.session is not None
    only_own(req, args.numbers)
    done, already = steps.complete_steps(req.session, project=req.project(), actor=req.user_id, numbers=args.numbers, now=req.now)
    return step_messages.steps_done(done, already)


@verb("step reopen", step_grammar.step_numbers("/project step reopen #3"), usage="step reopen #3", does="open a done step again")
def reopen(req: Request, args: step_grammar.StepNumbers) -> Message:
    assert req.session is not None
    reopened, already = steps.reopen_steps(
        req.session, project=req.project(), actor=req.user_id, numbers=args.numbers, now=req.now
    )
    return step_messages.steps_reopened(reopened, already)


@verb("step assign", step_grammar.step_assign, usage="step assign #3 @person", does="give a step to someone")
def assign(req: Request, args: step_grammar.StepAssign) -> Message:
    assert req.session is not None
    step = steps.assign_step(
        req.session, project=req.project(), actor=req.user_id, number=args.number, assignee_id=args.assignee_id, now=req.now
    )
    return step_messages.step_assigned(step)


@verb(
    "step due", step_grammar.step_due, usage="step due #3 <date|none>", does="date a step, or clear its date",
    clients=ClientAccess.OWN_STEPS, client_help=("step due #3 <date>", "date a step assigned to you"),
)  # fmt: skip
def set_due(req: Request, args: step_grammar.StepDue) -> Message:
    assert req.session is not None
    only_own(req, (args.number,))
    project = req.project()
    today = req.today(project)
    step = steps.set_step_due(
        req.session,
        project=project,
        actor=req.user_id,
        number=args.number,
        due_date=_date(req, args.due_word, today),
        now=req.now,
    )
    return step_messages.step_dated(step, today=today)


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
    return step_messages.steps_list(project, found, title=title, waiting=steps.waiting_step_ids(req.session, project))


@verb("step rename", step_grammar.step_rename, usage="step rename #3 <title>", does="give a step a new title")
def rename(req: Request, args: step_grammar.StepTitle) -> Message:
    assert req.session is not None
    step = steps.rename_step(
        req.session, project=req.project(), actor=req.user_id, number=args.number, title=args.title, now=req.now
    )
    return step_messages.step_renamed(step)


@verb(
    "step remove", step_grammar.step_one("/project step remove #3"), usage="step remove #3",
    does="take a step out of the plan (kept in history)", aliases=("step rm", "step delete"),
)  # fmt: skip
def remove(req: Request, args: step_grammar.StepNumbers) -> Message:
    assert req.session is not None
    step = steps.remove_step(req.session, project=req.project(), actor=req.user_id, number=args.numbers[0], now=req.now)
    return step_messages.step_removed(step)


@verb(
    "step wait", step_grammar.step_wait, usage="step wait #3 client [reason]",
    does="the step waits on the client: its days count as client-held",
)  # fmt: skip
def wait(req: Request, args: step_grammar.StepWait) -> Message:
    assert req.session is not None
    step = steps.wait_on_client(
        req.session, project=req.project(), actor=req.user_id, number=args.number, reason=args.reason, now=req.now
    )
    return step_messages.step_waiting(step)


@verb("step resume", step_grammar.step_one("/project step resume #3"), usage="step resume #3", does="it no longer waits")
def resume(req: Request, args: step_grammar.StepNumbers) -> Message:
    assert req.session is not None
    step = steps.resume(req.session, project=req.project(), actor=req.user_id, number=args.numbers[0], now=req.now)
    return step_messages.step_resumed(step)
