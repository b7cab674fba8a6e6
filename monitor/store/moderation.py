"""Item look-ups for human-triggered moderation (`monitor hide`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.store.schema import ItemRow


@dataclass(frozen=True)
class ItemRef:
    id: int
    platform: str
    account: str
    external_id: str
    kind: str
    author: str | None
    text: str | None
    deleted: bool


def find_item(session: Session, item_id: str) -> ItemRef | None:
    """An item by our own number (as alerts show it) or by the platform's id."""
    row: ItemRow | None = None
    if item_id.isdigit():
        row = session.get(ItemRow, int(item_id))
    if row is None:
        row = session.scalars(select(ItemRow).where(ItemRow.external_id == item_id).limit(1)).first()
    if row is None:
        return None
    return ItemRef(
        id=row.id,
        platform=row.platform,
        account=row.account,
        external_id=row.external_id,
        kind=row.kind,
        author=row.author_handle or row.author_name,
        text=row.text,
        deleted=row.deleted_at is not None,
    )
