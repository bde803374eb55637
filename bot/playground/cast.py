"""Who and what is in the playground's workspace: an agency's team, two client organizations
over Slack Connect, their channels and an internal one.

>>> sorted(p.handle for p in people() if p.persona)
['chris', 'dana', 'maya', 'sam']
"""

from __future__ import annotations

from bot.playground.workspace import APP_USER, Channel, Person, Workspace

AGENCY, AGENCY_NAME = "T0NORTHSTAR", "Northstar Studio"
ACME, BLUEBIRD = "T0ACME", "T0BLUEBIRD"
OWNER, MEMBER, APPROVER, CONTACT, OTHER_APPROVER = "U0MAYA", "U0SAM", "U0CHRIS", "U0DANA", "U0BEN"
ACME_CHANNEL, BLUEBIRD_CHANNEL, STUDIO_CHANNEL, GENERAL_CHANNEL = "C0ACME", "C0BLUEBIRD", "C0STUDIO", "C0GENERAL"


def people() -> list[Person]:
    return [
        Person(OWNER, "Maya Chen", "maya", AGENCY, "Owner · account lead"),
        Person(MEMBER, "Sam Rivera", "sam", AGENCY, "Team member · designer"),
        Person(APPROVER, "Chris Park", "chris", ACME, "Client approver · Acme"),
        Person(CONTACT, "Dana Lee", "dana", ACME, "Client contact · Acme"),
        Person(OTHER_APPROVER, "Ben Ortiz", "ben", BLUEBIRD, "Client approver · Bluebird", persona=False),
    ]


def channels() -> list[Channel]:
    team = {OWNER, MEMBER}
    return [
        Channel(ACME_CHANNEL, "acme-website", team | {APPROVER, CONTACT}, shared_with="Acme Corp", topic="Acme's new website"),
        Channel(BLUEBIRD_CHANNEL, "bluebird-app", team | {OTHER_APPROVER}, shared_with="Bluebird", topic="Bluebird's mobile app"),
        Channel(STUDIO_CHANNEL, "studio", set(team), topic="Internal: the Northstar team only"),
        Channel(GENERAL_CHANNEL, "general", set(team), topic="Everything else"),
    ]


def workspace(base_url: str) -> Workspace:
    ws = Workspace(team_id=AGENCY, team_name=AGENCY_NAME, people=people(), channels=channels(), base_url=base_url)
    for person in ws.people.values():
        ws.dm_of(person.id)
    for channel in ws.channels.values():
        channel.members.add(APP_USER)
    return ws
