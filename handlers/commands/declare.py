"""A `/project` verb declared once: its words, grammar, help line, who may run it, how it
answers, and its handler. Help and dispatch are generated from these declarations.

    @verb("log", hour_grammar.log_time, usage="log <hours> [note]", does="log time you spent")
    def log_time(req: Request, args: hour_grammar.LogTime) -> Message: ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient
from sqlmodel import Session

from bot.core import projects
from bot.core.audience import Audience, Facts, audience, is_named_client
from bot.core.clients import client_project_ids, named_anywhere
from bot.core.errors import BadInput, NoProjectHere, NotYourProject, ProjectNotFound, UserError
from bot.core.grammar import Token, closest
from bot.messages.blocks import Message
from bot.services import Services
from storage.models import Project


class Who(Enum):
    ANYONE = "anyone"
    TEAM = "team"
    OWNER = "owner"  # the project's owner only


class ClientAccess(Enum):
    """What a client (another organization, a guest, a named client contact) may do with a verb."""

    NONE = "none"  # refused with one line, audited, nothing changed
    VIEW = "view"  # served, in the client view
    OWN_STEPS = "own steps"  # only on steps assigned to them


class Kind(Enum):
    READ = "read"  # answered inside ack(), in one read transaction
    WRITE = "write"  # ack() first; one transaction; the reply goes by response_url
    SLACK = "slack"  # ack() first; the handler calls Slack and runs its own transactions


@dataclass
class Request:
    """One `/project` command: who, where, when, and what it may use."""

    services: Services
    client: WebClient
    team_id: str
    user_id: str
    channel_id: str
    now: datetime
    respond: Respond | None = None
    trigger_id: str | None = None
    response_url: str | None = None
    session: Session | None = None  # open for READ and WRITE verbs
    payload_team: str | None = None  # the person's own team, where Slack's payload says it
    facts: Facts | None = None  # what users.info says about the person (None: not known)
    after_ack: list[Callable[[], None]] = field(default_factory=list)  # Slack work a READ verb queues
    _project: Project | None = field(default=None, repr=False)
    _named: dict[int | None, bool] = field(default_factory=dict, repr=False)  # named a client, per project

    @property
    def org_client(self) -> bool:
        """A client everywhere: another organization, a guest, or not known (fail closed)."""
        found = audience(home_team=self.team_id, payload_team=self.payload_team, facts=self.facts, named_client=False)
        return found is Audience.CLIENT

    def is_client_of(self, project: Project) -> bool:
        assert self.session is not None
        if self.org_client:
            return True
        if project.id not in self._named:  # asked once per request and project
            self._named[project.id] = is_named_client(self.session, project_id=project.id, user_id=self.user_id)
        return self._named[project.id]

    def client_anywhere(self) -> bool:
        """A client where no project says otherwise: of another organization, a guest, unknown, or
        named a client of any project of the workspace."""
        assert self.session is not None
        return self.org_client or named_anywhere(self.session, team_id=self.team_id, user_id=self.user_id)

    def project(self, name: str | None = None) -> Project:
        """The project named, else the channel's; cached for the request. A client finds only the
        projects they are a client or approver of, and learns nothing of any other."""
        if self._project is None:
            assert self.session is not None, "only READ and WRITE verbs have a session"
            try:
                found = projects.find_project(self.session, team_id=self.team_id, channel_id=self.channel_id, name=name)
            except (ProjectNotFound, NoProjectHere):
                if self.client_anywhere():
                    raise NotYourProject(name) from None
                raise
            if self.is_client_of(found) and found.id not in client_project_ids(
                self.session, team_id=self.team_id, user_id=self.user_id
            ):
                raise NotYourProject(name)
            self._project = found
        return self._project

    def today(self, project: Project) -> date:
        return projects.local_today(project.tz, self.now)


Handler = Callable[[Request, Any], Message | None]  # None: nothing to say (e.g. a form was opened)


@dataclass(frozen=True)
class Verb:
    name: str  # "step add"
    parse: Callable[[list[Token]], Any]  # tokens after the name → typed arguments
    handler: Handler
    usage: str  # "step add <title> [@person] [due:<date>]"
    does: str  # "add a step to the current stage"
    who: Who = Who.TEAM
    kind: Kind = Kind.WRITE
    clients: ClientAccess = ClientAccess.NONE
    owner_action: str = ""  # for Who.OWNER: "change the stage" in "Only the owner can change the stage"
    aliases: tuple[str, ...] = ()
    after: Callable[[Request, Project], None] | None = None  # after the commit, e.g. refresh messages
    client_help: tuple[str, str] | None = None  # (usage, does) as a client reads it, where it differs
    open_only: bool = True  # refused on a closed project (all but `reopen`)


VERBS: dict[str, Verb] = {}  # every name and alias → its verb


def verb(
    name: str, parse: Callable[[list[Token]], Any], *, usage: str, does: str, **options: Any
) -> Callable[[Handler], Handler]:
    """Declare the decorated function as the handler of `/project <name>`."""

    def declare(handler: Handler) -> Handler:
        declared = Verb(name, parse, handler, usage, does, **options)
        for word in (name, *declared.aliases):
            assert word not in VERBS, f"/project {word} is declared twice"
            VERBS[word] = declared
        return handler

    return declare


def declared() -> list[Verb]:
    """Each verb once, in declaration order (the order help lists them)."""
    return list({id(v): v for v in VERBS.values()}.values())


@dataclass(frozen=True)
class Unknown:
    """Words that name no verb: help answers, with what they probably meant."""

    word: str
    suggestion: str | None
    refused: UserError | None = None  # the words name a team verb but can't be read: this is why


def resolve(tokens: list[Token]) -> tuple[Verb, list[Token]] | Unknown:
    """The verb the words name (two-word names first) and the words after it.

    >>> from bot.core.grammar import tokenize
    >>> import handlers.commands  # the declarations
    >>> found, rest = resolve(tokenize("steps done #3"))
    >>> found.name, [t.raw for t in rest]
    ('step done', ['#3'])
    """
    if not tokens:
        return VERBS["help"], []
    first = tokens[0].lower
    family = first[:-1] if first.endswith("s") and _is_family(first[:-1]) else first  # "steps add" reads as "step add"
    if _is_family(family):
        if len(tokens) > 1 and f"{family} {tokens[1].lower}" in VERBS:
            return VERBS[f"{family} {tokens[1].lower}"], tokens[2:]
        if first in VERBS:  # `steps` lists the steps; `steps done #3` still reads as `step done #3`
            return VERBS[first], tokens[1:]
        raise _family_error(family, tokens[1].raw if len(tokens) > 1 else None)
    if first in VERBS:
        return VERBS[first], tokens[1:]

    return Unknown(tokens[0].raw, closest(first, {name.split()[0] for name in VERBS}))


def _is_family(word: str) -> bool:
    return any(name.startswith(word + " ") for name in VERBS)


def _family_error(family: str, sub: str | None) -> BadInput:
    members = [v.name for v in declared() if v.name.startswith(family + " ")]
    listed = ", ".join(f"`{m}`" for m in members)
    if sub is None:
        return BadInput(f"What about the {family}? Use one of {listed}; see `/project help`.")
    guess = closest(sub, [m.split(" ", 1)[1] for m in members])
    hint = f" Did you mean `{family} {guess}`?" if guess else ""
    return BadInput("{word} isn't a " + family + " command." + hint + " Use " + listed + ".", f"{family} {sub}")
