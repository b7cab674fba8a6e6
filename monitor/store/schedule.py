"""What the daemon's scheduler reads and writes: each account's not-before and next poll, its heartbeat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from monitor.store.schema import AccountRow, DaemonRow


def not_before(session: Session, name: str) -> datetime | None:
    """Do not poll `name` before this (a rate limit's reset time, or backoff after failures)."""
    row = session.get(AccountRow, name)
    return row.not_before if row is not None else None


def set_next_poll(session: Session, name: str, at: datetime | None) -> None:
    row = session.get(AccountRow, name)
    if row is not None:
        row.next_poll_at = at


# ------------------------------------------------------------------ the daemon's heartbeat

DAEMON = "daemon"


def daemon_started(session: Session, now: datetime, *, pid: int, host: str, poll_seconds: int) -> None:
    row = session.get(DaemonRow, DAEMON)
    if row is None:
        row = DaemonRow(name=DAEMON)
        session.add(row)
    row.pid, row.host, row.poll_seconds = pid, host[:200], poll_seconds
    row.started_at = row.heartbeat_at = now
    row.stopped_at = None


def heartbeat(session: Session, now: datetime) -> None:
    row = session.get(DaemonRow, DAEMON)
    if row is not None:
        row.heartbeat_at = now


def daemon_stopped(session: Session, now: datetime) -> None:
    row = session.get(DaemonRow, DAEMON)
    if row is not None:
        row.stopped_at = now


@dataclass(frozen=True)
class Daemon:
    pid: int
    host: str
    started_at: datetime
    heartbeat_at: datetime
    stopped_at: datetime | None
    poll_seconds: int


def daemon(session: Session) -> Daemon | None:
    """The last daemon that ran on this database, or None if none ever did."""
    row = session.get(DaemonRow, DAEMON)
    if row is None:
        return None
    return Daemon(row.pid, row.host, row.started_at, row.heartbeat_at, row.stopped_at, row.poll_seconds)
