"""Reminders, split by job: what is due (`load`), who is owed what and when (`plan`, pure), the
once-only ledger (`storage.ledger`), and the pass that sends (`bot.slack.reminder_pass`).

Every reminder has a key, `kind:subject:recipient:date`. A pass claims a key by inserting it (the
unique index decides which process sends), sends, then marks it sent. A claim expires, so a process
that dies between claiming and sending leaves the reminder to a later pass instead of losing it.

Keys, and so "once":
- `assignee:<team>:<user>:<user's local date>`: one DM a working day listing all their steps. Sending
  it stamps each step it shows with that date (`Step.reminded_on`), so a step added after the day's DM
  is still owed a reminder on its due day.
- `digest:<project>:<project's local date>`: one overdue digest a working day, posted where
  team-only posts of the project go (its internal channel, a channel no client reads, or the owner).
- `chase:<team>:<approver>:<approver's local date>`: one DM a working day listing waiting deliverables
  and date-change proposals.
- `escalation:<step>:<owner>:<due date>`: once per step and due date. The keys of one owner go out
  together as one DM, and an owner's DM is claimed per window too (`escalation-dm:…`), so two
  processes never each send the same owner one.
- `unreachable:<who>:<owner>:<error>`: once ever, written when Slack refuses a reminder for good.
"""
