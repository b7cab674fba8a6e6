"""Data care: the daily retention purge and `monitor forget` (UK GDPR erasure requests).

Retention keeps the counts (platform, account, kind, time, labels and scores) that
digests and trends use, and erases what identifies or quotes a person: text, author,
permalink, the raw payload, the classifier's reasons, and alert payloads. An erasure
request deletes a person's items outright (findings follow by cascade), the queued
emails that exist only because of them, and `.eml` copies in the outbox directory.
The log (`erasures`) holds counts only: never a handle, name or text.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from monitor.store.alerts import add_event
from monitor.store.db import Store
from monitor.store.items import item_digest
from monitor.store.schema import (
    AlertItemRow,
    AlertRow,
    ErasedItemRow,
    ErasureRow,
    FindingRow,
    ItemRow,
    SetAsideRow,
)

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
    alerts_scrubbed: tuple[int, ...]  # alerts every comment of which was erased: kept as a record, no text
    alerts_trimmed: tuple[int, ...]  # alerts that also cover other people: theirs stay, intact
    created: tuple[datetime, ...]  # when the erased items were posted (digests that may quote them)


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
    """Purge in batches, one transaction each, each logged in `erasures` with its counts.

    Items set aside (they could not be stored) hold text too: they go after the same period.
    """
    items = alerts = 0
    with store.transaction() as session:
        aside = session.execute(delete(SetAsideRow).where(SetAsideRow.at < now - timedelta(days=text_days)))
        gone = int(getattr(aside, "rowcount", 0) or 0)
        if gone:
            session.add(ErasureRow(at=now, reason="retention", items=gone, alerts=0))
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
    return handle.strip().lstrip("@").casefold()


def _matching_ids(session: Session, model: Any, handle: str, platform: str | None) -> list[int]:
    """Rows whose author handle is `handle` (with or without "@", any case, any script).

    Compared in Python: SQL's lower() folds only ASCII on SQLite, and a handle such as
    "@ÉLODIE" must be found however the request spells its case.
    """
    wanted = _normalise(handle)
    query = select(model.id, model.author_handle).where(model.author_handle.is_not(None))
    if platform:
        query = query.where(model.platform == platform)
    return [row_id for row_id, found in session.execute(query) if _normalise(found) == wanted]


def count_author(session: Session, handle: str, platform: str | None = None) -> int:
    return len(_matching_ids(session, ItemRow, handle, platform))


def forget(session: Session, handle: str, now: datetime, *, platform: str | None = None) -> Forgotten:
    """Erase every stored item by `handle` (any platform unless `platform` is given).

    The items go (findings with them); a hash of each one's platform id is kept in
    `erased_items` so that fetching the comment again never stores it again. Alerts that
    also cover other people keep those people's comments; an alert left with none is
    deleted if not yet sent, else kept as a record without text (and not escalated).
    """
    ids = _matching_ids(session, ItemRow, handle, platform)
    asides = _matching_ids(session, SetAsideRow, handle, platform)
    for aside in session.scalars(select(SetAsideRow).where(SetAsideRow.id.in_(asides))):
        _remember(session, aside.platform, _external_id(aside.payload), now)
    if asides:
        session.execute(delete(SetAsideRow).where(SetAsideRow.id.in_(asides)))
    if not ids:
        session.add(ErasureRow(at=now, reason="request", items=len(asides), alerts=0, note=_note(platform)))
        return Forgotten(len(asides), 0, (), (), ())
    rows = list(session.scalars(select(ItemRow).where(ItemRow.id.in_(ids))))
    affected = _alerts_of(session, ids)
    doomed, scrubbed, trimmed = [], [], []
    for alert in session.scalars(select(AlertRow).where(AlertRow.id.in_(affected)).order_by(AlertRow.id)):
        others = session.scalar(
            select(func.count())
            .select_from(AlertItemRow)
            .where(AlertItemRow.alert_id == alert.id, AlertItemRow.item_id.not_in(ids))
        )
        if others:
            trimmed.append(alert.id)
            add_event(session, alert.id, now, "erasure request", "trimmed", _TRIMMED)
        elif alert.state == "pending" and alert.sent_at is None:
            doomed.append(alert.id)
        else:
            alert.payload = {"erased": "request", "at": now.isoformat()}
            alert.key = f"erased:{alert.id}"  # an item's key can carry its platform id
            if alert.acked_at is None:  # nothing left to escalate
                alert.acked_at, alert.acked_by = now, "erasure request"
                if alert.state in ("pending", "sent", "failed"):
                    alert.state = "acknowledged"
            add_event(session, alert.id, now, "erasure request", "erased", _ERASED)
            scrubbed.append(alert.id)
    for row in rows:
        _remember(session, row.platform, row.external_id, now)
    created = tuple(sorted({row.created_at for row in rows}))
    session.execute(delete(AlertItemRow).where(AlertItemRow.item_id.in_(ids)))
    if doomed:
        session.execute(delete(AlertRow).where(AlertRow.id.in_(doomed)))
    session.execute(delete(FindingRow).where(FindingRow.item_id.in_(ids)))
    session.execute(delete(ItemRow).where(ItemRow.id.in_(ids)))
    session.add(
        ErasureRow(at=now, reason="request", items=len(ids), alerts=len(doomed), note=_note(platform))
    )
    return Forgotten(len(ids), len(doomed), tuple(scrubbed), tuple(trimmed), created)


def _remember(session: Session, platform: str, external_id: str | None, now: datetime) -> None:
    """Keep a hash of an erased item's platform id, so fetching it again never stores it again."""
    if external_id is None:
        return
    digest = item_digest(platform, external_id)
    if session.get(ErasedItemRow, digest) is None:
        session.add(ErasedItemRow(digest=digest, at=now))
        session.flush()


def _external_id(payload: str | None) -> str | None:
    try:
        value = json.loads(payload or "{}").get("external_id")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


_TRIMMED = "a comment in this alert was erased on request; the others are kept"
_ERASED = "every comment in this alert was erased on request; kept as a record, without text"


def _note(platform: str | None) -> str:
    return f"erasure request (platform: {platform or 'all'}); no identifying data kept"


# ---------------------------------------------------------------- files in the outbox directory


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
