"""False alarms marked by the MD: counted in the digest, exported as labelled training data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.store.schema import FalseAlarmRow, FindingRow, ItemRow


@dataclass(frozen=True)
class Corrected:
    """One stored text with the labels it was flagged with and those the MD said were wrong."""

    item_id: int
    platform: str
    kind: str
    author_is_org: bool
    text: str
    flagged: tuple[str, ...]
    wrong: tuple[str, ...]
    reasons: tuple[str, ...]
    notes: tuple[str, ...]
    at: datetime


def counts_by_label(session: Session, start: datetime, end: datetime) -> Mapping[str, int]:
    """False alarms marked in [start, end), per label."""
    rows = session.execute(
        select(FalseAlarmRow.label, func.count())
        .where(FalseAlarmRow.at >= start, FalseAlarmRow.at < end)
        .group_by(FalseAlarmRow.label)
    ).all()
    return {str(label): int(n) for label, n in rows}


def corrected(session: Session, since: datetime | None = None) -> list[Corrected]:
    """Every item with a false alarm whose text is still stored (not purged, erased or deleted)."""
    query = select(FalseAlarmRow).order_by(FalseAlarmRow.item_id, FalseAlarmRow.id)
    if since is not None:
        query = query.where(FalseAlarmRow.at >= since)
    marks: dict[int, list[FalseAlarmRow]] = {}
    for row in session.scalars(query):
        marks.setdefault(row.item_id, []).append(row)
    if not marks:
        return []
    items = {
        i.id: i
        for i in session.scalars(
            select(ItemRow).where(
                ItemRow.id.in_(list(marks)), ItemRow.text.is_not(None), ItemRow.purged_at.is_(None)
            )
        )
    }
    flagged: dict[int, list[str]] = {}
    for f in session.scalars(select(FindingRow).where(FindingRow.item_id.in_(list(items)))):
        flagged.setdefault(f.item_id, []).append(f.label)
    out = []
    for item_id, rows in marks.items():
        item = items.get(item_id)
        if item is None or item.text is None:
            continue
        out.append(
            Corrected(
                item_id=item_id,
                platform=item.platform,
                kind=item.kind,
                author_is_org=bool(item.author_is_org),
                text=item.text,
                flagged=tuple(flagged.get(item_id, ())),
                wrong=tuple(dict.fromkeys(r.label for r in rows)),
                reasons=tuple(dict.fromkeys(r.reason for r in rows)),
                notes=tuple(dict.fromkeys(r.note for r in rows if r.note)),
                at=max(r.at for r in rows),
            )
        )
    return out
