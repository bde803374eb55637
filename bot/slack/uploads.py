"""Files into Slack: one `files_upload_v2` call shares a set of files in one conversation, with a
comment. Slack shares nothing until `files.completeUploadExternal` succeeds, so a failure at
any step (asking for an upload URL, sending the bytes, completing) leaves nothing half-posted.

    channel = dm_channel(client, "U123")
    share_files(client, channel_id=channel, comment="The report", files=[Upload("a.md", "Report", "# Hi")])
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.error import HTTPError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Upload:
    filename: str
    title: str
    content: str


class UploadFailed(Exception):
    """Slack didn't take the files; `code` is what it said (or what failed on the way).
    `maybe_shared`: the sharing call got no clear answer, so the files may have arrived anyway."""

    def __init__(self, code: str, *, maybe_shared: bool = False) -> None:
        super().__init__(code)
        self.code, self.maybe_shared = code, maybe_shared


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
        sharing = "files.completeUploadExternal" in str(error.response.api_url or "")
        raise UploadFailed(_code(error), maybe_shared=sharing and error.response.status_code >= 500) from error
    except (SlackRequestError, OSError) as error:  # the upload URL refused the bytes, or no answer
        log.warning("uploading %s to %s failed", [f.filename for f in files], channel_id, exc_info=True)
        answered = isinstance(error, HTTPError)  # the upload URL said no: nothing was completed
        raise UploadFailed("upload_failed", maybe_shared=isinstance(error, OSError) and not answered) from error
    shared = done.get("files") or []
    return [str(f.get("id")) for f in shared if isinstance(f, dict)]


def _without_server_retries(client: WebClient) -> WebClient:
    """The same client retrying only 429s (nothing was done: waited out and retried): a 5xx or a
    dropped connection at files.completeUploadExternal may come after the files were shared, and a
    retry could share them twice. The person is told, and can look before asking again."""
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        headers=dict(client.headers),
        retry_handlers=[h for h in client.retry_handlers if isinstance(h, RateLimitErrorRetryHandler)],
    )


def _code(error: SlackApiError) -> str:
    said = error.response.get("error") if error.response is not None else None
    return str(said or f"HTTP {getattr(error.response, 'status_code', '?')}")
