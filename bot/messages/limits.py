"""Every length Slack and Shepherd limit, named once (Block Kit's from `slack_sdk.models`)."""

SECTION_MAX = 3000  # section text, and a message's `text`
HEADER_MAX = 150  # header block text
FIELDS_MAX = 10  # fields in one section
CONTEXT_ELEMENTS_MAX = 10
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100  # modal or Home tab
BUTTON_TEXT_MAX = 75
METADATA_MAX = 3000  # a view's private_metadata
FIELD_ERROR_MAX = 150  # what we show under a modal field

LABEL_MAX = 150  # a step, deliverable or project title inside a sentence
LIST_MAX = 10  # lines per list on a card before "and N more"
LIST_SHOWN = 100  # projects shown by `/project list`
FALLBACK_MAX = 300  # a message's notification text when blocks carry the detail
