"""Who runs a run: its process id and host, and a heartbeat, so a run whose process died (kill -9, a crash, a lost
machine) can be told from one still working and marked "interrupted" instead of staying "running" forever.

On the run's own host the process id decides (the process is gone or a zombie); from another host, which can't see
that process, a heartbeat older than STALE_S does (a shared PostgreSQL store).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
from collections.abc import Callable

__all__ = ["HEARTBEAT_S", "INTERRUPTED", "LASTING_KINDS", "STALE_S", "Heartbeat", "alive", "gone", "this_host"]

INTERRUPTED = "interrupted"  # the status of a run whose process died; `evalkit run` resumes such runs
HEARTBEAT_S = 60.0  # a running run's heartbeat_at is renewed this often by the process that runs it
STALE_S = 15 * 60.0  # seen from another host, a run silent this long is taken for dead (15 heartbeats missed)
LASTING_KINDS = frozenset({"session"})  # runs that outlive the process that opened them: a rating session stays open


def this_host() -> str:
    return socket.gethostname()[:255]


def alive(pid: int) -> bool:
    """Whether process `pid` exists on this machine and is not a zombie (killed, waiting for its parent to reap it)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
        return state not in (b"Z", b"X")
    except (OSError, IndexError):  # no /proc (macOS): the signal test above is all there is
        return True


def gone(pid: int | None, host: str | None, heartbeat_at: dt.datetime | None, *, now: dt.datetime) -> bool:
    """Whether the process that ran a "running" run is gone: on this host, `pid` is not alive; on another host, the
    heartbeat is older than STALE_S. A run without an owner (written before migration 0003, or a lasting kind) is
    never gone."""
    if pid is None or host is None:
        return False
    if host == this_host():
        return not alive(pid)
    if heartbeat_at is None:
        return False
    if heartbeat_at.tzinfo is None:  # SQLite hands date-times back without their zone; they are stored in UTC
        heartbeat_at = heartbeat_at.replace(tzinfo=dt.timezone.utc)
    return (now - heartbeat_at).total_seconds() > STALE_S


class Heartbeat:
    """A daemon thread renewing the heartbeat of this process's running runs every HEARTBEAT_S seconds; it ends when
    they are all finished or the store is disposed."""

    def __init__(self, beat: Callable[[list[str]], None], interval: float = HEARTBEAT_S):
        self._beat, self._interval = beat, interval
        self._ids: set[str] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, run_id: str) -> None:
        with self._lock:
            self._ids.add(run_id)
            if self._thread is None:
                self._wake.clear()
                self._thread = threading.Thread(target=self._loop, name="workbench-heartbeat", daemon=True)
                self._thread.start()

    def discard(self, run_id: str) -> None:
        with self._lock:
            self._ids.discard(run_id)
            if not self._ids:
                self._wake.set()

    def stop(self) -> None:
        with self._lock:
            self._ids.clear()
            self._wake.set()

    def _loop(self) -> None:
        while True:
            self._wake.wait(self._interval)
            with self._lock:
                if not self._ids:
                    self._thread = None
                    return
                self._wake.clear()
                ids = sorted(self._ids)
            try:
                self._beat(ids)
            except Exception:  # noqa: BLE001 (the store went away: the run's own writes will say so)
                with self._lock:
                    self._thread = None
                return
