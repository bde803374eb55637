"""The work that follows an acknowledgement — Slack calls, replies by response_url, writes that
may wait — runs here, on its own threads, so no request's ack ever waits for a thread busy
talking to Slack. Its backlog shows in the logs and in `GET /healthz`.

Work that a request asks for is first written down (`storage/jobs.py`): if this process dies
before it is done, a live worker does it from the request itself, replayed (`bot/slack/replay.py`).
With `here=False` (WORK_THREADS=0) this process only writes it down, and `python -m bot work`
processes do it.

>>> work = Backlog(threads=2)
>>> work.submit(lambda: None, "a no-op").result()
>>> work.stats()["queued"]
0
>>> work.shutdown()
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from bot.slack.outage import tell_database_down
from storage import jobs
from storage.db import Database
from storage.outage import outage

log = logging.getLogger(__name__)

WORK_THREADS = 32  # Slack answers in ~0.1-2 s: enough to keep up with bursts, bounded all the same
LOCAL_THREADS = 4  # an acknowledging-only process still refreshes Home tabs and the like itself
BACKLOG_WARNING = 200


@dataclass
class Pending:
    """The request being served: its payload, what its ack decided, and its job once written down."""

    team_id: str
    body: dict[str, Any]
    replaying: bool = False  # a worker doing the work of a request acknowledged before
    notes: dict[str, Any] = field(default_factory=dict)
    job_id: int | None = None
    db: Database | None = None  # where its job is written down (for `note_done`)
    answers: int = 0  # replies sent so far, counted so a replay knows which it already sent
    outstanding: int = 0
    submitted: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    before: dict[str, Any] = field(init=False, repr=False)  # what was noted before this worker took the job

    def __post_init__(self) -> None:
        self.before = dict(self.notes) if self.replaying else {}


CURRENT: contextvars.ContextVar[Pending | None] = contextvars.ContextVar("shepherd_request", default=None)


@dataclass
class Signed:
    """A signed HTTP request's replay guard (`bot/slack/gate.py`): written with the request's job
    when it hands on work (one round trip for both), else by the gate once the listener is done."""

    signature: str
    checked: bool = False  # the guard row is written (or was found: `replay`)
    replay: bool = False  # the signature was served before: nothing of this request may run


SIGNED: contextvars.ContextVar[Signed | None] = contextvars.ContextVar("shepherd_signed", default=None)


def ack_note(key: str, value: Any) -> Any:
    """A decision the ack made that its work depends on: kept with the job, and read back (not
    made again) when a worker replays the request, so the work takes the same way."""
    pending = CURRENT.get()
    if pending is None:
        return value
    if pending.replaying:
        return pending.notes.get(key, value)
    pending.notes[key] = value
    return value


def replaying() -> bool:
    pending = CURRENT.get()
    return pending is not None and pending.replaying


WRITTEN = "written"  # the note of work whose writes were committed: its answer and project


def mark_written(session: Session, *, answer: dict[str, Any] | None, project_id: int | None) -> None:
    """The current job's writes are about to be committed in `session`: note it in the same
    transaction, with the answer they earned, so a worker taking the job over after a crash sends
    that answer instead of writing a second time."""
    pending = CURRENT.get()
    if pending is None or pending.job_id is None:
        return
    pending.notes[WRITTEN] = {"answer": answer, "project_id": project_id}
    jobs.note(session, pending.job_id, pending.notes)


def written_before() -> dict[str, Any] | None:
    """When replaying a job whose writes were committed before its worker stopped: what
    `mark_written` kept (answer, project_id); else None."""
    pending = CURRENT.get()
    if pending is None or not pending.replaying:
        return None
    found = pending.notes.get(WRITTEN)
    return found if isinstance(found, dict) else None


def written_project() -> int | None:
    """The project whose creation this request committed before its worker stopped, if any."""
    written = written_before()
    found = written.get("project_id") if written else None
    return found if isinstance(found, int) else None


def done_before(key: str) -> Any:
    """When replaying a job: what `note_done(key, …)` kept before its worker stopped (None: not
    done, or not replaying). A Slack call whose answer was noted is not made again."""
    pending = CURRENT.get()
    if pending is None or not pending.replaying:
        return None
    return pending.before.get(key)


def note_done(key: str, value: Any = True, *, session: Session | None = None) -> None:
    """Note with the current job that `key` is done: in `session`'s transaction (kept with its
    writes), else at once, right after Slack answered — so a worker taking the job over after a
    crash repeats at most what was in flight, never what was answered."""
    pending = CURRENT.get()
    if pending is None or pending.job_id is None:
        return
    with pending.lock:
        pending.notes[key] = value
        notes = dict(pending.notes)
    if session is not None:
        jobs.note(session, pending.job_id, notes)
        return
    if pending.db is None:
        return
    try:
        with pending.db.transaction() as own:
            jobs.note(own, pending.job_id, notes)
    except Exception:  # done all the same; only a crash in the next instant would repeat it
        log.warning("could not note %s of job %s", key, pending.job_id, exc_info=True)


def next_answer() -> str | None:
    """The note key of the current job's next reply (None outside a written-down job)."""
    pending = CURRENT.get()
    if pending is None:
        return None
    with pending.lock:
        pending.answers += 1
        return f"answered:{pending.answers}"


class Backlog:
    def __init__(self, threads: int = WORK_THREADS, *, db: Database | None = None, here: bool = True) -> None:
        self.db = db
        self.here = here
        self.me = jobs.worker_id()
        self._pool = ThreadPoolExecutor(max_workers=threads if here else LOCAL_THREADS, thread_name_prefix="shepherd-work")
        self._lock = threading.Lock()
        self._queued = 0
        self._running = 0
        self._done = 0
        self._warned = False
        self._joined = False
        self._stopping = threading.Event()

    def submit(self, job: Callable[[], Any], name: str) -> Future[Any]:
        """Run `job` after the ack; its failure is logged, never lost silently."""
        pending = CURRENT.get()
        if pending is not None and pending.replaying:  # a worker replays the request: do it now
            pending.submitted += 1
            return _done(_logged(job, name))
        signed = SIGNED.get()
        if signed is not None and signed.replay:
            return _done(None)  # a replayed request: the gate answers it, and runs none of it
        job_id = self._write_down(pending, name) if pending is not None else None
        if signed is not None and signed.replay:
            return _done(None)
        if job_id is not None and not self.here:
            return _done(None)  # a `python -m bot work` process does it
        with self._lock:
            self._queued += 1
            backlog = self._queued
        if backlog >= BACKLOG_WARNING and not self._warned:
            self._warned = True
            log.warning("%s jobs wait for Slack (is Slack slow or failing?)", backlog)

        context = contextvars.copy_context()  # the work sees the request it serves (`mark_written`)

        def run() -> Any:
            with self._lock:
                self._queued -= 1
                self._running += 1
            try:
                return context.run(_logged, job, name)
            finally:
                if job_id is not None and pending is not None:
                    self._finished(pending)
                with self._lock:
                    self._running -= 1
                    self._done += 1
                    if self._queued < BACKLOG_WARNING // 2:
                        self._warned = False

        return self._pool.submit(run)

    def _write_down(self, pending: Pending, name: str) -> int | None:
        if self.db is None:
            return None
        with pending.lock:
            pending.outstanding += 1
            if pending.job_id is None:
                signed = SIGNED.get()
                guard = signed.signature if signed is not None and not signed.checked else None
                try:
                    self._join()
                    pending.db = self.db
                    pending.job_id = jobs.record(
                        self.db, team_id=pending.team_id, body=pending.body, name=name, notes=pending.notes,
                        claimed_by=self.me if self.here else None, signature=guard,
                    )  # fmt: skip
                    if signed is not None and guard is not None:
                        signed.checked, signed.replay = True, pending.job_id is None
                    if pending.job_id is None:
                        pending.outstanding -= 1
                        return None
                except Exception as error:  # the database is failing: do the work here, unrecorded, rather than not at all
                    if not outage.noticed(error):
                        log.warning("could not write down %s; doing it without a record", name, exc_info=True)
                    pending.outstanding -= 1
                    return None
            return pending.job_id

    def _finished(self, pending: Pending) -> None:
        assert self.db is not None
        with pending.lock:
            pending.outstanding -= 1
            if pending.outstanding or pending.job_id is None:
                return
            job_id = pending.job_id
        try:
            jobs.forget(self.db, job_id)
        except Exception:  # done all the same; a worker would do it again, so say so
            log.warning("job %s is done but still recorded (it may be done again)", job_id, exc_info=True)

    def _join(self) -> None:
        """Beat before the first record, so no worker takes this process's jobs for a dead one's."""
        if self._joined or self.db is None:
            return
        with self._lock:
            if self._joined:
                return
            jobs.beat(self.db, self.me)
            self._joined = True
        threading.Thread(target=self._beat, name="shepherd-heartbeat", daemon=True).start()

    def _beat(self) -> None:
        assert self.db is not None
        while not self._stopping.wait(jobs.BEAT_EVERY):
            try:
                jobs.beat(self.db, self.me)
            except Exception as error:
                if not outage.noticed(error):
                    log.warning("heartbeat failed (the database?)", exc_info=True)

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"queued": self._queued, "running": self._running, "done": self._done}

    def shutdown(self, wait: bool = True) -> None:
        """Finish what was acknowledged (people were told it happens), then stop."""
        self._pool.shutdown(wait=wait)
        self._stopping.set()
        if self._joined and self.db is not None and wait:
            try:
                jobs.leave(self.db, self.me)
            except Exception:
                log.warning("could not sign off as a worker", exc_info=True)


class Workers:
    """Threads that take written-down jobs nobody alive is doing — those of an acknowledging-only
    process, or of one that died — and do them with `run` (a replay of the request)."""

    def __init__(
        self, db: Database, *, team_id: str, run: Callable[[jobs.Claimed], None], threads: int, me: str, poll: float = 0.1
    ) -> None:
        self.db, self.team_id, self.run, self.me, self.poll = db, team_id, run, me, poll
        self._slots = threading.Semaphore(threads)
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="shepherd-worker")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="shepherd-claims", daemon=True)
        self.done = 0

    def start(self) -> None:
        jobs.beat(self.db, self.me)
        self._thread.start()
        threading.Thread(target=self._beat, name="shepherd-worker-heartbeat", daemon=True).start()

    def _beat(self) -> None:
        while not self._stop.wait(jobs.BEAT_EVERY):
            self._try(lambda: jobs.beat(self.db, self.me), "send a heartbeat")

    def stop(self, timeout: float = 10, *, leave: bool = True) -> None:
        """Take no more jobs; finish the ones started. `leave=False`: `me` is shared with a Backlog
        still finishing its own jobs, which signs off itself once they are done."""
        self._stop.set()
        self._thread.join(timeout)
        self._pool.shutdown(wait=True)
        if leave:
            self._try(lambda: jobs.leave(self.db, self.me), "sign off as a worker")

    def _loop(self) -> None:
        while not self._stop.is_set():
            if not self._slots.acquire(timeout=0.5):
                continue
            try:
                claimed = jobs.claim(self.db, team_id=self.team_id, me=self.me)
            except Exception as error:
                if not outage.noticed(error):
                    log.warning("could not look for work (the database?)", exc_info=True)
                claimed = None
                self._stop.wait(1)
            if claimed is None:
                self._slots.release()
                self._stop.wait(self.poll)
                continue
            self._pool.submit(self._do, claimed)

    def _do(self, claimed: jobs.Claimed) -> None:
        try:
            if claimed.attempts > jobs.MAX_ATTEMPTS:
                log.error(
                    "dropped %s (job %s): %s workers stopped while doing it", claimed.name, claimed.id, claimed.attempts - 1
                )
            else:
                _logged(lambda: self.run(claimed), claimed.name)
            self._try(lambda: jobs.forget(self.db, claimed.id), "forget a done job")
            self.done += 1
        finally:
            self._slots.release()

    @staticmethod
    def _try(step: Callable[[], Any], what: str) -> None:
        try:
            step()
        except Exception as error:
            if not outage.noticed(error):
                log.warning("could not %s (the database?)", what, exc_info=True)


def _logged(job: Callable[[], Any], name: str) -> Any:
    try:
        return job()
    except Exception as error:
        pending = CURRENT.get()
        if not outage.noticed(error):
            log.exception("%s failed after its acknowledgement", name)
        elif pending is not None and not pending.replaying:  # one line per outage, and the person told
            tell_database_down(pending.body)
        return None


def _done(value: Any) -> Future[Any]:
    future: Future[Any] = Future()
    future.set_result(value)
    return future
