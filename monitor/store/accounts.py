"""Account health: last success, last error, attempts, not-before; usage counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from monitor.store.schema import AccountRow, BilledReadRow, UsageRow
from monitor.types import Account, Read, ReadRoute


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


@dataclass(frozen=True)
class Usage:
    requests: int = 0
    reads: int = 0  # billed reads
    owned_reads: int = 0  # of which owned reads (priced lower: monitor/pricing.py)


def add_usage(
    session: Session, name: str, day: str, *, requests: int, reads: int = 0, owned_reads: int = 0
) -> None:
    """Add to one UTC day's counters (`bill_reads` decides which reads count)."""
    row = session.get(UsageRow, (name, day))
    if row is None:
        row = UsageRow(account=name, day=day, requests=0, reads=0, owned_reads=0)
        session.add(row)
    row.requests += requests
    row.reads += reads
    row.owned_reads = (row.owned_reads or 0) + owned_reads


def bill_reads(session: Session, name: str, day: str, reads: Sequence[Read]) -> Usage:
    """Record billable reads made on UTC `day`; return those newly billed.

    The platform charges a resource once per UTC day, so one read again the same day (a second
    poll, a manual scan, a page repeated after a crash) is not counted again. A resource read by
    two routes the same day is billed at the route it was first read by. Only today's and
    yesterday's resources are kept, to compare with; older days keep their counts only.
    """
    before = (date.fromisoformat(day) - timedelta(days=1)).isoformat()
    session.execute(delete(BilledReadRow).where(BilledReadRow.account == name, BilledReadRow.day < before))
    wanted = {r.resource: r.route for r in reversed(reads)}  # the first read of a resource wins
    if not wanted:
        return Usage()
    billed = set(
        session.scalars(
            select(BilledReadRow.resource).where(
                BilledReadRow.account == name,
                BilledReadRow.day == day,
                BilledReadRow.resource.in_(list(wanted)),
            )
        )
    )
    new = {resource: route for resource, route in wanted.items() if resource not in billed}
    session.add_all(
        BilledReadRow(account=name, day=day, resource=resource, route=route.value)
        for resource, route in new.items()
    )
    owned = sum(1 for route in new.values() if route is ReadRoute.OWNED)
    add_usage(session, name, day, requests=0, reads=len(new), owned_reads=owned)
    return Usage(reads=len(new), owned_reads=owned)


def usage_since(session: Session, name: str, first_day: str) -> Usage:
    rows = session.scalars(select(UsageRow).where(UsageRow.account == name, UsageRow.day >= first_day))
    requests = reads = owned = 0
    for r in rows:
        requests += r.requests
        reads += r.reads
        owned += r.owned_reads or 0
    return Usage(requests, reads, owned)
