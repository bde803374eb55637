"""Capacity through the real process: `python -m bot` (HTTP mode) and a no-op Bolt app
(bench/noop_bolt.py), each its own subprocess on 127.0.0.1, taking signed requests from 1, 8 and
32 concurrent clients while the Slack stand-in answers every Web API call and response_url post
in 100 ms, then in 2 s. Prints Markdown tables; asserts nothing about time.

    python bench/bench_capacity.py --database-url postgresql://postgres@127.0.0.1:5432/t_d   # wiped
    python bench/bench_capacity.py --small         # 100 projects / 5,000 steps, 128 requests a cell
    python bench/bench_capacity.py --profile       # + cProfile of the status and Approve ack paths
    python bench/bench_capacity.py --source HEAD   # a commit (git archive), not the working tree

1,000 projects and 50,000 steps (a temporary SQLite file unless --database-url names another
database). Scenarios, each measured for Shepherd and then for the no-op in the same cell:
  status   `/project status` in a random project channel, answered inside the ack (the people's
           user cache is warmed first: a person's first command is answered after the ack)
  write    `/project step add …` and `/project log 1h`, alternating (ack, then the work threads)
  approve  Approve on a distinct pending deliverable, clicked by its approver
  mixed    the writes, while one more client reads `/project status` 50 times

Per cell: the acknowledgement's HTTP round trip (median, p99, max, how many past 1 s), requests
per second, the server process's CPU time per request (utime+stime from /proc/<pid>/stat; for
write and approve it includes the work after the ack, counted once every answer went out) and,
for Shepherd, when the last answer after the ack reached Slack. The database URL's `public`
schema is wiped first: give it a scratch database.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import inspect
import io
import itertools
import json
import os
import pstats
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from capacity_support import (
    ROOT,
    base_env,
    code_under_test,
    copy_rows,
    cpu_seconds,
    free_port,
    load_average,
    memory_mb,
    sqlalchemy_url,
    wipe_and_migrate,
)

# The code under test first (`--profile-only` runs with SHEPHERD_SOURCE set to it), then this
# repository, for `tests.support` (the Slack stand-in and the signed-request builders).
sys.path.insert(0, str(ROOT))
if os.environ.get("SHEPHERD_SOURCE"):
    sys.path.insert(0, os.environ["SHEPHERD_SOURCE"])

from sqlalchemy import column, create_engine, insert, table, text

from tests.support.slack_requests import SlackSender, block_actions_body, command_body
from tests.support.slack_stub import SlackStub

SECRET, TOKEN, TEAM = "capacity-signing-secret", "xoxb-test", "T_HOME"
PEOPLE = 40  # U0000 … U0039 own the projects and have the steps; client thread i is U{i:04d}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
APPROVE_ACTION, APPROVE_BLOCK = "deliverable_approve", "deliverable_decide"  # bot/messages/ids.py
# Every Web API method Shepherd or Bolt calls, and "response" for response_url posts.
SLACK_METHODS = (
    "auth.test", "chat.postMessage", "chat.update", "chat.postEphemeral", "conversations.info", "conversations.open",
    "conversations.join", "users.info", "users.list", "views.open", "views.update", "views.push", "response",
)  # fmt: skip
STEP_COLUMNS = (
    "team_id", "project_id", "number", "title", "stage", "assignee_id", "due_date", "created_by", "created_at", "done_at",
)  # fmt: skip
SECOND = 1.0
MIXED_READS = 50  # status requests of the reader in a "mixed" cell; the writers write until it is done


# --- Bolt's ack wait ----------------------------------------------------------------------------


def bolt_ack_poll() -> tuple[float | None, str]:
    """The sleep of the loop in which Bolt's request thread waits for the listener's ack()."""
    from slack_bolt.listener.thread_runner import ThreadListenerRunner

    path = inspect.getsourcefile(ThreadListenerRunner) or "?"
    lines = Path(path).read_text().splitlines()
    for n, line in enumerate(lines):
        if "while ack.response is None" in line:
            for m in range(n + 1, min(n + 4, len(lines))):
                found = re.search(r"time\.sleep\(([\d.]+)\)", lines[m])
                if found:
                    where = f"{path.split('site-packages/')[-1]}:{m + 1}"
                    return float(found[1]), f"{where}: `{line.strip()}` → `{lines[m].strip()}`"
    return None, f"no ack wait loop found in {path}"


# --- the database -------------------------------------------------------------------------------

PROJECT = table(
    "project", *(column(c) for c in (
        "team_id", "name", "name_key", "client", "channel_id", "owner_id", "stage", "start_date", "target_date", "tz",
        "hours_used", "created_at", "updated_at", "channel_shared", "channel_checked_at",
    ))
)  # fmt: skip
APPROVER = table("approver", *(column(c) for c in ("team_id", "project_id", "user_id", "added_by", "added_at")))
DELIVERABLE = table(
    "deliverable", *(column(c) for c in (
        "team_id", "project_id", "title", "title_key", "stage", "version", "state", "submitted_by", "submitted_at",
        "channel_id", "message_ts",
    ))
)  # fmt: skip
STEP = table("step", *(column(c) for c in STEP_COLUMNS))


@dataclass
class World:
    projects: int
    approvals: dict[int, list[tuple[int, str]]]  # client thread → its (deliverable id, message ts), in order
    seconds: float


def approver(i: int) -> str:
    return f"UAPP{i:03d}"


def seed(url: str, *, projects: int, steps: int, approvals_per_thread: list[int]) -> World:
    """`projects` projects (channels C000000 …) with `steps` steps between them, owned and worked
    by U0000 … U0039; one more project per approving client thread with its approver and as many
    pending deliverables (with their approval messages) as that thread will click. Plain SQL on
    the tables' columns, so any revision of the code under test can be seeded."""
    started = time.perf_counter()
    now = datetime.now(UTC)
    today = now.date()
    rng = random.Random(7)
    per_project = max(1, steps // projects)
    engine = create_engine(sqlalchemy_url(url))
    with engine.begin() as connection:

        def project(name: str, channel: str, owner: str) -> dict[str, Any]:
            target = today + timedelta(days=rng.randint(-10, 60))
            return dict(
                team_id=TEAM, name=name, name_key=name.lower(), client="Client", channel_id=channel, owner_id=owner,
                stage="execution", start_date=today - timedelta(days=60), target_date=target, tz="Europe/London",
                hours_used=0.0, created_at=now, updated_at=now,
                channel_shared=False, channel_checked_at=now,  # the scheduler has nothing to ask Slack about channels
            )  # fmt: skip

        rows = [project(f"Project {i}", f"C{i:06d}", f"U{i % PEOPLE:04d}") for i in range(projects)]
        rows += [project(f"Approvals {t}", f"CA{t:05d}", "U0039") for t in range(len(approvals_per_thread))]
        connection.execute(insert(PROJECT), rows)
        projects_found = connection.execute(text("SELECT channel_id, id FROM project"))
        ids_by_channel: dict[str, int] = {channel: pid for channel, pid in projects_found}
        step_rows = (
            (TEAM, ids_by_channel[f"C{i:06d}"], n, f"Step {n} of the plan", "execution", f"U{rng.randint(0, PEOPLE - 1):04d}",
             today + timedelta(days=rng.randint(-20, 40)), "U0000", now, now if rng.random() < 0.4 else None)
            for i in range(projects) for n in range(1, per_project + 1)
        )  # fmt: skip
        if url.startswith("sqlite"):
            connection.execute(insert(STEP), [dict(zip(STEP_COLUMNS, row, strict=True)) for row in step_rows])
        else:
            copy_rows(connection, "step", STEP_COLUMNS, step_rows)
        if approvals_per_thread:
            connection.execute(
                insert(APPROVER),
                [dict(team_id=TEAM, project_id=ids_by_channel[f"CA{t:05d}"], user_id=approver(t), added_by="U0039", added_at=now)
                 for t in range(len(approvals_per_thread))],
            )  # fmt: skip
            deliverables = [
                dict(team_id=TEAM, project_id=ids_by_channel[f"CA{t:05d}"], title=f"Deliverable {k}",
                     title_key=f"deliverable {k}", stage="execution", version=1, state="pending", submitted_by="U0039",
                     submitted_at=now, channel_id=f"CA{t:05d}", message_ts=f"{1_700_000_000 + t}.{k:06d}")
                for t, count in enumerate(approvals_per_thread) for k in range(count)
            ]  # fmt: skip
            for start in range(0, len(deliverables), 5000):
                connection.execute(insert(DELIVERABLE), deliverables[start : start + 5000])
        found = connection.execute(text("SELECT id, channel_id, message_ts FROM deliverable ORDER BY id")).all()
        approvals: dict[int, list[tuple[int, str]]] = {t: [] for t in range(len(approvals_per_thread))}
        for did, channel, ts in found:
            approvals[int(channel[2:])].append((did, ts))
        connection.execute(text("ANALYZE"))
    engine.dispose()
    return World(projects, approvals, time.perf_counter() - started)


# --- the processes ------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    url: str
    log: Path
    sender: SlackSender = field(init=False)
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)  # `python -m bot work` processes

    def __post_init__(self) -> None:
        self.sender = SlackSender(self.url, SECRET, timeout=10)

    @property
    def cpu(self) -> float:
        return cpu_seconds(self.process.pid)

    @property
    def worker_cpu(self) -> float:
        return sum(cpu_seconds(w.pid) for w in self.workers)

    def health(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + "/healthz", timeout=5) as response:
            return dict(json.loads(response.read()))

    def wait_up(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                self.health()
                return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"{self.name} did not come up in {timeout:.0f} s:\n{self.log.read_text()[-3000:]}")

    def settle(self, quiet: float = 0.02, timeout: float = 180) -> float:
        """Wait until the process uses (almost) no CPU for a second; return how long that took."""
        started = time.monotonic()
        last = self.cpu
        while time.monotonic() - started < timeout:
            time.sleep(1)
            now = self.cpu
            if now - last <= quiet:
                return time.monotonic() - started
            last = now
        return time.monotonic() - started

    def drain(self, timeout: float) -> bool:
        """Wait until Shepherd's work is done (nothing queued or running after the acks, no job left)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            health = self.health()
            work = health.get("work") or {}
            if not work.get("queued") and not work.get("running") and not health.get("jobs"):
                return True
            time.sleep(0.2)
        return False

    def stop(self) -> None:
        for process in [self.process, *self.workers]:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)


def start(name: str, argv: list[str], env: dict[str, str], port: int, tmp: Path) -> Server:
    log = tmp / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(argv, cwd=tmp, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(name, process, f"http://127.0.0.1:{port}", log)
    server.wait_up()
    return server


def start_shepherd(slack: SlackStub, database_url: str, source: Path, tmp: Path, workers: int = 0) -> Server:
    """`python -m bot`; with `workers`, it only acknowledges (WORK_THREADS=0) and that many
    `python -m bot work` processes do the work."""
    port = free_port()
    not_today = WEEKDAYS[(datetime.now(UTC).weekday() + 3) % 7]
    env = {
        **base_env(source),
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "DATABASE_URL": database_url,
        # The scheduler's one pass at start-up sends nothing (today is no working day) and the next
        # is a day away: the requests are what is measured.
        "REMINDER_INTERVAL": "86400",
        "WORK_DAYS": not_today,
    }
    server = start("shepherd", [sys.executable, "-m", "bot"], {**env, "WORK_THREADS": "0" if workers else "32"}, port, tmp)
    for n in range(workers):
        with (tmp / f"worker-{n}.log").open("wb") as out:
            server.workers.append(
                subprocess.Popen([sys.executable, "-m", "bot", "work"], cwd=tmp, env=env, stdout=out, stderr=subprocess.STDOUT)
            )
    return server


def start_noop(slack: SlackStub, tmp: Path, write_url: str | None = None) -> Server:
    port = free_port()
    env = {
        **base_env(ROOT),
        **({"NOOP_WRITE_URL": sqlalchemy_url(write_url)} if write_url else {}),
        "NOOP_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "PORT": str(port),
    }
    return start("noop", [sys.executable, str(ROOT / "bench" / "noop_bolt.py")], env, port, tmp)


# --- measuring ----------------------------------------------------------------------------------


@dataclass
class Cell:
    acks: list[float]  # seconds, one per request answered
    errors: int
    wall: float
    cpu: float  # server CPU seconds over the cell (and its after-ack work)
    busy: float  # server CPU seconds while the requests were being sent, ÷ their wall time: 1.0 = one core
    answered_after: float | None = None  # Shepherd: cell start → last answer after the ack reached Slack
    worker_cpu: float = 0.0  # CPU seconds of `python -m bot work` processes over the cell

    @property
    def n(self) -> int:
        return len(self.acks)

    def pct(self, q: float) -> float:
        ordered = sorted(self.acks)
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")

    @property
    def median(self) -> float:
        return statistics.median(self.acks) if self.acks else float("nan")

    @property
    def late(self) -> int:
        return sum(1 for a in self.acks if a > SECOND) + self.errors

    @property
    def rps(self) -> float:
        return self.n / self.wall if self.wall else float("nan")

    @property
    def cpu_ms(self) -> float:
        return self.cpu / max(1, self.n) * 1000


@dataclass
class Sent:
    acks: list[float]
    errors: int
    wall: float
    reader_acks: list[float] = field(default_factory=list)
    reader_errors: int = 0


def run_cell(
    server: Server,
    make_body: Callable[[int, int], str],
    *,
    clients: int,
    per_client: int,
    check: Callable[[str], bool] | None = None,
    reader: Callable[[int], str] | None = None,
    reader_check: Callable[[str], bool] | None = None,
    reads: int = 0,
) -> Sent:
    """`clients` threads each post `per_client` signed requests back to back, every ack timed. With
    `reader`, one more thread posts `reads` requests one after another, and the others keep going
    until it is done (up to 8 × `per_client` each)."""
    acks: list[list[float]] = [[] for _ in range(clients + 1)]
    errors = [0] * (clients + 1)
    gate = threading.Barrier(clients + 1 + (reader is not None))
    done = threading.Event()  # the clients are done
    read_all = threading.Event()  # the reader is done

    def post(i: int, body: str, check: Callable[[str], bool] | None) -> None:
        begin = time.perf_counter()
        try:
            reply = server.sender.post(body)
        except OSError:  # a timeout (10 s) or a refused connection: counted as late
            errors[i] += 1
            return
        acks[i].append(time.perf_counter() - begin)
        if reply.status != 200 or (check is not None and not check(reply.body)):
            errors[i] += 1

    def client(i: int) -> None:
        gate.wait()
        for k in range(per_client * (8 if reader is not None else 1)):
            if k >= per_client and read_all.is_set():
                return
            post(i, make_body(i, k), check)

    def read() -> None:
        assert reader is not None
        gate.wait()
        for k in range(reads):
            if done.is_set():
                break
            post(clients, reader(k), reader_check)
        read_all.set()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    extra = [threading.Thread(target=read, daemon=True)] if reader is not None else []
    for thread in threads + extra:
        thread.start()
    gate.wait()
    begin = time.perf_counter()
    for thread in threads:
        thread.join(timeout=per_client * (8 if reader is not None else 1) * 11 + 5)
    wall = time.perf_counter() - begin
    done.set()
    for thread in extra:
        thread.join(timeout=15)
    return Sent([a for per in acks[:clients] for a in per], sum(errors[:clients]), wall, acks[clients], errors[clients])


class Bench:
    def __init__(self, slack: SlackStub, shepherd: Server, noop: Server, world: World, requests: int) -> None:
        self.slack, self.shepherd, self.noop, self.world, self.requests = slack, shepherd, noop, world, requests
        self.serial = itertools.count()
        self.cursor: dict[int, int] = {t: 0 for t in world.approvals}  # next deliverable of each approver

    def body(self, scenario: str, who: Server, cell: str, i: int, k: int, rng: random.Random) -> str:
        trigger = f"{cell}.{i}.{k}.{next(self.serial)}"  # a fresh signature each time, as from Slack
        url = self.slack.response_url(cell)
        if scenario == "approve":
            if who is self.shepherd:
                deliverable, ts = self.world.approvals[i][self.cursor[i]]
                self.cursor[i] += 1
            else:
                deliverable, ts = 1, "1.0"
            return block_actions_body(
                action_id=APPROVE_ACTION, value=str(deliverable), user_id=approver(i), channel_id=f"CA{i:05d}",
                message_ts=ts, response_url=url, block_id=APPROVE_BLOCK, team_id=TEAM, trigger_id=trigger,
            )  # fmt: skip
        channel = f"C{rng.randrange(self.world.projects):06d}"
        words = "status" if scenario == "status" else ("log 1h" if k % 2 else f"step add Capacity check {i}.{k}")
        return command_body(words, user_id=f"U{i:04d}", channel_id=channel, response_url=url, trigger_id=trigger, team_id=TEAM)

    def cell(self, scenario: str, who: Server, clients: int, latency: float) -> list[tuple[str, Cell]]:
        """One cell: `scenario` from `clients` clients at once. "mixed" is `clients` writers and one
        more client reading `/project status` (MIXED_READS times) while they write: two rows."""
        per_client = max(1, self.requests // clients)
        cell = f"{who.name}-{scenario}-{clients}-{latency:g}-{next(self.serial)}"
        rngs = [random.Random(f"{cell}/{i}") for i in range(clients + 1)]
        updates_before = len(self.slack.calls_to("chat.update"))
        in_ack = (lambda body: '"blocks"' in body) if who is self.shepherd else None
        kind = "write" if scenario == "mixed" else scenario

        def reader(k: int) -> str:
            return self.body("status", who, cell, clients, k, rngs[clients])

        cpu_before, worker_cpu_before = who.cpu, who.worker_cpu
        begin = time.perf_counter()
        sent = run_cell(
            who, lambda i, k: self.body(kind, who, cell, i, k, rngs[i]), clients=clients, per_client=per_client,
            check=in_ack if scenario == "status" else None, reader=reader if scenario == "mixed" else None,
            reader_check=in_ack, reads=MIXED_READS,
        )  # fmt: skip
        busy = (who.cpu - cpu_before) / sent.wall if sent.wall else float("nan")
        answered = None
        if who is self.shepherd and kind != "status":  # the work after the acks: let it finish, and time it
            budget = 60 + len(sent.acks) * latency * 3
            with contextlib.suppress(AssertionError):
                if kind == "write":
                    self.slack.wait_for_responses(len(sent.acks), key=cell, timeout=budget)
                else:
                    self.slack.wait_for("chat.update", count=updates_before + len(sent.acks), timeout=budget)
                answered = time.perf_counter() - begin
            who.drain(timeout=budget)
        main = Cell(sent.acks, sent.errors, sent.wall, who.cpu - cpu_before, busy, answered, who.worker_cpu - worker_cpu_before)
        if scenario != "mixed":
            return [(scenario, main)]
        reads = Cell(sent.reader_acks, sent.reader_errors, sent.wall, float("nan"), busy, None)
        return [("mixed: writes", main), ("mixed: 1 status reader", reads)]


# --- Slack ---------------------------------------------------------------------------------------


def set_latency(slack: SlackStub, seconds: float) -> None:
    for method in SLACK_METHODS:
        slack.delay(method, seconds)


def warm(bench: Bench, users: int, timeout: float) -> int:
    """Each client's first status command: answered after the ack when Shepherd had to ask Slack
    who they are. Returns how many were (the others were already known, e.g. from the scheduler)."""
    after_ack = 0

    def one(i: int) -> None:
        nonlocal after_ack
        key = f"warm-{i}"
        body = command_body(
            "status",
            user_id=f"U{i:04d}",
            channel_id="C000000",
            response_url=bench.slack.response_url(key),
            trigger_id=key,
            team_id=TEAM,
        )
        reply = bench.shepherd.sender.post(body)
        if '"blocks"' not in reply.body:
            after_ack += 1
            bench.slack.wait_for_responses(1, key=key, timeout=timeout)

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout + 15)
    return after_ack


# --- profiling one request path -----------------------------------------------------------------


class Inline:
    """An executor that runs the listener in the calling thread, so cProfile sees the whole path
    (for the no-op here, and for code under test from before listeners ran in the request's thread)."""

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        from concurrent.futures import Future

        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # handed to the caller, as a pool would
            future.set_exception(error)
        return future


def profile_paths(database_url: str, projects: int, requests: int) -> None:
    """`--profile-only` (run by main in a subprocess with SHEPHERD_SOURCE = the code under test):
    `/project status` and an Approve click through gate → Bolt → listener → ack in this one thread
    (the listener run inline, so cProfile sees the whole ack path), on the database main seeded and
    warmed, then the same for the no-op. The work an Approve leaves for after its ack runs on
    Shepherd's work threads, as in production: its CPU is what the process used beyond the ack
    path until they were idle again. Prints Markdown."""
    from slack_bolt import App
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from slack_sdk import WebClient
    from sqlalchemy import event

    import handlers
    from bot.services import Services
    from bot.settings import Settings
    from bot.slack.app import create_app
    from bot.slack.server import wsgi_app
    from storage.db import Database
    from tests.support.slack_requests import sign

    clicks = 30 + 2 * requests
    engine = create_engine(sqlalchemy_url(database_url))
    now = datetime.now(UTC)
    with engine.begin() as connection:  # one more project, its approver, and a deliverable per click
        connection.execute(
            insert(PROJECT),
            [dict(team_id=TEAM, name="Profile approvals", name_key="profile approvals", client="Client", channel_id="CPROFILE",
                  owner_id="U0039", stage="execution", start_date=now.date(), target_date=None, tz="UTC", hours_used=0.0,
                  created_at=now, updated_at=now, channel_shared=False, channel_checked_at=now)],
        )  # fmt: skip
        pid = connection.execute(text("SELECT id FROM project WHERE channel_id = 'CPROFILE'")).scalar_one()
        connection.execute(
            insert(APPROVER), [dict(team_id=TEAM, project_id=pid, user_id="UPROFILE", added_by="U0039", added_at=now)]
        )
        connection.execute(
            insert(DELIVERABLE),
            [dict(team_id=TEAM, project_id=pid, title=f"Profiled {k}", title_key=f"profiled {k}", stage="execution", version=1,
                  state="pending", submitted_by="U0039", submitted_at=now, channel_id="CPROFILE", message_ts=f"1.{k:06d}")
             for k in range(clicks)],
        )  # fmt: skip
        found = connection.execute(text(f"SELECT id FROM deliverable WHERE project_id = {pid} ORDER BY id")).scalars()
        deliverables = iter(list(found))
    engine.dispose()

    with SlackStub(tokens={TOKEN: TEAM}) as slack:
        settings = Settings.from_mapping(
            {
                "SLACK_BOT_TOKEN": TOKEN,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": slack.api_url,
                "DATABASE_URL": database_url,
            }
        )
        db = Database(settings.database_url)
        services = Services(settings, db)
        app = create_app(services, handlers.register)
        app._listener_runner.listener_executor = Inline()  # type: ignore[assignment]
        shepherd = wsgi_app(app, db, signing_secret=SECRET)
        noop_app = App(client=WebClient(token=TOKEN, base_url=slack.api_url), signing_secret=SECRET)
        noop_app._listener_runner.listener_executor = Inline()  # type: ignore[assignment]

        @noop_app.command("/project")
        def noop(ack: Any) -> None:
            ack()

        @noop_app.action(re.compile(".*"))
        def noop_click(ack: Any) -> None:
            ack()

        noop_wsgi = SlackRequestHandler(noop_app, path="/slack/events")
        counts = {"statements": 0, "checkouts": 0, "pings": 0}

        def count(name: str) -> Callable[..., None]:
            def add(*_: Any) -> None:
                counts[name] += 1

            return add

        event.listen(db.engine, "before_cursor_execute", count("statements"))
        event.listen(db.engine, "checkout", count("checkouts"))
        ping = db.engine.dialect.do_ping

        def counted_ping(connection: Any) -> Any:
            counts["pings"] += 1
            return ping(connection)

        db.engine.dialect.do_ping = counted_ping  # type: ignore[method-assign,assignment]
        rng = random.Random(3)
        serial = itertools.count()

        def status_body(shepherds: bool) -> str:
            n = next(serial)
            return command_body(
                "status", user_id=f"U{n % 32:04d}", channel_id=f"C{rng.randrange(projects):06d}",
                response_url=slack.response_url("profile"), trigger_id=f"profile.{n}", team_id=TEAM,
            )  # fmt: skip

        def approve_body(shepherds: bool) -> str:
            n = next(serial)
            value = next(deliverables) if shepherds else 1
            return block_actions_body(
                action_id=APPROVE_ACTION, value=str(value), user_id="UPROFILE", channel_id="CPROFILE", message_ts="1.0",
                response_url=slack.response_url("profile"), block_id=APPROVE_BLOCK, team_id=TEAM, trigger_id=f"profile.{n}",
            )  # fmt: skip

        def call(application: Callable[..., Any], body: str, *, answered_in_ack: bool) -> None:
            headers = sign(SECRET, body)
            raw = body.encode()
            environ = {
                "REQUEST_METHOD": "POST", "PATH_INFO": "/slack/events", "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
                "SERVER_PORT": "0", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
                "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": str(len(raw)),
                "wsgi.input": io.BytesIO(raw),
                "HTTP_X_SLACK_REQUEST_TIMESTAMP": headers["X-Slack-Request-Timestamp"],
                "HTTP_X_SLACK_SIGNATURE": headers["X-Slack-Signature"],
            }  # fmt: skip
            status: list[str] = []
            out = b"".join(application(environ, lambda s, h, *_: status.append(s)))
            if not status or not status[0].startswith("200") or (answered_in_ack and b'"blocks"' not in out):
                raise SystemExit(f"profile: unexpected answer {status} {out[:300]!r}")

        def idle() -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                stats = services.work.stats()
                if not stats["queued"] and not stats["running"]:
                    return
                time.sleep(0.05)

        paths = (
            ("Shepherd `/project status`", shepherd, status_body, True),
            ("no-op Bolt command", noop_wsgi, status_body, False),
            ("Shepherd Approve click", shepherd, approve_body, False),
            ("no-op Bolt action", noop_wsgi, approve_body, False),
        )
        for name, application, make, in_ack in paths:
            ours = application is shepherd
            for _ in range(30):  # warm: auth.test, pools, caches
                call(application, make(ours), answered_in_ack=in_ack)
            idle()
            counts.update(statements=0, checkouts=0, pings=0)
            thread_started, process_started = time.thread_time(), time.process_time()
            for _ in range(requests):
                call(application, make(ours), answered_in_ack=in_ack)
            ack_path = (time.thread_time() - thread_started) / requests * 1000
            idle()
            total = (time.process_time() - process_started) / requests * 1000
            per = {k: v / requests for k, v in counts.items()}
            profiler = cProfile.Profile(time.thread_time)  # CPU time of this thread: the ack path
            profiler.enable()
            for _ in range(requests):
                call(application, make(ours), answered_in_ack=in_ack)
            profiler.disable()
            idle()
            line = f"#### {name}: {ack_path:.2f} ms CPU on the ack path"
            if total - ack_path > 0.05:
                line += f", {total - ack_path:.2f} ms more after the ack (work threads)"
            if ours:
                line += (
                    f"; per request {per['statements']:.1f} SQL statements, {per['checkouts']:.1f} pool checkouts "
                    f"({per['pings']:.1f} pre-ping round trips)"
                )
            print(line + "\n")
            if application is noop_wsgi:
                continue
            if dump := os.environ.get("BENCH_PROFILE_DUMP"):  # the whole profile, for pstats / snakeviz
                profiler.dump_stats(f"{dump}.{'status' if in_ack else 'approve'}.prof")
            stream = io.StringIO()
            stats = pstats.Stats(profiler, stream=stream).sort_stats("cumulative")
            stats.print_stats(r"(bot|handlers|storage)/", 14)
            print(f"The ack path, cumulative CPU seconds in Shepherd's code ({requests} requests under cProfile):\n")
            print(f"```\n{_trim(stream.getvalue())}\n```\n")
        db.dispose()


def _trim(pstats_text: str) -> str:
    site = next((p for p in sys.path if p.endswith("site-packages")), "site-packages")
    source = os.environ.get("SHEPHERD_SOURCE") or str(ROOT)
    lines = [line.replace(site + "/", "").replace(source + "/", "") for line in pstats_text.splitlines()]
    start = next((n for n, line in enumerate(lines) if "ncalls" in line), 0)
    return "\n".join(line.rstrip() for line in lines[start:] if line.strip())


def run_profile(database_url: str, source: Path, projects: int, tmp: Path) -> str:
    env = {**base_env(source), "SHEPHERD_SOURCE": str(source)}
    argv = [sys.executable, str(Path(__file__).resolve()), "--profile-only", "--database-url", database_url]
    argv += ["--projects", str(projects)]
    done = subprocess.run(argv, cwd=tmp, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        return f"(profiling failed: {done.stderr[-2000:]})"
    return done.stdout


# --- main ----------------------------------------------------------------------------------------


def fmt_ms(seconds: float) -> str:
    ms = seconds * 1000
    return f"{ms:.0f}" if ms >= 100 else f"{ms:.1f}"


def latency_label(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:g} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        help="a scratch database, wiped first, e.g. postgresql://postgres@127.0.0.1:5432/t_d (default: a temporary SQLite file)",
    )
    parser.add_argument("--source", default="worktree", help="the code to run: worktree (default) or a git revision, e.g. HEAD")
    parser.add_argument("--small", action="store_true", help="100 projects / 5,000 steps and 128 requests a cell")
    parser.add_argument("--projects", type=int)
    parser.add_argument("--steps", type=int)
    parser.add_argument("--requests", type=int, help="requests per cell, split over its clients (default 512; --small 128)")
    parser.add_argument("--latencies", default="0.1,2", help="Slack stand-in latencies in seconds")
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--scenarios", default="status,write,approve,mixed", help="any of status,write,approve,mixed")
    parser.add_argument(
        "--workers", type=int, default=0,
        help="Shepherd acknowledges only (WORK_THREADS=0) and this many `python -m bot work` processes do the work",
    )  # fmt: skip
    parser.add_argument(
        "--noop-writes", action="store_true",
        help="the no-op writes one row per request before its ack (one autocommit round trip; PostgreSQL only): "
        "the floor of a durable acknowledgement",
    )  # fmt: skip
    parser.add_argument("--profile", action="store_true", help="also cProfile one /project status request path")
    parser.add_argument("--profile-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.noop_writes and not (args.database_url or "").startswith("postgres"):
        parser.error("--noop-writes needs a PostgreSQL --database-url")
    projects = args.projects or (100 if args.small else 1000)
    if args.profile_only:
        assert args.database_url, "--profile-only needs the --database-url main seeded"
        profile_paths(args.database_url, projects, requests=300)
        return
    steps = args.steps or (5_000 if args.small else 50_000)
    requests = args.requests or (128 if args.small else 512)
    latencies = [float(x) for x in args.latencies.split(",")]
    clients_list = [int(x) for x in args.clients.split(",")]
    scenarios = [s.strip() for s in args.scenarios.split(",")]
    most = max(clients_list)
    approvals = [0] * most  # deliverables each approving thread will click, over every cell
    if "approve" in scenarios:
        for clients in clients_list:
            for i in range(clients):
                approvals[i] += max(1, requests // clients) * len(latencies)

    poll, poll_where = bolt_ack_poll()
    ThreadingHTTPServer.request_queue_size = 128  # the stand-in's listen backlog (5 by default): Slack has no such limit
    with tempfile.TemporaryDirectory() as tmp_name, SlackStub(tokens={TOKEN: TEAM}) as slack:
        tmp = Path(tmp_name)
        source, described = code_under_test(args.source, tmp / "source")
        slack.members = [f"U{i:04d}" for i in range(PEOPLE)] + [approver(t) for t in range(most)]
        url = args.database_url or f"sqlite:///{tmp}/capacity.db"
        wipe_and_migrate(url, source, tmp)
        world = seed(url, projects=projects, steps=steps, approvals_per_thread=approvals)
        set_latency(slack, latencies[0])
        shepherd = start_shepherd(slack, url, source, tmp, workers=args.workers)
        noop = start_noop(slack, tmp, write_url=url if args.noop_writes else None)
        results: dict[tuple[float, str, int], tuple[Cell, Cell]] = {}
        notes: list[str] = []
        load_before = load_average()
        try:
            bench = Bench(slack, shepherd, noop, world, requests)
            after_ack = warm(bench, min(PEOPLE, most + 1), timeout=60)
            for who in (shepherd, noop):  # unmeasured: connection pools, Bolt's auth.test, first imports

                def warm_body(i: int, k: int, who: Server = who) -> str:
                    return bench.body("status", who, "warm", i, k, random.Random(k))

                run_cell(who, warm_body, clients=1, per_client=10)
            settled = shepherd.settle()
            notes.append(
                f"Warm-up: {after_ack} of {min(PEOPLE, most + 1)} people's first command was answered after the ack "
                "(not yet in the user cache; the rest had been cached by the scheduler's start-up pass); Shepherd's CPU was idle "
                f"{settled:.0f} s later."
            )
            for latency in latencies:
                set_latency(slack, latency)
                for scenario in scenarios:
                    for clients in clients_list:
                        ours_rows = bench.cell(scenario, shepherd, clients, latency)
                        theirs_rows = bench.cell(scenario, noop, clients, latency)
                        for (label, ours), (_, theirs) in zip(ours_rows, theirs_rows, strict=True):
                            results[(latency, label, clients)] = (ours, theirs)
                            print(
                                f"  {latency_label(latency)} {label:<8} {clients:>2} clients: "
                                f"Shepherd p99 {fmt_ms(ours.pct(0.99))} ms, no-op p99 {fmt_ms(theirs.pct(0.99))} ms",
                                file=sys.stderr, flush=True,
                            )  # fmt: skip
            rss = memory_mb(shepherd.process.pid)
            noop_rss = memory_mb(noop.process.pid)
        finally:
            shepherd.stop()
            noop.stop()
        load_after = load_average()
        errors_in_log = [line for line in shepherd.log.read_text().splitlines() if " ERROR " in line or "Traceback" in line]
        profile = run_profile(url, source, projects, tmp) if args.profile else None

    backend = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    shape = "`python -m bot`, HTTP"
    if args.workers:
        shape += f", WORK_THREADS=0, with {args.workers} `python -m bot work` process{'es' if args.workers > 1 else ''}"
    baseline = "a Bolt app that writes one row and acknowledges (`--noop-writes`)" if args.noop_writes else "a no-op Bolt app"
    print(f"\n### Acknowledgements: Shepherd ({shape}) vs {baseline}, same machine, same run\n")
    print(f"Code: {described}. {backend}, {projects:,} projects, {steps:,} steps (seeded in {world.seconds:.1f} s); "
          f"{requests} requests a cell, split over its clients. {os.cpu_count()} CPUs shared by both servers, "
          f"the client threads and the Slack stand-in; {load_before} before, {load_after.split(' (')[0]} after.\n")  # fmt: skip
    header = (
        "Slack", "scenario", "clients", "n", "Shepherd median / p99 / max ms", "no-op median / p99 / max ms",
        "p99 ratio", "acks > 1 s (S / no-op)", "req/s (S / no-op)", "CPU ms/req (S / no-op)", "CPU ratio",
        "S busy", "answers done s", *(["worker CPU ms/req"] if args.workers else []),
    )  # fmt: skip
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---:" if n > 1 else "---" for n in range(len(header))) + "|")
    for (latency, scenario, clients), (ours, theirs) in results.items():
        done = "-" if "status" in scenario else "not all"
        if ours.answered_after is not None:
            done = f"{ours.answered_after:.1f}"
        cells = (
            latency_label(latency), scenario, str(clients), str(ours.n),
            f"{fmt_ms(ours.median)} / {fmt_ms(ours.pct(0.99))} / {fmt_ms(max(ours.acks))}",
            f"{fmt_ms(theirs.median)} / {fmt_ms(theirs.pct(0.99))} / {fmt_ms(max(theirs.acks))}",
            f"{ours.pct(0.99) / theirs.pct(0.99):.1f}×", f"{ours.late} / {theirs.late}", f"{ours.rps:.0f} / {theirs.rps:.0f}",
            f"{ours.cpu_ms:.1f} / {theirs.cpu_ms:.1f}" if ours.cpu == ours.cpu else "(in the row above)",
            f"{ours.cpu_ms / theirs.cpu_ms:.1f}×" if ours.cpu == ours.cpu and theirs.cpu_ms else "-",
            f"{ours.busy:.0%}", done, *([f"{ours.worker_cpu / max(1, ours.n) * 1000:.1f}"] if args.workers else []),
        )  # fmt: skip
        print("| " + " | ".join(cells) + " |")
    print()
    shown = f"{poll * 1000:.0f} ms" if poll is not None else "not found"
    print(f"- Bolt's ack poll interval: **{shown}**, {poll_where}. With `process_before_response=False` Bolt's "
          "request thread sleeps in this loop until a listener thread has called ack(), so each ack lands on a ~10 ms "
          "step; both apps here run their listeners in the request's thread (`process_before_response=True`), which "
          "skips that loop (the code under test may predate this for Shepherd).")  # fmt: skip
    database_cpu = (
        "SQLite runs inside it, so its work is included" if backend == "SQLite" else "PostgreSQL's own CPU not included"
    )
    print(f"- CPU ms/req: the server subprocess's utime+stime over the cell ÷ requests ({database_cpu}). "
          "For write and approve, Shepherd's includes the work after the ack (database, Slack calls), read once all of it "
          "was done.")  # fmt: skip
    print(
        "- S busy: Shepherd's CPU time while the requests were being sent ÷ their wall time; 100% is one core, all "
        "that one Python process can use for Python code (the GIL)."
    )
    print("- acks > 1 s also counts errors (non-200, a status not answered in the ack, a 10 s timeout). answers done: from "
          "the cell's first request until the last answer after the ack reached the Slack stand-in (write: the response_url "
          "post; approve: the chat.update of the approval message).")  # fmt: skip
    if any("mixed" in label for _, label, _ in results):
        print(f"- mixed: the clients write (as in write) until one more client has made {MIXED_READS} `/project status` "
              "requests one after another, so n of the writes varies; the status reader's row shows its own acks.")  # fmt: skip
    print(f"- Peak RSS at the end: Shepherd {rss:.0f} MB, no-op {noop_rss:.0f} MB.")
    for note in notes:
        print(f"- {note}")
    if errors_in_log:
        print(f"- Shepherd logged {len(errors_in_log)} ERROR/Traceback line(s), first: `{errors_in_log[0][:200]}`")
    else:
        print("- Shepherd logged no ERROR lines.")
    if profile:
        print("\n### The status and Approve request paths, profiled (one thread, in-process)\n")
        print(profile)


if __name__ == "__main__":
    main()
