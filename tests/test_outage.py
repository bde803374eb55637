"""The database out of reach after start-up: every command and click still gets its 200 and one
line saying nothing was changed, the log gets one line for the whole outage, `/healthz` says 503,
and once the database is back Shepherd works on as before.

The outage is real: on PostgreSQL the bot reaches the server through a TCP relay that is then cut
(nothing listens on its port, live connections drop); on SQLite the file's bytes are overwritten
in place, as a failing disk would leave them (and put back for the recovery)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from sqlmodel import select

from bot.messages import ids
from bot.slack.server import stop_server
from storage.db import Database
from storage.models import AuditEvent, Deliverable, Project, Step
from storage.outage import outage
from tests.support.blocks import text_of
from tests.support.harness import start_bot

OWNER, CHANNEL = "U0OWNER", "C0PROJ"
DOWN = "Shepherd can't reach its database, nothing was changed — try again in a minute."


class Relay:
    """A TCP relay to PostgreSQL that can be cut."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            self.sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, target):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        with contextlib.suppress(OSError):  # wakes the accept() blocked in its thread, which close() alone does not
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for s in self.sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


class SqliteDisk:
    """The SQLite file and its WAL overwritten in place with garbage, and later put back."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.saved: dict[str, bytes] = {}

    def cut(self) -> None:
        # The WAL and its index exist once the bot has written: look for them now, not at start.
        for path in [p for p in (self.path, self.path + "-wal", self.path + "-shm") if os.path.exists(p)]:
            with open(path, "r+b") as f:
                self.saved[path] = f.read()
                f.seek(0)
                f.write(b"\xde\xad" * (len(self.saved[path]) // 2))

    def mend(self) -> None:
        for path, content in self.saved.items():
            with open(path, "r+b") as f:
                f.write(content)


@pytest.fixture
def outage_bot(db: Database, slack) -> Iterator[tuple]:
    """A bot whose database can be made unreachable: (bot, cut, mend or None)."""
    if db.is_sqlite:
        running, server = start_bot(db, slack)
        disk = SqliteDisk(str(db.url.database))
        yield running, disk.cut, disk.mend
        stop_server(server)
        running.services.work.shutdown(wait=False)  # its heartbeat stops with it
        return
    relay = Relay(db.url.host or "127.0.0.1", db.url.port or 5432)
    through = Database(db.url.set(port=relay.port).render_as_string(hide_password=False))
    running, server = start_bot(through, slack)
    yield running, relay.cut, None
    stop_server(server)
    running.services.work.shutdown(wait=False)  # its heartbeat stops with it
    through.dispose()


def healthz(bot) -> int:
    try:
        with urllib.request.urlopen(bot.url + "/healthz", timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_commands_and_clicks_are_answered_while_the_database_is_out_of_reach(outage_bot, db, slack, caplog, monkeypatch):
    bot, cut, mend = outage_bot
    monkeypatch.setattr(outage, "_last", None)  # a new outage for this process, whatever an earlier test did
    bot.run("new Acme", user=OWNER, channel=CHANNEL)
    bot.run("step add Draft", user=OWNER, channel=CHANNEL)
    bot.run("deliverable Homepage", user=OWNER, channel=CHANNEL)
    approval = slack.wait_for("chat.postMessage")[-1]
    with db.reader() as session:
        deliverable = session.exec(select(Deliverable)).one()
    bot.settle()
    before = _state(db) if not db.is_sqlite else None
    cut()

    for n, text in enumerate(["status", "step add Lost", "log 3h", "list", "steps"] * 4):
        reply = bot.command(text, user=OWNER, channel=CHANNEL, key=f"down-{n}")
        assert reply.status == 200, (text, reply)
        shown = text_of(json.loads(reply.body)) if reply.body else text_of(slack.wait_for_responses(1, key=f"down-{n}")[0])
        assert shown == DOWN, (text, shown)
    for n in range(5):
        reply = bot.action(
            action_id=ids.APPROVE_ACTION, value=str(deliverable.id), user_id=OWNER, channel_id=CHANNEL,
            message_ts=approval.params.get("ts", "1700000000.000001"), response_url=slack.response_url(f"click-{n}"),
            block_id=ids.APPROVAL_ACTIONS_BLOCK,
        )  # fmt: skip
        assert reply.status == 200
        assert text_of(slack.wait_for_responses(1, key=f"click-{n}")[0]) == DOWN
    assert {healthz(bot) for _ in range(5)} == {503}
    bot.settle()
    lines = [r for r in caplog.records if r.levelname in ("WARNING", "ERROR") and "database" in r.getMessage()]
    assert len([r for r in lines if "can't be reached" in r.getMessage()]) == 1, [r.getMessage() for r in lines]
    assert not [r for r in caplog.records if r.exc_info or r.levelname == "ERROR"]

    if mend is None:  # PostgreSQL: the server itself is fine; read it directly
        assert _state(db) == before
        return
    mend()  # the disk is back: nothing was changed, and Shepherd works on
    assert "Acme" in text_of(bot.run("status", user=OWNER, channel=CHANNEL))
    with db.reader() as session:
        assert session.exec(select(Step.title)).all() == ["Draft"]
        assert session.exec(select(Deliverable.state)).one() == "pending"


def _state(db: Database) -> tuple:
    with db.reader() as session:
        return (
            [s.model_dump() for s in session.exec(select(Step))],
            [p.model_dump() for p in session.exec(select(Project))],
            [d.model_dump() for d in session.exec(select(Deliverable))],
            len(session.exec(select(AuditEvent)).all()),
        )
