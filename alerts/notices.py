"""Operator notices: a dead token, a stalled connector, an undeliverable alert.

They go to `alerts.operator` (default: the recipients), at once, never held by quiet
hours, and use their own simple template (`email/operator.*.j2`).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from monitor.config import Config
from monitor.store import alerts as store_alerts
from monitor.store.schema import AlertRow

log = logging.getLogger(__name__)


def queue(
    session: Session,
    config: Config,
    now: datetime,
    *,
    topic: str,
    account: str | None,
    message: str,
    key: str | None = None,
) -> None:
    """Queue one operator notice in the caller's transaction (sent by the outbox).

    Every call queues one notice (the caller decides when one is due, e.g. exactly once
    per dead token); a repeated explicit `key` is ignored.
    """
    key = key or f"operator:{topic}:{account}:{now.isoformat()}"
    if store_alerts.exists(session, key):
        return
    store_alerts.add_alert(
        session,
        AlertRow(
            key=key[:300],
            kind="operator",
            severity="high",
            category=topic[:40],
            account=account,
            state="pending",
            created_at=now,
            due_at=now,
            attempts=0,
            escalations=0,
            payload={"message": message[:5000]},
        ),
    )
    log.info("operator notice queued: %s (%s)", topic, account or "all accounts")
