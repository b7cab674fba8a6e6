"""Decide: which findings become alerts, with what severity and when they are due."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.config import Config
from monitor.store.schema import AlertItemRow, AlertRow, ItemRow
from monitor.types import LABELS, Finding, Severity

RANK = {Severity.URGENT: 0, Severity.HIGH: 1, Severity.LOW: 2}


def severity_of(config: Config, findings: Sequence[Finding]) -> tuple[Severity, str] | None:
    """The alert's severity and main category, or None when nothing needs an email."""
    ranked = sorted(
        (RANK[config.alerts.severity.get(f.label, Severity.LOW)], LABELS.index(f.label), f.label)
        for f in findings
    )
    if not ranked:
        return None
    rank, _, label = ranked[0]
    severity = next(s for s, r in RANK.items() if r == rank)
    return None if severity is Severity.LOW else (severity, label)


def decide(
    session: Session, config: Config, item: ItemRow, findings: Sequence[Finding], now: datetime
) -> int:
    """Queue an alert for `item` in the caller's transaction; return how many were queued."""
    verdict = severity_of(config, findings)
    if verdict is None or (
        item.author_is_org and not any(f.label == "confidentiality_risk" for f in findings)
    ):
        return 0
    if session.scalar(select(AlertItemRow).where(AlertItemRow.item_id == item.id)) is not None:
        return 0  # the same item never produces two alerts
    severity, category = verdict
    alert = AlertRow(
        key=f"item:{item.platform}:{item.external_id}",
        kind="alert",
        severity=severity.value,
        category=category,
        account=item.account,
        thread_key=f"{item.platform}:{item.post_id or item.external_id}",
        state="pending",
        created_at=now,
        due_at=now,
        attempts=0,
        escalations=0,
        payload={},
    )
    session.add(alert)
    session.flush()
    session.add(AlertItemRow(alert_id=alert.id, item_id=item.id))
    return 1
