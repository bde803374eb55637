"""One way to answer the person who acted: by the request's response_url while it lasts, else
ephemeral in the channel (or posted there, for a public reply), else by DM.

    answer = Answer(client, user_id="U1", channel_id="C1", respond=respond)
    answer(reply("Done."))        # a Message from bot.messages
    answer(refusal(error))
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.messages.blocks import Message
from bot.work import done_before, next_answer, note_done

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    client: WebClient
    user_id: str
    channel_id: str | None = None
    respond: Respond | None = None  # the live request's response_url
    response_url: str | None = None  # one kept from an earlier request (a form's command)

    def __call__(self, message: Message) -> None:
        sent = next_answer()  # a worker replaying this request does not send what was answered
        if sent is not None and done_before(sent):
            return
        content = {k: v for k, v in message.items() if k in ("text", "blocks")}
        public = message.get("response_type") == "in_channel"
        attempts: list[Callable[[], object]] = []
        if self.respond is not None:
            respond = self.respond
            attempts.append(lambda: _ok(respond(**{**message, "replace_original": False}).status_code))
        if self.response_url:
            attempts.append(lambda: _webhook(self.response_url or "", {**message, "replace_original": False}))
        if self.channel_id and not self.channel_id.startswith("D"):
            if public:
                attempts.append(lambda: self.client.chat_postMessage(channel=self.channel_id or "", **content))
            attempts.append(lambda: self.client.chat_postEphemeral(channel=self.channel_id or "", user=self.user_id, **content))
        attempts.append(lambda: self.client.chat_postMessage(channel=self.user_id, **content))  # a DM from the app
        for attempt in attempts:
            try:
                attempt()
            except Exception as error:  # one line: the next way usually works, and a traceback says no more
                why = f"{type(error).__name__}: {str(error)[:120]}"
                log.warning("could not answer %s this way (%s); trying the next", self.user_id, why)
                continue
            if sent is not None:
                note_done(sent)
            return
        log.error("could not answer %s at all", self.user_id)


def _webhook(url: str, message: Message) -> None:
    _ok(WebhookClient(url).send_dict(message).status_code)


def _ok(status: int) -> None:
    if status != 200:
        raise RuntimeError(f"response_url answered {status}")
