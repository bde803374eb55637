"""The playground's Slack answers Shepherd as Slack does: who belongs to which organization, which
channels are shared, who sees an ephemeral message, what a response_url does, when a form opens."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.playground import cast
from bot.playground.actions import slack_text
from bot.playground.page import page_state
from bot.playground.workspace import APP_USER, Origin, Workspace


def workspace() -> Workspace:
    return cast.workspace("http://127.0.0.1:3000")


def call(ws: Workspace, method: str, **params: object) -> dict:
    return ws.api(method, dict(params), ws.token)


def test_only_the_playgrounds_own_token_is_accepted():
    ws = workspace()
    assert ws.api("auth.test", {}, "xoxb-real")["error"] == "invalid_auth"
    assert call(ws, "auth.test")["team_id"] == cast.AGENCY


def test_clients_belong_to_another_organization_and_their_channel_is_shared():
    ws = workspace()
    assert call(ws, "users.info", user=cast.APPROVER)["user"]["team_id"] == cast.ACME
    assert call(ws, "users.info", user=cast.MEMBER)["user"]["team_id"] == cast.AGENCY
    assert call(ws, "conversations.info", channel=cast.ACME_CHANNEL)["channel"]["is_ext_shared"] is True
    assert call(ws, "conversations.info", channel=cast.STUDIO_CHANNEL)["channel"]["is_ext_shared"] is False


def test_an_ephemeral_message_is_seen_by_its_person_only():
    ws = workspace()
    call(ws, "chat.postEphemeral", channel=cast.ACME_CHANNEL, user=cast.OWNER, text="just you")
    assert [m.text for m in ws.visible(cast.ACME_CHANNEL, cast.OWNER)] == ["just you"]
    assert ws.visible(cast.ACME_CHANNEL, cast.CONTACT) == []
    refused = call(ws, "chat.postEphemeral", channel=cast.STUDIO_CHANNEL, user=cast.CONTACT, text="x")
    assert refused["error"] == "user_not_in_channel"


def test_a_message_to_a_person_lands_in_their_dm_with_the_app():
    ws = workspace()
    posted = call(ws, "chat.postMessage", channel=cast.MEMBER, text="reminder")
    assert posted["channel"] == ws.dm_of(cast.MEMBER).id
    assert [m.text for m in ws.visible(posted["channel"], cast.MEMBER)] == ["reminder"]


def test_chat_update_replaces_the_message_in_place():
    ws = workspace()
    posted = call(ws, "chat.postMessage", channel=cast.ACME_CHANNEL, text="v1", blocks=[{"type": "divider"}])
    call(ws, "chat.update", channel=cast.ACME_CHANNEL, ts=posted["ts"], text="approved", blocks=[])
    (message,) = ws.visible(cast.ACME_CHANNEL, cast.OWNER)
    assert (message.ts, message.text, message.blocks, message.edited) == (posted["ts"], "approved", [], True)
    assert call(ws, "chat.update", channel=cast.ACME_CHANNEL, ts="1.2", text="x")["error"] == "message_not_found"


def test_a_response_url_answers_ephemerally_replaces_or_deletes_the_original():
    ws = workspace()
    original = ws.post(cast.ACME_CHANNEL, APP_USER, "choose", only=cast.OWNER)
    url = ws.new_response_url(Origin(cast.OWNER, cast.ACME_CHANNEL, original.ts))
    key = url.rsplit("/", 1)[1]
    assert ws.respond(key, {"text": "noted"})
    assert [m.text for m in ws.visible(cast.ACME_CHANNEL, cast.OWNER)] == ["choose", "noted"]
    assert ws.respond(key, {"replace_original": True, "text": "chosen"})
    assert ws.visible(cast.ACME_CHANNEL, cast.OWNER)[0].text == "chosen"
    assert ws.respond(key, {"delete_original": True})
    assert [m.text for m in ws.visible(cast.ACME_CHANNEL, cast.OWNER)] == ["noted"]
    assert ws.respond(key, {"response_type": "in_channel", "text": "for all"})
    assert [m.text for m in ws.visible(cast.ACME_CHANNEL, cast.CONTACT)] == ["for all"]
    assert not ws.respond("never-given", {"text": "x"})


def test_a_form_opens_once_per_trigger_for_the_person_who_acted():
    ws = workspace()
    trigger = ws.new_trigger(cast.APPROVER)
    opened = call(ws, "views.open", trigger_id=trigger, view={"type": "modal", "blocks": []})
    assert opened["ok"] and ws.modal_of(cast.APPROVER) is not None and ws.modal_of(cast.OWNER) is None
    assert call(ws, "views.open", trigger_id=trigger, view={"type": "modal"})["error"] == "expired_trigger_id"


def test_files_are_shared_only_once_their_bytes_arrived():
    ws = workspace()
    file_id = call(ws, "files.getUploadURLExternal", filename="report.md", length="5")["file_id"]
    dm = ws.dm_of(cast.OWNER).id
    assert call(ws, "files.completeUploadExternal", files=[{"id": file_id}], channel_id=dm)["error"] == "file_not_found"
    assert ws.upload(file_id, b"hello")
    assert call(ws, "files.completeUploadExternal", files=[{"id": file_id, "title": "Report"}], channel_id=dm)["ok"]
    assert ws.visible(dm, cast.OWNER)[-1].files == [file_id]


def test_typed_text_becomes_what_slack_sends_with_escaping_and_mentions():
    typed = slack_text(workspace(), "@sam & <b> in #studio, @nobody")
    assert typed == "<@U0SAM|sam> &amp; &lt;b&gt; in <#C0STUDIO|studio>, @nobody"


def test_each_persona_sees_their_own_channels_and_dm():
    ws = workspace()
    call(ws, "chat.postMessage", channel=cast.OWNER, text="for maya")
    client = page_state(ws, viewer=cast.CONTACT, at=cast.STUDIO_CHANNEL, now=datetime.now(UTC), commands=[])
    assert [c["name"] for c in client["channels"]] == ["acme-website"]
    assert client["at"] == cast.ACME_CHANNEL  # not a channel she is in: her first one instead
    mine = page_state(ws, viewer=cast.MEMBER, at="messages", now=datetime.now(UTC), commands=[])
    assert mine["messages"] == []
    owner = page_state(ws, viewer=cast.OWNER, at="messages", now=datetime.now(UTC), commands=[])
    assert "for maya" in owner["messages"][0]["html"]
