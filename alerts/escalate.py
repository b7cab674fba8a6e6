"""Escalation: an urgent alert nobody acknowledged is sent again, also to the deputies."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from monitor.config import Config
from monitor.store import Store
from monitor.store import alerts as store_alerts

log = logging.getLogger(__name__)


def check(store: Store, config: Config, now: datetime) -> int:
    """Re-queue every urgent alert unacknowledged for `escalate_after_minutes`; return how many.

    The outbox then sends it again (with a new Message-ID in the same email thread) to the
    recipients and the deputies. Called periodically by the scheduler, before `deliver_due`.
    """
    if config.alerts.escalate_after_minutes <= 0 or config.alerts.max_escalations <= 0:
        return 0
    cutoff = now - timedelta(minutes=config.alerts.escalate_after_minutes)
    count = 0
    with store.transaction() as session:
        for row in store_alerts.escalation_candidates(session, cutoff, config.alerts.max_escalations):
            store_alerts.requeue_escalation(session, row, now)
            log.warning(
                "alert %d (%s, %s) not acknowledged after %d min: sending again (escalation %d)",
                row.id,
                row.severity,
                row.category,
                config.alerts.escalate_after_minutes,
                row.escalations,
            )
            count += 1
    return count
