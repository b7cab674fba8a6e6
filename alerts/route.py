"""Decide: which findings become alerts, with what severity and when they are due.

Runs in the same transaction that stores the findings (the transactional outbox):

* the severity of an item is that of its most severe label ([alerts.severity]);
  low labels (engagement, spam by default) go to the digest only;
* urgent alerts are due at once, day or night;
* high alerts wait `group_minutes` so that more comments on the same post or thread join
  the same email, and are held through `quiet_hours` until the morning;
* an item is in at most one alert, ever; a thread with new findings after its email was
  sent gets a new alert that the outbox threads under the earlier one (In-Reply-To);
* posts by the organisation's own account only alert for confidentiality_risk (a
  possible data breach by staff).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from monitor.config import Config
from monitor.store import alerts as store_alerts
from monitor.store.items import item_digest
from monitor.store.schema import AlertRow, ItemRow
from monitor.types import LABELS, Finding, Severity

RANK = {Severity.URGENT: 0, Severity.HIGH: 1, Severity.LOW: 2}


def severity_of(config: Config, findings: Sequence[Finding]) -> tuple[Severity, str] | None:
    """The alert's severity and main category, or None when nothing needs an email."""
    ranked = sorted(
        (RANK[config.alerts.severity.get(f.label, Severity.LOW)], LABELS.index(f.label), f.label)
        for f in findings
        if f.label in LABELS
    )
    if not ranked:
        return None
    rank, _, label = ranked[0]
    severity = next(s for s, r in RANK.items() if r == rank)
    return None if severity is Severity.LOW else (severity, label)


def alert_key(session: Session, item: ItemRow) -> str:
    """The alert's dedupe key: from the item's platform id, hashed (keys outlive erasure requests).

    The same comment stored twice (it cannot be, but a key must never stop an alert being
    queued) gets a numbered key rather than an error.
    """
    key = f"item:{item.platform}:{item_digest(item.platform, item.external_id)[:32]}"
    candidate, n = key, 1
    while store_alerts.exists(session, candidate):
        n += 1
        candidate = f"{key}:{n}"
    return candidate


def thread_key(item: ItemRow) -> str:
    return f"{item.platform}:{item.account}:{item.post_id or item.external_id}"


def quiet_until(when: datetime, quiet_hours: str | None, tz: ZoneInfo) -> datetime | None:
    """The end of the quiet period `when` falls in (UTC), or None outside quiet hours."""
    if not quiet_hours:
        return None
    first, _, last = quiet_hours.partition("-")
    start, end = time.fromisoformat(first.strip()), time.fromisoformat(last.strip())
    if start == end:
        return None
    local = when.astimezone(tz)
    now = local.time().replace(tzinfo=None)
    if start < end:
        inside, day = start <= now < end, local.date()
    else:  # crosses midnight, e.g. 22:00-07:00
        inside = now >= start or now < end
        day = local.date() if now < end else local.date() + timedelta(days=1)
    if not inside:
        return None
    return datetime.combine(day, end, tzinfo=tz).astimezone(UTC)


def due_time(config: Config, severity: Severity, now: datetime) -> datetime:
    if severity is Severity.URGENT:
        return now
    due = now + timedelta(minutes=config.alerts.group_minutes)
    held = quiet_until(due, config.alerts.quiet_hours, config.tz)
    return held if held is not None and held > due else due


def decide(
    session: Session, config: Config, item: ItemRow, findings: Sequence[Finding], now: datetime
) -> int:
    """Queue `item` for an alert in the caller's transaction; return how many new emails were queued."""
    if item.author_is_org:  # our own posts: only a possible confidentiality breach matters
        findings = [f for f in findings if f.label == "confidentiality_risk"]
    verdict = severity_of(config, findings)
    if verdict is None:
        return 0
    if store_alerts.alert_of_item(session, item.id) is not None:
        return 0  # the same item never produces two alerts (e.g. re-classified after an edit)
    severity, category = verdict
    thread = thread_key(item)
    waiting = store_alerts.pending_for_thread(session, thread)
    if waiting is not None:  # still gathering: this comment joins the same email
        store_alerts.attach_item(session, waiting, item.id)
        if RANK[severity] < RANK[Severity(waiting.severity)]:
            waiting.severity, waiting.category = severity.value, category
        elif RANK[severity] == RANK[Severity(waiting.severity)] and LABELS.index(category) < LABELS.index(
            waiting.category
        ):
            waiting.category = category
        waiting.due_at = min(waiting.due_at, due_time(config, severity, now))
        return 0
    store_alerts.add_alert(
        session,
        AlertRow(
            key=alert_key(session, item),
            kind="alert",
            severity=severity.value,
            category=category,
            account=item.account,
            thread_key=thread,
            state="pending",
            created_at=now,
            due_at=due_time(config, severity, now),
            attempts=0,
            escalations=0,
            payload={},
        ),
        [item.id],
    )
    return 1


def close_groups(session: Session, config: Config, now: datetime) -> int:
    """End the grouping window now: for one-off scans, where no later run will come to close it.

    Quiet hours still hold: an alert waiting for the morning keeps waiting.
    """
    return store_alerts.release_groups(session, now + timedelta(minutes=config.alerts.group_minutes), now)
