"""Every query the weekly digest needs, each returning plain frozen values (no rows escape).

Windows are half-open UTC intervals `[start, end)`. The digest (alerts/digest.py) turns
these into figures; nothing here knows about weeks, time zones or presentation.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from monitor.store.accounts import Usage
from monitor.store.schema import (
    AlertItemRow,
    AlertRow,
    ErasureRow,
    FindingRow,
    ItemRow,
    UsageRow,
    UTCDateTime,
)

OPEN_STATES = ("pending", "sent", "failed")  # an alert nobody has acknowledged or resolved


@dataclass(frozen=True)
class ItemStamp:
    """One comment, reply, mention or review someone else wrote (own posts are not counted)."""

    platform: str
    account: str
    created_at: datetime


@dataclass(frozen=True)
class FlagStamp:
    """One flagged (item, label) pair."""

    item_id: int
    label: str
    created_at: datetime


@dataclass(frozen=True)
class AlertStamp:
    id: int
    severity: str
    category: str
    account: str | None
    state: str
    created_at: datetime
    sent_at: datetime | None
    acked_at: datetime | None
    acked_by: str | None
    resolved_at: datetime | None
    posted_at: datetime | None = None  # when the (first) item it is about was posted


@dataclass(frozen=True)
class ItemText:
    """An item's text as stored (None once purged), for themes and reply-waiting lists."""

    id: int
    platform: str
    account: str
    kind: str
    created_at: datetime
    text: str | None
    private: bool
    permalink: str | None
    sensitive: bool  # also flagged confidentiality_risk: never quoted
    deleted: bool  # the platform says it is gone: never quoted


@dataclass(frozen=True)
class Failure:
    kind: str
    category: str
    account: str | None
    created_at: datetime
    last_error: str | None


@dataclass(frozen=True)
class Erasure:
    at: datetime
    reason: str  # retention | request
    items: int
    alerts: int


def has_items(session: Session) -> bool:
    return session.scalar(select(ItemRow.id).limit(1)) is not None


def item_stamps(session: Session, start: datetime, end: datetime) -> list[ItemStamp]:
    """What others wrote on or about our accounts, by when they wrote it."""
    rows = session.execute(
        select(ItemRow.platform, ItemRow.account, ItemRow.created_at).where(
            ItemRow.created_at >= start, ItemRow.created_at < end, ItemRow.author_is_org.is_(False)
        )
    )
    return [ItemStamp(p, a, c) for p, a, c in rows]


def flag_stamps(session: Session, start: datetime, end: datetime) -> list[FlagStamp]:
    """Flagged items by label. The organisation's own items count only as confidentiality
    risks, the same rule alert routing uses."""
    rows = session.execute(
        select(FindingRow.item_id, FindingRow.label, ItemRow.created_at)
        .join(ItemRow, ItemRow.id == FindingRow.item_id)
        .where(
            ItemRow.created_at >= start,
            ItemRow.created_at < end,
            or_(ItemRow.author_is_org.is_(False), FindingRow.label == "confidentiality_risk"),
        )
    )
    return [FlagStamp(i, label, c) for i, label, c in rows]


def _alert_stamp(row: AlertRow) -> AlertStamp:
    return AlertStamp(
        row.id,
        row.severity,
        row.category,
        row.account,
        row.state,
        row.created_at,
        row.sent_at,
        row.acked_at,
        row.acked_by,
        row.resolved_at,
    )


def alerts_sent(session: Session, start: datetime, end: datetime) -> list[AlertStamp]:
    rows = session.scalars(
        select(AlertRow)
        .where(AlertRow.kind == "alert", AlertRow.sent_at >= start, AlertRow.sent_at < end)
        .order_by(AlertRow.sent_at)
    )
    return [_alert_stamp(r) for r in rows]


def incidents(session: Session, start: datetime, end: datetime, *, severity: str) -> list[AlertStamp]:
    """Alerts of `severity` about items posted in the window (when the first item was posted,
    not when the monitor noticed: a catch-up after an outage lands in the right week)."""
    posted = (
        select(func.min(ItemRow.created_at))
        .join(AlertItemRow, AlertItemRow.item_id == ItemRow.id)
        .where(AlertItemRow.alert_id == AlertRow.id)
        .scalar_subquery()
    )
    at = func.coalesce(posted, AlertRow.created_at, type_=UTCDateTime())
    rows = session.execute(
        select(AlertRow, at)
        .where(AlertRow.kind == "alert", AlertRow.severity == severity, at >= start, at < end)
        .order_by(at, AlertRow.id)
    )
    return [dataclasses.replace(_alert_stamp(row), posted_at=when) for row, when in rows]


def open_alerts(session: Session, before: datetime) -> list[AlertStamp]:
    """Alerts not yet acknowledged or resolved, oldest first."""
    rows = session.scalars(
        select(AlertRow)
        .where(AlertRow.kind == "alert", AlertRow.state.in_(OPEN_STATES), AlertRow.created_at < before)
        .order_by(AlertRow.created_at, AlertRow.id)
    )
    return [_alert_stamp(r) for r in rows]


def _has_label(label: str) -> Any:
    other = aliased(FindingRow)
    return select(other.id).where(other.item_id == ItemRow.id, other.label == label).exists()


def labelled_texts(
    session: Session, label: str, start: datetime, end: datetime, *, unless: str | None = None
) -> list[ItemText]:
    """Items others wrote in the window with `label` (and not `unless`), oldest first."""
    query = (
        select(
            ItemRow.id,
            ItemRow.platform,
            ItemRow.account,
            ItemRow.kind,
            ItemRow.created_at,
            ItemRow.text,
            ItemRow.private,
            ItemRow.permalink,
            _has_label("confidentiality_risk"),
            ItemRow.deleted_at.is_not(None),
        )
        .join(FindingRow, and_(FindingRow.item_id == ItemRow.id, FindingRow.label == label))
        .where(ItemRow.created_at >= start, ItemRow.created_at < end, ItemRow.author_is_org.is_(False))
        .order_by(ItemRow.created_at, ItemRow.id)
    )
    if unless is not None:
        query = query.where(~_has_label(unless))
    return [ItemText(*row) for row in session.execute(query)]


def unanswered(session: Session, label: str, start: datetime, end: datetime) -> list[ItemText]:
    """Items with `label` (questions, requests) that the organisation has not answered.

    Answered means: a later item by the organisation on the same platform that
      - replies to it (its parent is the question), or
      - replies in the same comment thread (the question is a reply and the organisation's
        item has the same parent), or
      - for a mention, appears anywhere in the same conversation (same post id).
    """
    candidates = [c for c in labelled_texts(session, label, start, end) if not c.deleted]
    if not candidates:
        return []
    rows = {
        r.id: r for r in session.scalars(select(ItemRow).where(ItemRow.id.in_([c.id for c in candidates])))
    }
    parents = {rows[c.id].external_id for c in candidates} | {
        rows[c.id].parent_id for c in candidates if rows[c.id].parent_id
    }
    posts = {rows[c.id].post_id for c in candidates if rows[c.id].kind == "mention" and rows[c.id].post_id}
    first = min(c.created_at for c in candidates)
    replies = session.execute(
        select(ItemRow.platform, ItemRow.parent_id, ItemRow.post_id, ItemRow.created_at).where(
            ItemRow.author_is_org.is_(True),
            ItemRow.created_at > first,
            or_(ItemRow.parent_id.in_(parents), ItemRow.post_id.in_(posts)),
        )
    ).all()
    waiting = []
    for c in candidates:
        row = rows[c.id]
        answered = any(
            platform == row.platform
            and at > row.created_at
            and (
                parent in (row.external_id, row.parent_id or row.external_id)
                or (row.kind == "mention" and row.post_id is not None and post == row.post_id)
            )
            for platform, parent, post, at in replies
        )
        if not answered:
            waiting.append(c)
    return waiting


def usage(session: Session, first_day: str, last_day: str) -> dict[str, Usage]:
    """Billed reads per account for UTC days first_day..last_day (inclusive, YYYY-MM-DD)."""
    rows = session.execute(
        select(
            UsageRow.account,
            func.sum(UsageRow.requests),
            func.sum(UsageRow.reads),
            func.sum(UsageRow.owned_reads),
        )
        .where(UsageRow.day >= first_day, UsageRow.day <= last_day)
        .group_by(UsageRow.account)
    )
    return {
        account: Usage(int(requests or 0), int(reads or 0), int(owned or 0))
        for account, requests, reads, owned in rows
    }


def failures(session: Session, before: datetime) -> list[Failure]:
    """Emails the outbox gave up on (alerts, notices, digests), oldest first."""
    rows = session.scalars(
        select(AlertRow)
        .where(AlertRow.state == "failed", AlertRow.created_at < before)
        .order_by(AlertRow.created_at)
    )
    return [Failure(r.kind, r.category, r.account, r.created_at, r.last_error) for r in rows]


def erasures(session: Session, start: datetime, end: datetime) -> list[Erasure]:
    rows = session.scalars(
        select(ErasureRow).where(ErasureRow.at >= start, ErasureRow.at < end).order_by(ErasureRow.at)
    )
    return [Erasure(r.at, r.reason, r.items, r.alerts) for r in rows]


def queued(session: Session, key: str) -> bool:
    """Whether an email with this dedupe key is already in the outbox."""
    return session.scalar(select(AlertRow.id).where(AlertRow.key == key)) is not None


@dataclass(frozen=True)
class Outcome:
    state: str
    sent_at: datetime | None
    last_error: str | None


def outcome(session: Session, key: str) -> Outcome | None:
    row = session.scalars(select(AlertRow).where(AlertRow.key == key)).first()
    return None if row is None else Outcome(row.state, row.sent_at, row.last_error)


@dataclass(frozen=True)
class Sent:
    """A digest email in the outbox: enough to build it again for the same period."""

    id: int
    state: str
    created_at: datetime
    payload: dict[str, Any]


def digests_since(session: Session, since: datetime) -> list[Sent]:
    """Digest emails queued at or after `since` (they may quote comments from then on)."""
    rows = session.scalars(
        select(AlertRow).where(AlertRow.kind == "digest", AlertRow.created_at >= since).order_by(AlertRow.id)
    )
    return [Sent(r.id, r.state, r.created_at, dict(r.payload or {})) for r in rows]


def replace_copy(session: Session, alert_id: int, eml_b64: str) -> None:
    """A digest not yet sent gets the email built again (after an erasure request)."""
    row = session.get(AlertRow, alert_id)
    if row is not None and "eml_b64" in (row.payload or {}):
        row.payload = {**row.payload, "eml_b64": eml_b64}
