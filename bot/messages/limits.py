"""Every length Slack and Shepherd limit, named once. Block Kit's own come from `slack_sdk.models`,
which defines them for its validation, so a limit Slack changes is changed here by upgrading it.

>>> SECTION_MAX, HEADER_MAX, FIELDS_MAX, BUTTON_TEXT_MAX, VIEW_BLOCKS_MAX
(3000, 150, 10, 75, 100)
"""

from slack_sdk.models.blocks import ButtonElement, ContextBlock, HeaderBlock, SectionBlock
from slack_sdk.models.views import View

SECTION_MAX: int = SectionBlock.text_max_length  # section text, and a message's `text`
FIELDS_MAX: int = SectionBlock.fields_max_length  # fields in one section
FIELD_TEXT_MAX = 2000  # one field's text (slack_sdk does not name it)
HEADER_MAX: int = HeaderBlock.text_max_length  # header block text
CONTEXT_ELEMENTS_MAX: int = ContextBlock.elements_max_length
BUTTON_TEXT_MAX: int = ButtonElement.text_max_length
BUTTON_VALUE_MAX: int = ButtonElement.value_max_length
VIEW_BLOCKS_MAX: int = View.blocks_max_length  # modal or Home tab
METADATA_MAX: int = View.private_metadata_max_length  # a view's private_metadata
MESSAGE_BLOCKS_MAX = 50  # blocks in one message (slack_sdk does not name it)
FIELD_ERROR_MAX = 150  # what we show under a modal field

LABEL_MAX = 150  # a step, deliverable or project title inside a sentence
LIST_MAX = 10  # lines per list on a card before "and N more"
LIST_SHOWN = 100  # projects shown by `/project list`
FALLBACK_MAX = 300  # a message's notification text when blocks carry the detail
