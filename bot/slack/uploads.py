"""Files into Slack: one `files_upload_v2` call shares a set of files in one conversation, with a
comment. Slack shares nothing until `files.completeUploadExternal` succeeds, so a failure at
any step (asking for an upload URL, sending the bytes, completing) leaves nothing half-posted.

    channel = dm_channel(client, "U123")
    share_files(client, channel_id=channel, comment="The report", files=[Upload("a.md", "Report", "# Hi")])
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Upload:
    filename: str
    title: str
    content: str


class UploadFailed(Exception):
    """Slack didn't take the files; `code` is what it said (or what failed on the way)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def dm_channel(client: WebClient, user_id: str) -> str:
    """The id of the app's DM with `user_id` (conversations.open): files are shared in a
    conversation, and unlike chat.postMessage, completing an upload takes no user id."""
    try:
        opened = client.conversations_open(users=user_id)
    except SlackApiError as error:
        raise UploadFailed(_code(error)) from error
    except (SlackRequestError, OSError) as error:
        raise UploadFailed("no_answer") from error
    channel = opened.get("channel") or {}
    if not isinstance(channel, dict) or not channel.get("id"):
        raise UploadFailed("no_channel")
    return str(channel["id"])


def share_files(client: WebClient, *, channel_id: str, files: list[Upload], comment: str) -> list[str]:
    """Upload `files` and share them in `channel_id` with `comment`, all or nothing; the file ids."""
    uploads = [{"filename": f.filename, "title": f.title, "content": f.content} for f in files]
    try:
        done = _without_server_retries(client).files_upload_v2(file_uploads=uploads, channel=channel_id, initial_comment=comment)
    except SlackApiError as error:
        log.warning("uploading %s to %s failed: %s", [f.filename for f in files], channel_id, _code(error))
        raise UploadFailed(_code(error)) from error
    except (SlackRequestError, OSError) as error:  # the upload URL refused the bytes, or no answer
        log.warning("uploading %s to %s failed", [f.filename for f in files], channel_id, exc_info=True)
        raise UploadFailed("upload_failed") from error
    shared = done.get("files") or []
    return [str(f.get("id")) for f in shared if isinstance(f, dict)]


def _without_server_retries(client: WebClient) -> WebClient:
    """The same client without retries on Slack's 5xx: a 5xx from files.completeUploadExternal may
    come after the files were shared, and a retry could share them twice. The person is told
    and can ask again instead. 429s (nothing was done) are still waited out and retried."""
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        headers=dict(client.headers),
        retry_handlers=[h for h in client.retry_handlers if not isinstance(h, ServerErrorRetryHandler)],
    )


def _code(error: SlackApiError) -> str:
    said = error.response.get("error") if error.response is not None else None
    return str(said or f"HTTP {getattr(error.response, 'status_code', '?')}")
