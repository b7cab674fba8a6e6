"""Data care: the daily retention purge and `monitor forget` (UK GDPR erasure requests).

Retention keeps the counts (platform, account, kind, time, labels and scores) that
digests and trends use, and erases what identifies or quotes a person: text, author,
permalink, the raw payload, the classifier's reasons, and alert payloads. An erasure
request deletes a person's items outright (findings follow by cascade), the queued
emails that exist only because of them, and `.eml` copies in the outbox directory.
The log (`erasures`) holds counts only: never a handle, name or text.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.orm import Session

from monitor.store.db import Store
from monitor.store.schema import AlertItemRow, AlertRow, ErasureRow, FindingRow, ItemRow

log = logging.getLogger(__name__)
BATCH = 500


@dataclass(frozen=True)
class Purged:
    items: int
    alerts: int


@dataclass(frozen=True)
class Forgotten:
    items: int
    alerts_deleted: int  # queued emails that covered only this person's items
    alerts_scrubbed: int  # sent alerts kept for the record, their copy of the text removed
    message_ids: tuple[str, ...]  # to find and remove `.eml` copies


def purge(session: Session, now: datetime, *, text_days: int, limit: int = BATCH) -> Purged:
    """Erase text and authors of items created more than `text_days` ago (one batch).

    Items still waiting in a pending alert are left for the next purge, so an email is
    never sent without its text. Call repeatedly until it returns 0 items.
    """
    cutoff = now - timedelta(days=text_days)
    waiting = (
        select(AlertItemRow.item_id)
        .join(AlertRow, AlertRow.id == AlertItemRow.alert_id)
        .where(AlertRow.state == "pending")
    )
    ids = list(
        session.scalars(
            select(ItemRow.id)
            .where(ItemRow.created_at < cutoff, ItemRow.purged_at.is_(None), ItemRow.id.not_in(waiting))
            .order_by(ItemRow.id)
            .limit(limit)
        )
    )
    if not ids:
        return Purged(0, 0)
    session.execute(
        update(ItemRow)
        .where(ItemRow.id.in_(ids))
        .values(
            text=None,
            author_id=None,
            author_handle=None,
            author_name=None,
            permalink=None,
            raw=None,
            purged_at=now,
        )
    )
    session.execute(update(FindingRow).where(FindingRow.item_id.in_(ids)).values(reasons=[]))
    alert_ids = _alerts_of(session, ids)
    if alert_ids:
        session.execute(
            update(AlertRow)
            .where(AlertRow.id.in_(alert_ids))
            .values(payload={"erased": "retention", "at": now.isoformat()})
        )
    return Purged(len(ids), len(alert_ids))


def purge_all(store: Store, now: datetime, *, text_days: int) -> Purged:
    """Purge in batches, one transaction each, each logged in `erasures` with its counts."""
    items = alerts = 0
    while True:
        with store.transaction() as session:
            batch = purge(session, now, text_days=text_days)
            if batch.items == 0:
                return Purged(items, alerts)
            session.add(ErasureRow(at=now, reason="retention", items=batch.items, alerts=batch.alerts))
        items, alerts = items + batch.items, alerts + batch.alerts


def _alerts_of(session: Session, item_ids: Sequence[int]) -> list[int]:
    return list(
        session.scalars(select(AlertItemRow.alert_id).where(AlertItemRow.item_id.in_(item_ids)).distinct())
    )


def _normalise(handle: str) -> str:
    return handle.strip().lstrip("@").lower()


def _matching(handle: str, platform: str | None) -> list[ColumnElement[bool]]:
    wanted = _normalise(handle)
    conditions: list[ColumnElement[bool]] = [
        or_(func.lower(ItemRow.author_handle) == wanted, func.lower(ItemRow.author_handle) == "@" + wanted)
    ]
    if platform:
        conditions.append(ItemRow.platform == platform)
    return conditions


def count_author(session: Session, handle: str, platform: str | None = None) -> int:
    return int(session.scalar(select(func.count(ItemRow.id)).where(*_matching(handle, platform))) or 0)


def forget(session: Session, handle: str, now: datetime, *, platform: str | None = None) -> Forgotten:
    """Erase every stored item by `handle` (any platform unless `platform` is given)."""
    ids = list(session.scalars(select(ItemRow.id).where(*_matching(handle, platform))))
    if not ids:
        session.add(ErasureRow(at=now, reason="request", items=0, alerts=0, note=_note(platform)))
        return Forgotten(0, 0, 0, ())
    affected = _alerts_of(session, ids)
    doomed, scrubbed, message_ids = [], [], []
    for alert in session.scalars(select(AlertRow).where(AlertRow.id.in_(affected))):
        others = session.scalar(
            select(func.count())
            .select_from(AlertItemRow)
            .where(AlertItemRow.alert_id == alert.id, AlertItemRow.item_id.not_in(ids))
        )
        if alert.message_id:
            message_ids.append(alert.message_id)
        if not others and alert.state == "pending":
            doomed.append(alert.id)
        elif not others:
            alert.payload = {"erased": "request", "at": now.isoformat()}
            scrubbed.append(alert.id)
    session.execute(delete(AlertItemRow).where(AlertItemRow.item_id.in_(ids)))
    if doomed:
        session.execute(delete(AlertRow).where(AlertRow.id.in_(doomed)))
    session.execute(delete(FindingRow).where(FindingRow.item_id.in_(ids)))
    session.execute(delete(ItemRow).where(ItemRow.id.in_(ids)))
    session.add(
        ErasureRow(at=now, reason="request", items=len(ids), alerts=len(doomed), note=_note(platform))
    )
    return Forgotten(len(ids), len(doomed), len(scrubbed), tuple(message_ids))


def _note(platform: str | None) -> str:
    return f"erasure request (platform: {platform or 'all'}); no identifying data kept"


# ---------------------------------------------------------------- files in the outbox directory


def remove_eml(folder: Path, message_ids: Iterable[str]) -> int:
    """Delete `.eml` files whose Message-ID is one of `message_ids`; return how many."""
    wanted = {m.strip() for m in message_ids if m}
    if not wanted or not folder.is_dir():
        return 0
    removed = 0
    for path in folder.glob("*.eml"):
        if _message_id(path) in wanted:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def purge_eml(folder: Path, now: datetime, *, text_days: int) -> int:
    """Delete `.eml` copies older than the retention period (they quote comment text)."""
    if not folder.is_dir():
        return 0
    cutoff = (now - timedelta(days=text_days)).timestamp()
    removed = 0
    for path in folder.glob("*.eml"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


def _message_id(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            for raw in handle:
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if not line:  # end of the headers
                    return None
                name, _, value = line.partition(":")
                if name.strip().lower() == "message-id":
                    return value.strip()
    except OSError:
        return None
    return None
