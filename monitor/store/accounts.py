"""Account health: last success, last error, attempts, not-before; usage counts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.store.schema import AccountRow, UsageRow
from monitor.types import Account


def ensure(session: Session, accounts: Sequence[Account]) -> None:
    for account in accounts:
        row = session.get(AccountRow, account.name)
        if row is None:
            session.add(
                AccountRow(
                    name=account.name,
                    platform=account.platform,
                    account_id=account.account_id,
                    consecutive_failures=0,
                )
            )
        else:
            row.platform, row.account_id = account.platform, account.account_id


def get(session: Session, name: str) -> AccountRow:
    row = session.get(AccountRow, name)
    if row is None:
        raise KeyError(name)
    return row


def all_rows(session: Session) -> list[AccountRow]:
    return list(session.scalars(select(AccountRow).order_by(AccountRow.name)))


def record_attempt(session: Session, name: str, now: datetime) -> None:
    get(session, name).last_attempt_at = now


def record_success(session: Session, name: str, now: datetime) -> None:
    row = get(session, name)
    row.last_success_at = now
    row.consecutive_failures = 0
    row.not_before = None
    row.needs_attention = None


def record_failure(
    session: Session,
    name: str,
    error: str,
    now: datetime,
    *,
    not_before: datetime | None = None,
    needs_attention: str | None = None,
) -> int:
    """Record a failed poll; return the number of consecutive failures."""
    row = get(session, name)
    row.last_error = error
    row.last_error_at = now
    row.consecutive_failures = (row.consecutive_failures or 0) + 1
    row.not_before = not_before
    if needs_attention is not None:
        row.needs_attention = needs_attention
    return row.consecutive_failures


def add_usage(session: Session, name: str, day: str, *, requests: int, reads: int) -> None:
    row = session.get(UsageRow, (name, day))
    if row is None:
        row = UsageRow(account=name, day=day, requests=0, reads=0)
        session.add(row)
    row.requests += requests
    row.reads += reads


def usage_since(session: Session, name: str, first_day: str) -> tuple[int, int]:
    rows = session.scalars(select(UsageRow).where(UsageRow.account == name, UsageRow.day >= first_day))
    requests = reads = 0
    for r in rows:
        requests += r.requests
        reads += r.reads
    return requests, reads
