"""Alerts, their items and their audit trail: every alert query lives here.

The outbox is the `alerts` table. A row is written in the same transaction as the
findings that caused it (`add_alert`), claimed by the sender one at a time
(`claim`), then marked sent, retried or failed. Acknowledging and resolving add a
row to `alert_events` (who, when, note).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from monitor.store.schema import AlertEventRow, AlertItemRow, AlertRow, FalseAlarmRow, FindingRow, ItemRow

OPEN_STATES = ("pending", "sent")  # not yet acknowledged, resolved or failed
SEVERITY_ORDER = {"urgent": 0, "high": 1, "low": 2}


@dataclass(frozen=True)
class AlertItem:
    """One item an alert covers, with its findings, as the email needs it."""

    item: ItemRow
    findings: tuple[FindingRow, ...]


# ------------------------------------------------------------------ writing (routing, notices)


def add_alert(session: Session, row: AlertRow, item_ids: Sequence[int] = ()) -> AlertRow:
    session.add(row)
    session.flush()
    for item_id in item_ids:
        session.add(AlertItemRow(alert_id=row.id, item_id=item_id))
    add_event(session, row.id, row.created_at, "monitor", "queued", None)
    return row


def attach_item(session: Session, alert: AlertRow, item_id: int) -> None:
    session.add(AlertItemRow(alert_id=alert.id, item_id=item_id))


def exists(session: Session, key: str) -> bool:
    return session.scalar(select(AlertRow.id).where(AlertRow.key == key)) is not None


def alert_of_item(session: Session, item_id: int) -> int | None:
    return session.scalar(select(AlertItemRow.alert_id).where(AlertItemRow.item_id == item_id))


def pending_for_thread(session: Session, thread_key: str) -> AlertRow | None:
    """The unsent alert still gathering items for this thread, if any."""
    return session.scalars(
        select(AlertRow)
        .where(
            AlertRow.kind == "alert",
            AlertRow.thread_key == thread_key,
            AlertRow.state == "pending",
            AlertRow.sent_at.is_(None),
            AlertRow.attempts == 0,  # once a send was tried, its content is fixed
        )
        .order_by(AlertRow.id.desc())
        .limit(1)
    ).first()


def thread_alerts_before(session: Session, thread_key: str, alert_id: int) -> list[AlertRow]:
    """Earlier alerts on the same thread, oldest first (for In-Reply-To/References)."""
    return list(
        session.scalars(
            select(AlertRow)
            .where(AlertRow.kind == "alert", AlertRow.thread_key == thread_key, AlertRow.id < alert_id)
            .order_by(AlertRow.id)
        )
    )


def add_event(
    session: Session, alert_id: int, at: datetime, actor: str, action: str, note: str | None
) -> None:
    session.add(AlertEventRow(alert_id=alert_id, at=at, actor=actor, action=action, note=note))


# ------------------------------------------------------------------ the sender


DELIVERABLE = ("pending", "failed")  # a failed email is still retried, slowly, until it goes


def _due(now: datetime) -> ColumnElement[bool]:
    """Pending and due; or failed (given up on *schedule*, reported) and due for its slow retry.

    A failed email with no retry time is one that cannot be built at all; only
    `monitor alerts retry` queues it again.
    """
    return or_(
        and_(
            AlertRow.state == "pending",
            AlertRow.due_at <= now,
            or_(AlertRow.next_attempt_at.is_(None), AlertRow.next_attempt_at <= now),
        ),
        and_(AlertRow.state == "failed", AlertRow.next_attempt_at <= now),
    )


def due_ids(session: Session, now: datetime, limit: int = 200) -> list[int]:
    """Alerts to send now: urgent first, then oldest first."""
    rows = session.execute(
        select(AlertRow.id, AlertRow.severity).where(_due(now)).order_by(AlertRow.id).limit(limit)
    ).all()
    return [r.id for r in sorted(rows, key=lambda r: (SEVERITY_ORDER.get(r.severity, 3), r.id))]


def claim(session: Session, alert_id: int, now: datetime, retry_at: datetime) -> AlertRow | None:
    """Count an attempt before sending, so a sender killed mid-send retries later.

    Conditional on the row still being due: two senders never both claim one attempt.
    """
    row = session.get(AlertRow, alert_id)
    if row is None or row.state not in DELIVERABLE:
        return None
    result = session.execute(
        update(AlertRow)
        .where(
            AlertRow.id == alert_id,
            AlertRow.state == row.state,
            AlertRow.attempts == row.attempts,
        )
        .values(attempts=row.attempts + 1, next_attempt_at=retry_at)
        .execution_options(synchronize_session=False)
    )
    if int(getattr(result, "rowcount", 0) or 0) != 1:
        return None
    session.refresh(row)
    return row


def items_of(session: Session, alert_id: int) -> list[AlertItem]:
    items = list(
        session.scalars(
            select(ItemRow)
            .join(AlertItemRow, AlertItemRow.item_id == ItemRow.id)
            .where(AlertItemRow.alert_id == alert_id)
            .order_by(ItemRow.created_at, ItemRow.id)
        )
    )
    findings: dict[int, list[FindingRow]] = {}
    if items:
        for f in session.scalars(
            select(FindingRow).where(FindingRow.item_id.in_([i.id for i in items])).order_by(FindingRow.id)
        ):
            findings.setdefault(f.item_id, []).append(f)
    return [AlertItem(i, tuple(findings.get(i.id, ()))) for i in items]


def mark_sent(
    session: Session, alert_id: int, now: datetime, message_id: str, in_reply_to: str | None
) -> None:
    row = session.get(AlertRow, alert_id)
    if row is None:
        return
    row.state, row.sent_at, row.message_id, row.in_reply_to = "sent", now, message_id, in_reply_to
    row.next_attempt_at, row.last_error = None, None
    if "eml_b64" in (row.payload or {}):  # a prebuilt email (a digest) quotes comments: not kept once sent
        row.payload = {k: v for k, v in row.payload.items() if k != "eml_b64"} | {"copy": "cleared when sent"}
    add_event(session, alert_id, now, "monitor", "sent", f"{message_id} (attempt {row.attempts})")


def mark_retry(session: Session, alert_id: int, now: datetime, error: str, retry_at: datetime) -> None:
    row = session.get(AlertRow, alert_id)
    if row is None:
        return
    row.last_error, row.next_attempt_at = error[:2000], retry_at
    add_event(session, alert_id, now, "monitor", "retry", error[:500])


def mark_failed(
    session: Session, alert_id: int, now: datetime, error: str, retry_at: datetime | None
) -> AlertRow | None:
    """Give up on schedule: the email is reported as failed, and still retried at `retry_at` (None: never)."""
    row = session.get(AlertRow, alert_id)
    if row is None:
        return None
    row.state, row.last_error, row.next_attempt_at = "failed", error[:2000], retry_at
    add_event(session, alert_id, now, "monitor", "failed", error[:500])
    return row


def release_failed(session: Session, now: datetime) -> int:
    """Mail works again: every failed email that is still being retried is due now."""
    result = session.execute(
        update(AlertRow)
        .where(AlertRow.state == "failed", AlertRow.next_attempt_at > now)
        .values(next_attempt_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def failed_waiting(session: Session) -> int:
    """Failed emails still being retried."""
    return (
        session.scalar(
            select(func.count())
            .select_from(AlertRow)
            .where(AlertRow.state == "failed", AlertRow.next_attempt_at.is_not(None))
        )
        or 0
    )


# ------------------------------------------------------------------ escalation


def escalation_candidates(session: Session, sent_before: datetime, limit: int) -> list[AlertRow]:
    """Urgent alerts sent, not acknowledged, escalated fewer than `limit` times, last sent before `sent_before`."""
    return list(
        session.scalars(
            select(AlertRow)
            .where(
                AlertRow.kind == "alert",
                AlertRow.severity == "urgent",
                AlertRow.state == "sent",
                AlertRow.acked_at.is_(None),
                AlertRow.escalations < limit,
                or_(
                    and_(AlertRow.last_escalated_at.is_(None), AlertRow.sent_at <= sent_before),
                    AlertRow.last_escalated_at <= sent_before,
                ),
            )
            .order_by(AlertRow.id)
        )
    )


def requeue_escalation(session: Session, row: AlertRow, now: datetime) -> None:
    row.escalations += 1
    row.last_escalated_at = now
    row.state, row.due_at, row.next_attempt_at, row.attempts = "pending", now, None, 0
    add_event(session, row.id, now, "monitor", "escalated", f"re-send #{row.escalations}")


# ------------------------------------------------------------------ people: list, ack, resolve


def get(session: Session, alert_id: int) -> AlertRow | None:
    return session.get(AlertRow, alert_id)


def listing(
    session: Session, *, states: Sequence[str] = (), kinds: Sequence[str] = ("alert",), limit: int = 50
) -> list[AlertRow]:
    query = select(AlertRow).order_by(AlertRow.id.desc()).limit(limit)
    if states:
        query = query.where(AlertRow.state.in_(list(states)))
    if kinds:
        query = query.where(AlertRow.kind.in_(list(kinds)))
    return list(session.scalars(query))


def events_of(session: Session, alert_id: int) -> list[AlertEventRow]:
    return list(
        session.scalars(
            select(AlertEventRow).where(AlertEventRow.alert_id == alert_id).order_by(AlertEventRow.id)
        )
    )


def acknowledge(session: Session, row: AlertRow, now: datetime, actor: str, note: str | None) -> None:
    """Stop escalation. Acknowledging an alert that is still queued also stops its sending."""
    row.acked_at, row.acked_by = now, actor
    if row.state in OPEN_STATES:
        row.state = "acknowledged"
    add_event(session, row.id, now, actor, "acknowledged", note)


def resolve(session: Session, row: AlertRow, now: datetime, actor: str, note: str | None) -> None:
    row.resolved_at, row.resolved_by = now, actor
    if row.acked_at is None:
        row.acked_at, row.acked_by = now, actor
    row.state = "resolved"
    add_event(session, row.id, now, actor, "resolved", note)


def dismiss(
    session: Session,
    row: AlertRow,
    now: datetime,
    actor: str,
    reason: str,
    note: str | None,
    wrong: Mapping[int, Sequence[str]],
) -> None:
    """A false alarm: the labels in `wrong` (per item) were not right. Stops escalation like an
    acknowledgement; each wrong label is kept for the digest and `monitor feedback export`."""
    known = {
        (f.item_id, f.label)
        for f in session.scalars(select(FalseAlarmRow).where(FalseAlarmRow.item_id.in_(list(wrong))))
    }
    for item_id, labels in wrong.items():
        for label in dict.fromkeys(labels):
            if (item_id, label) in known:
                continue
            session.add(
                FalseAlarmRow(
                    alert_id=row.id,
                    item_id=item_id,
                    label=label,
                    reason=reason,
                    note=note,
                    actor=actor,
                    at=now,
                )
            )
    if row.acked_at is None:
        row.acked_at, row.acked_by = now, actor
    row.state = "dismissed"
    labels = sorted({label for values in wrong.values() for label in values})
    text = f"{reason}; wrong: {', '.join(labels) or 'none named'}" + (f"; {note}" if note else "")
    add_event(session, row.id, now, actor, "false alarm", text)


def false_alarms_of(session: Session, alert_id: int) -> list[FalseAlarmRow]:
    return list(
        session.scalars(
            select(FalseAlarmRow).where(FalseAlarmRow.alert_id == alert_id).order_by(FalseAlarmRow.id)
        )
    )


def open_alerts(session: Session, limit: int = 200) -> list[AlertRow]:
    """Alerts nobody has acted on yet (queued, sent or failed): urgent first, then the longest waiting."""
    rows = session.scalars(
        select(AlertRow)
        .where(AlertRow.kind == "alert", AlertRow.state.in_(("pending", "sent", "failed")))
        .order_by(AlertRow.created_at, AlertRow.id)
        .limit(limit)
    )
    return sorted(rows, key=lambda r: (SEVERITY_ORDER.get(r.severity, 3), r.created_at, r.id))


def thread_context(session: Session, alert_id: int, limit: int = 20) -> list[AlertItem]:
    """Other stored items in the same threads as the alert's items (same platform, account and
    post), oldest first, with their findings; the alert's own items are left out."""
    own = list(
        session.scalars(
            select(ItemRow)
            .join(AlertItemRow, AlertItemRow.item_id == ItemRow.id)
            .where(AlertItemRow.alert_id == alert_id)
        )
    )
    threads = {(i.platform, i.account, i.post_id) for i in own if i.post_id}
    if not threads:
        return []
    own_ids = [i.id for i in own]
    clauses = [
        and_(ItemRow.platform == p, ItemRow.account == a, ItemRow.post_id == post) for p, a, post in threads
    ]
    items = list(
        session.scalars(
            select(ItemRow)
            .where(or_(*clauses), ItemRow.id.not_in(own_ids))
            .order_by(ItemRow.created_at.desc(), ItemRow.id.desc())
            .limit(limit)
        )
    )
    items.reverse()
    findings: dict[int, list[FindingRow]] = {}
    if items:
        for f in session.scalars(select(FindingRow).where(FindingRow.item_id.in_([i.id for i in items]))):
            findings.setdefault(f.item_id, []).append(f)
    return [AlertItem(i, tuple(findings.get(i.id, ()))) for i in items]


def retry_failed(session: Session, row: AlertRow, now: datetime, actor: str, note: str | None) -> None:
    row.state, row.due_at, row.next_attempt_at, row.attempts = "pending", now, None, 0
    payload: dict[str, Any] = dict(row.payload or {})
    payload["requeued_at"] = now.isoformat()
    row.payload = payload
    add_event(session, row.id, now, actor, "requeued", note)


def failed_since(session: Session, since: datetime) -> list[AlertRow]:
    """Emails that were given up on (for the digest: never silently dropped)."""
    return list(
        session.scalars(
            select(AlertRow)
            .where(AlertRow.state == "failed", AlertRow.created_at >= since)
            .order_by(AlertRow.id)
        )
    )


def item_counts(session: Session, alert_ids: Sequence[int]) -> dict[int, int]:
    if not alert_ids:
        return {}
    rows = session.execute(
        select(AlertItemRow.alert_id, func.count())
        .where(AlertItemRow.alert_id.in_(list(alert_ids)))
        .group_by(AlertItemRow.alert_id)
    ).all()
    return {int(a): int(n) for a, n in rows}


def release_groups(session: Session, until: datetime, now: datetime) -> int:
    """Make alerts waiting only for their grouping window (due before `until`) due now.

    Alerts held for quiet hours are due later than `until` and keep waiting.
    """
    result = session.execute(
        update(AlertRow)
        .where(
            AlertRow.kind == "alert",
            AlertRow.state == "pending",
            AlertRow.due_at > now,
            AlertRow.due_at <= until,
        )
        .values(due_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def waiting(session: Session) -> int:
    """Alerts queued but not yet due or not yet delivered."""
    return (
        session.scalar(
            select(func.count())
            .select_from(AlertRow)
            .where(AlertRow.kind == "alert", AlertRow.state == "pending")
        )
        or 0
    )


def defer_due(session: Session, now: datetime, until: datetime) -> int:
    """Hold every email that is due now until `until` (the mail server is unavailable)."""
    result = session.execute(update(AlertRow).where(_due(now)).values(next_attempt_at=until))
    return int(getattr(result, "rowcount", 0) or 0)
