"""Shepherd: run client projects from Slack — stages, steps, client approvals and reminders."""
