"""Deliver queued emails: SMTP when configured, else `.eml` files in the outbox directory."""

from __future__ import annotations

import base64
import hashlib
import logging
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.config import Config
from monitor.store import Store
from monitor.store.schema import AlertItemRow, AlertRow, ItemRow

log = logging.getLogger(__name__)


def message_id(alert: AlertRow) -> str:
    digest = hashlib.sha256(alert.key.encode()).hexdigest()[:16]
    return f"<alert-{alert.id}-{digest}@community-monitor>"


def render(alert: AlertRow, texts: list[str], config: Config) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = f"[{alert.severity.upper()}] {alert.category.replace('_', ' ')} on {alert.account}"
    msg["From"] = config.alerts.sender
    msg["To"] = ", ".join(config.alerts.recipients or config.alerts.operator or ("md@localhost",))
    msg["Date"] = format_datetime(alert.created_at)
    msg["Message-ID"] = message_id(alert)
    msg.set_content("\n\n".join(texts) or str(alert.payload.get("message", "")))
    return msg


def deliver_due(store: Store, config: Config, now: datetime) -> int:
    sent = 0
    with store.transaction() as session:
        due = session.scalars(
            select(AlertRow).where(AlertRow.state == "pending", AlertRow.due_at <= now).order_by(AlertRow.id)
        ).all()
        for alert in due:
            texts = [
                row.text or ""
                for row in session.scalars(
                    select(ItemRow)
                    .join(AlertItemRow, AlertItemRow.item_id == ItemRow.id)
                    .where(AlertItemRow.alert_id == alert.id)
                )
            ]
            msg = render(alert, texts, config)
            folder = Path(config.outbox_dir)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{alert.id:06d}-{alert.severity}-{alert.category}.eml").write_bytes(bytes(msg))
            alert.state, alert.sent_at, alert.message_id = "sent", now, msg["Message-ID"]
            sent += 1
    return sent


def enqueue_message(
    session: Session,
    *,
    kind: str,
    key: str,
    severity: str,
    category: str,
    message: EmailMessage,
    now: datetime,
) -> None:
    """Queue a prebuilt email (e.g. the digest) for the same sender; a repeated `key` is ignored.

    Runs in the caller's transaction. The message's own To/Cc are its recipients (default:
    the alert recipients); a missing Message-ID or From is filled in when it is sent.
    """
    from monitor.store import alerts as store_alerts

    if store_alerts.exists(session, key):
        return
    store_alerts.add_alert(
        session,
        AlertRow(
            key=key,
            kind=kind,
            severity=severity,
            category=category,
            account=None,
            thread_key=None,
            state="pending",
            created_at=now,
            due_at=now,
            attempts=0,
            escalations=0,
            payload={"eml_b64": base64.b64encode(bytes(message)).decode("ascii")},
        ),
    )
