"""Every action, callback and block id, in one place: builders and handlers both import these."""

COMMAND = "/project"

# The `/project new` modal
NEW_PROJECT_VIEW = "project_new"
NEW_NAME_BLOCK, NEW_NAME_INPUT = "new_name", "name"
NEW_CLIENT_BLOCK, NEW_CLIENT_INPUT = "new_client", "client"
NEW_TARGET_BLOCK, NEW_TARGET_INPUT = "new_target", "target"
NEW_APPROVERS_BLOCK, NEW_APPROVERS_INPUT = "new_approvers", "approvers"
NEW_BUDGET_BLOCK, NEW_BUDGET_INPUT = "new_budget", "budget"
NEW_INTERNAL_BLOCK, NEW_INTERNAL_INPUT = "new_internal", "internal"

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

# Escalation DMs: Re-assign (a user select) and New date (a button and its form), beside Mark done / Snooze
ESCALATION_ASSIGN_ACTION = "escalation_step_assign"
ESCALATION_DATE_ACTION = "escalation_step_new_date"
NEW_DATE_VIEW = "escalation_new_date_form"
NEW_DATE_BLOCK, NEW_DATE_INPUT = "escalation_new_date", "date"

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

# Reminder DMs: the summary line and each step's line (recounted when a button resolves a step);
# the approver chase's Approve / Reject, one actions block per deliverable
REMINDER_SUMMARY_BLOCK = "reminder_summary"
REMINDER_LINE_BLOCK = "reminder_line_"  # + the step id + ":overdue" or ":soon"
CHASE_APPROVE_ACTION = "chase_approve"
CHASE_REJECT_ACTION = "chase_reject"
CHASE_BLOCK = "chase_decide_"  # + the deliverable id
CHASE_LINE_BLOCK = "chase_line_"  # + the deliverable id
# …and Accept / Discuss on a date-change proposal in the same DM (its block counts with CHASE_BLOCK's)
CHASE_ACCEPT_ACTION = "chase_proposal_accept"
CHASE_DISCUSS_ACTION = "chase_proposal_discuss"
CHASE_PROPOSAL_BLOCK = "chase_decide_date_"  # + the proposal id
CHASE_PROPOSAL_LINE_BLOCK = "chase_line_date_"  # + the proposal id

# The Home tab: Done / Snooze on my steps, Approve / Reject on my decisions
HOME_STEP_DONE_ACTION = "home_step_done"
HOME_STEP_SNOOZE_ACTION = "home_step_snooze"
HOME_APPROVE_ACTION = "home_approve"
HOME_REJECT_ACTION = "home_reject"
HOME_STEP_BLOCK = "home_step_"  # + the step id
HOME_DECISION_BLOCK = "home_decide_"  # + the deliverable id
HOME_PROPOSAL_ACCEPT_ACTION = "home_proposal_accept"
HOME_PROPOSAL_DISCUSS_ACTION = "home_proposal_discuss"
HOME_PROPOSAL_BLOCK = "home_proposal_"  # + the proposal id

# The message shortcut "Add as a step" and its form
ADD_STEP_SHORTCUT = "add_as_step"
SHORTCUT_STEP_VIEW = "shortcut_step_form"
SHORTCUT_TITLE_BLOCK, SHORTCUT_TITLE_INPUT = "shortcut_title", "title"
SHORTCUT_ASSIGNEE_BLOCK, SHORTCUT_ASSIGNEE_INPUT = "shortcut_assignee", "assignee"
SHORTCUT_DUE_BLOCK, SHORTCUT_DUE_INPUT = "shortcut_due", "due"

# Closure: the completion sign-off (Confirm completion and its form) and the owner's debrief
SIGNOFF_CONFIRM_ACTION = "signoff_confirm"
SIGNOFF_ACTIONS_BLOCK = "signoff_decide"
SIGNOFF_VIEW = "signoff_confirm_form"
SIGNOFF_RATING_BLOCK, SIGNOFF_RATING_INPUT = "signoff_rating", "rating"
SIGNOFF_COMMENT_BLOCK, SIGNOFF_COMMENT_INPUT = "signoff_comment", "comment"
DEBRIEF_ACTION = "debrief_write"
DEBRIEF_VIEW = "debrief_form"
DEBRIEF_WELL_BLOCK, DEBRIEF_WELL_INPUT = "debrief_went_well", "went_well"
DEBRIEF_IMPROVE_BLOCK, DEBRIEF_IMPROVE_INPUT = "debrief_improve", "improve"
DEBRIEF_LESSONS_BLOCK, DEBRIEF_LESSONS_INPUT = "debrief_lessons", "lessons"

# The weekly client update: Post / Edit / Skip on the owner's DM, and the Edit form
UPDATE_POST_ACTION = "client_update_post"
UPDATE_EDIT_ACTION = "client_update_edit"
UPDATE_SKIP_ACTION = "client_update_skip"
UPDATE_ACTIONS_BLOCK = "client_update_decide"
UPDATE_EDIT_VIEW = "client_update_edit_form"
UPDATE_TEXT_BLOCK, UPDATE_TEXT_INPUT = "client_update_text", "text"
