"""Slack surfaces: each module registers its listeners on the Bolt app."""

from slack_bolt import App

from bot.services import Services
from handlers import approvals, commands, escalations, home, new_project, proposals, reminders, shortcuts, signoff, updates


def register(app: App, services: Services) -> None:
    commands.register(app, services)
    new_project.register(app, services)
    approvals.register(app, services)
    reminders.register(app, services)
    escalations.register(app, services)
    proposals.register(app, services)
    home.register(app, services)
    shortcuts.register(app, services)
    signoff.register(app, services)
    updates.register(app, services)
