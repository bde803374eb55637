"""Shepherd's domain core: projects, steps, approvals, dates, status math and reminder planning.

Plain Python over a database session and a `now`: nothing here imports `slack_sdk` or
`slack_bolt` (a test checks), and refusals are exceptions that carry data, not Slack text.
"""
