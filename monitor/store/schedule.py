"""What the daemon's scheduler reads and writes: each account's not-before and next poll."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from monitor.store.schema import AccountRow


def not_before(session: Session, name: str) -> datetime | None:
    """Do not poll `name` before this (a rate limit's reset time, or backoff after failures)."""
    row = session.get(AccountRow, name)
    return row.not_before if row is not None else None


def set_next_poll(session: Session, name: str, at: datetime | None) -> None:
    row = session.get(AccountRow, name)
    if row is not None:
        row.next_poll_at = at
