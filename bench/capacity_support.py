"""What bench_capacity.py and bench_remind_scale.py share: the code under test (the working tree,
or a commit exported with `git archive`), a wiped and migrated scratch database, and readings of a
subprocess's CPU time and memory from /proc."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, create_engine, text

if TYPE_CHECKING:
    import psycopg

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")


def code_under_test(source: str, into: Path) -> tuple[Path, str]:
    """The tree to run `python -m bot` from, and a line saying what it is. `worktree` is this
    checkout as it is now; anything else is a git revision, exported (the checkout is not touched)."""
    head = _git("rev-parse", "--short", "HEAD")
    if source == "worktree":
        dirty = [line[3:] for line in _git("status", "--porcelain", "--", "bot", "handlers", "storage").splitlines()]
        extra = f", with uncommitted changes in {', '.join(dirty)}" if dirty else ""
        return ROOT, f"the working tree at {head}{extra}"
    revision = _git("rev-parse", "--verify", f"{source}^{{commit}}")
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    subject = _git("log", "-1", "--format=%s", revision)
    return into, f"commit {revision[:7]} ({subject[:80]})"


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True).stdout.strip()


def sqlalchemy_url(url: str) -> str:
    return re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)


def wipe_and_migrate(url: str, source: Path, cwd: Path) -> None:
    """Empty the scratch database, then let the code under test create its schema (`python -m bot migrate`)."""
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    else:
        engine = create_engine(sqlalchemy_url(url))
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    env = {**base_env(source), "SLACK_BOT_TOKEN": "xoxb-migrate", "SLACK_APP_TOKEN": "xapp-migrate", "DATABASE_URL": url}
    done = subprocess.run([sys.executable, "-m", "bot", "migrate"], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"python -m bot migrate failed ({done.returncode}):\n{done.stderr[-3000:]}")


def copy_rows(connection: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """COPY rows into a PostgreSQL table inside the connection's transaction (psycopg 3's cursor)."""
    pg = cast("psycopg.Connection[Any]", connection.connection.driver_connection)
    with pg.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def base_env(source: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(source), "HOME": os.environ.get("HOME", "/tmp")}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process (all its threads), from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def memory_mb(pid: int, key: str = "VmHWM") -> float:
    """A /proc/<pid>/status memory line in MB: VmHWM is the peak resident set, VmRSS the current one."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} (1 / 5 min) on {os.cpu_count()} CPUs"
