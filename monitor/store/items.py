"""Items, high-water marks and findings."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from monitor.clean import MAX_TEXT, clean_text
from monitor.store.schema import ErasedItemRow, FindingRow, ItemRow, MarkRow
from monitor.types import Finding, Item, Mark

__all__ = ["MAX_TEXT", "Saved", "item_digest", "save_items"]


@dataclass(frozen=True)
class Saved:
    new: int = 0
    updated: int = 0  # edited or deleted on the platform since we last saw it
    erased: int = 0  # fetched again after an erasure request, and not stored


def item_digest(platform: str, external_id: str) -> str:
    """A hash of an item's platform id: how erased items are remembered, and alert keys made."""
    return hashlib.sha256(f"{platform}\x00{external_id}".encode()).hexdigest()


def _row_values(item: Item, now: datetime, keep_raw: bool) -> dict[str, Any]:
    return {
        "platform": item.platform,
        "external_id": item.external_id,
        "account": item.account,
        "kind": item.kind.value,
        "post_id": item.post_id,
        "parent_id": item.parent_id,
        "author_id": item.author_id,
        "author_handle": item.author_handle,
        "author_name": item.author_name,
        "author_is_org": item.author_is_org,
        "private": item.private,
        "text": clean_text(item.text),
        "permalink": item.permalink,
        "created_at": item.created_at,
        "edited_at": item.updated_at,
        "first_seen_at": now,
        "last_seen_at": now,
        "deleted_at": now if item.deleted else None,
        "raw": dict(item.raw) if keep_raw else None,
    }


def save_items(session: Session, items: Sequence[Item], now: datetime, *, keep_raw: bool = False) -> Saved:
    """Upsert items idempotently on (platform, external_id).

    A changed text (an edit) replaces the stored text and queues the item for
    classification again; an item the platform reports deleted is marked, not removed.
    """
    if not items:
        return Saved()
    by_key = {(i.platform, i.external_id): i for i in items}  # last one wins within a page
    digests = {item_digest(*key): key for key in by_key}
    forgotten = set(
        session.scalars(select(ErasedItemRow.digest).where(ErasedItemRow.digest.in_(list(digests))))
    )
    for digest in forgotten:  # an erasure request covers the comment for good
        del by_key[digests[digest]]
    if not by_key:
        return Saved(erased=len(forgotten))
    existing = {
        (row.platform, row.external_id): row
        for row in session.scalars(
            select(ItemRow).where(
                ItemRow.platform.in_({p for p, _ in by_key}),
                ItemRow.external_id.in_([e for _, e in by_key]),
            )
        )
    }
    new_rows = [_row_values(i, now, keep_raw) for k, i in by_key.items() if k not in existing]
    if new_rows:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(insert(ItemRow).on_conflict_do_nothing(), new_rows)
    updated = 0
    for key, row in existing.items():
        item = by_key[key]
        row.last_seen_at = now
        text = clean_text(item.text)
        if item.deleted and row.deleted_at is None:
            row.deleted_at = now
            updated += 1
        elif not item.deleted and row.purged_at is None and text != row.text:
            row.text = text
            row.edited_at = item.updated_at or now
            row.classified_at = None  # classify the new wording
            updated += 1
    return Saved(new=len(new_rows), updated=updated, erased=len(forgotten))


def mark_deleted(session: Session, platform: str, external_ids: Iterable[str], now: datetime) -> int:
    ids = list(external_ids)
    if not ids:
        return 0
    result = session.execute(
        update(ItemRow)
        .where(ItemRow.platform == platform, ItemRow.external_id.in_(ids), ItemRow.deleted_at.is_(None))
        .values(deleted_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def load_marks(session: Session, account: str) -> dict[str, Mark]:
    rows = session.scalars(select(MarkRow).where(MarkRow.account == account))
    return {r.stream: Mark(time=r.time, id=r.mark_id, extra=dict(r.extra or {})) for r in rows}


def save_marks(session: Session, account: str, marks: Mapping[str, Mark], now: datetime) -> None:
    for stream, mark in marks.items():
        row = session.get(MarkRow, (account, stream))
        if row is None:
            row = MarkRow(account=account, stream=stream, updated_at=now)
            session.add(row)
        # A mark only moves forward: an out-of-order page never rewinds it.
        if mark.time is not None and (row.time is None or mark.time > row.time):
            row.time = mark.time
        if mark.id is not None:
            row.mark_id = mark.id
        if mark.extra:
            row.extra = dict(mark.extra)
        row.updated_at = now


def pending(session: Session, limit: int, after_id: int = 0) -> list[ItemRow]:
    """Items waiting for the classifier, oldest first, in batches."""
    return list(
        session.scalars(
            select(ItemRow)
            .where(ItemRow.classified_at.is_(None), ItemRow.text.is_not(None), ItemRow.id > after_id)
            .order_by(ItemRow.id)
            .limit(limit)
        )
    )


def save_findings(
    session: Session, item: ItemRow, findings: Sequence[Finding], classifier: str, now: datetime
) -> None:
    save_classifications(session, [(item, findings)], classifier, now)


def save_classifications(
    session: Session, batch: Sequence[tuple[ItemRow, Sequence[Finding]]], classifier: str, now: datetime
) -> None:
    """Replace the findings of a batch of items and mark them classified: a few statements, not one per item."""
    if not batch:
        return
    ids = [row.id for row, _ in batch]
    session.execute(delete(FindingRow).where(FindingRow.item_id.in_(ids)))
    values = [
        {
            "item_id": row.id,
            "label": f.label,
            "score": f.score,
            "reasons": list(f.reasons),
            "classifier": classifier,
            "created_at": now,
        }
        for row, found in batch
        for f in found
    ]
    if values:
        session.execute(insert(FindingRow), values)
    for row, _ in batch:
        row.classified_at = now


def rows_by_id(session: Session, ids: Sequence[int]) -> dict[int, ItemRow]:
    return {row.id: row for row in session.scalars(select(ItemRow).where(ItemRow.id.in_(ids)))}


def findings_for(session: Session, item_id: int) -> list[Finding]:
    rows = session.scalars(select(FindingRow).where(FindingRow.item_id == item_id).order_by(FindingRow.id))
    return [Finding(r.label, r.score, tuple(r.reasons or ())) for r in rows]
