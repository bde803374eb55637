"""Every action, callback and block id, in one place: builders and handlers both import these."""

COMMAND = "/project"

# The `/project new` modal
NEW_PROJECT_VIEW = "project_new"
NEW_NAME_BLOCK, NEW_NAME_INPUT = "new_name", "name"
NEW_CLIENT_BLOCK, NEW_CLIENT_INPUT = "new_client", "client"
NEW_TARGET_BLOCK, NEW_TARGET_INPUT = "new_target", "target"
NEW_APPROVERS_BLOCK, NEW_APPROVERS_INPUT = "new_approvers", "approvers"

# Deliverable approval messages
APPROVE_ACTION = "deliverable_approve"
REJECT_ACTION = "deliverable_reject"
APPROVAL_ACTIONS_BLOCK = "deliverable_decide"
REJECT_VIEW = "deliverable_reject_reason"
REJECT_REASON_BLOCK, REJECT_REASON_INPUT = "reject_reason", "reason"

# Reminder DMs
STEP_DONE_ACTION = "reminder_step_done"
STEP_SNOOZE_ACTION = "reminder_step_snooze"
REMINDER_STEP_BLOCK = "reminder_step_"  # + the step id: one actions block per step

# Date-change proposals
PROPOSAL_ACCEPT_ACTION = "proposal_accept"
PROPOSAL_DISCUSS_ACTION = "proposal_discuss"
PROPOSAL_ACTIONS_BLOCK = "proposal_decide"
DISCUSS_VIEW = "proposal_discuss_comment"
DISCUSS_COMMENT_BLOCK, DISCUSS_COMMENT_INPUT = "discuss_comment", "comment"

# Slip alerts: "Propose new date" and its form
PROPOSE_DATE_ACTION = "slip_propose_date"
PROPOSE_VIEW = "slip_propose_form"
PROPOSE_DATE_BLOCK, PROPOSE_DATE_INPUT = "propose_date", "date"
PROPOSE_REASON_BLOCK, PROPOSE_REASON_INPUT = "propose_reason", "reason"
