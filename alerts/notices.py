"""Operator notices: a dead token, a stalled connector, an undeliverable alert."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from monitor.config import Config
from monitor.store.schema import AlertRow


def queue(
    session: Session, config: Config, now: datetime, *, topic: str, account: str | None, message: str
) -> None:
    """Queue one operator notice in the caller's transaction (sent by the outbox)."""
    session.add(
        AlertRow(
            key=f"operator:{topic}:{account}:{now.isoformat()}",
            kind="operator",
            severity="high",
            category=topic,
            account=account,
            state="pending",
            created_at=now,
            due_at=now,
            attempts=0,
            escalations=0,
            payload={"message": message},
        )
    )
