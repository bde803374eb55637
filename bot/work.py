"""The work that follows an acknowledgement — Slack calls, replies by response_url, writes that
may wait — runs here, on its own threads, so no request's ack ever waits for a thread busy
talking to Slack. Its backlog shows in the logs and in `GET /healthz`.

>>> work = Backlog(threads=2)
>>> work.submit(lambda: None, "a no-op").result()
>>> work.stats()["queued"]
0
>>> work.shutdown()
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

log = logging.getLogger(__name__)

WORK_THREADS = 32  # Slack answers in ~0.1-2 s: enough to keep up with bursts, bounded all the same
BACKLOG_WARNING = 200


class Backlog:
    def __init__(self, threads: int = WORK_THREADS) -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="shepherd-work")
        self._lock = threading.Lock()
        self._queued = 0
        self._running = 0
        self._done = 0
        self._warned = False

    def submit(self, job: Callable[[], Any], name: str) -> Future[Any]:
        """Run `job` after the ack; its failure is logged, never lost silently."""
        with self._lock:
            self._queued += 1
            backlog = self._queued
        if backlog >= BACKLOG_WARNING and not self._warned:
            self._warned = True
            log.warning("%s jobs wait for Slack (is Slack slow or failing?)", backlog)

        def run() -> Any:
            with self._lock:
                self._queued -= 1
                self._running += 1
            try:
                return job()
            except Exception:
                log.exception("%s failed after its acknowledgement", name)
                return None
            finally:
                with self._lock:
                    self._running -= 1
                    self._done += 1
                    if self._queued < BACKLOG_WARNING // 2:
                        self._warned = False

        return self._pool.submit(run)

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"queued": self._queued, "running": self._running, "done": self._done}

    def shutdown(self, wait: bool = True) -> None:
        """Finish what was acknowledged (people were told it happens), then stop."""
        self._pool.shutdown(wait=wait)
