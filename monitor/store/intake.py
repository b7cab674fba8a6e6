"""Storing what a connector fetched, so that no item can block the items behind it.

`save_page` stores a page (items, deletions, marks, usage) in one transaction. If that
transaction fails, the page is stored again item by item, each in its own transaction;
an item that still fails is *set aside*: kept in `set_aside` (cleaned, as ASCII JSON, so
nothing is lost), retried at the account's next polls, and reported (the caller queues
an operator notice; `monitor status` and the digest list it). The marks are then saved,
so the account moves on. If even the marks cannot be saved, the database itself is
failing, and the error propagates: nothing is set aside, and the next poll starts again
from the old marks.

Items whose routing failed after they were stored (a bug in deciding their alert) are set
aside too (stage "route"), by item number, and retried at the next classification pass.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select

from monitor.errors import StorageError
from monitor.store import accounts, items
from monitor.store.db import Store
from monitor.store.schema import SetAsideRow
from monitor.types import Item, ItemKind, Page

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Intake:
    new: int = 0
    updated: int = 0
    erased: int = 0
    set_aside: tuple[str, ...] = ()  # why each item set aside now could not be stored
    billed_reads: int = 0  # reads the platform charges for (once per resource per UTC day)


def save_page(
    store: Store, account: str, platform: str, page: Page, now: datetime, *, keep_raw: bool
) -> Intake:
    try:
        with store.transaction() as session:
            saved = items.save_items(session, page.items, now, keep_raw=keep_raw)
            gone = items.mark_deleted(session, platform, page.deleted, now)
            billed = _save_progress(store, session, account, page, now)
        billed = _spent_elsewhere(store, account, page, now, billed)
        return Intake(saved.new, saved.updated + gone, saved.erased, billed_reads=billed)
    except StorageError as exc:
        log.warning(
            "%s: a page of %d item(s) could not be stored at once (%s); storing one by one",
            account,
            len(page.items),
            exc,
        )
    new = updated = erased = 0
    failed: list[tuple[Item, str]] = []
    for item in page.items:
        try:
            with store.transaction() as session:
                saved = items.save_items(session, [item], now, keep_raw=keep_raw)
            new, updated, erased = new + saved.new, updated + saved.updated, erased + saved.erased
        except StorageError as exc:
            failed.append((item, str(exc)))
    # Deletions and marks last: if these fail too, the database is down, not an item.
    with store.transaction() as session:
        updated += items.mark_deleted(session, platform, page.deleted, now)
        billed = _save_progress(store, session, account, page, now)
        for item, error in failed:
            session.add(_aside_row(account, item, error, now))
    billed = _spent_elsewhere(store, account, page, now, billed)
    for item, error in failed:
        log.error("%s: item %s set aside, it could not be stored: %s", account, item.external_id, error)
    return Intake(new, updated, erased, tuple(error for _, error in failed), billed)


def _save_progress(store: Store, session: Any, account: str, page: Page, now: datetime) -> int | None:
    """The page's marks and, where this store records usage, its usage: the reads newly billed.

    None when usage belongs to another store (a dry run's real one): `_spent_elsewhere` records it.
    """
    items.save_marks(session, account, page.marks, now)
    return _usage(session, account, page, now) if store.spending is store else None


def _spent_elsewhere(store: Store, account: str, page: Page, now: datetime, billed: int | None) -> int:
    """After the page's unit of work: its usage, recorded in its own unit on `store.spending`."""
    if billed is not None:
        return billed
    with store.spending.transaction() as session:
        return _usage(session, account, page, now)


def _usage(session: Any, account: str, page: Page, now: datetime) -> int:
    """Record the page's requests and reads; return the reads newly billed."""
    day = now.astimezone(UTC).date().isoformat()
    accounts.add_usage(session, account, day, requests=page.requests)
    return accounts.bill_reads(session, account, day, page.reads).reads


def _aside_row(account: str, item: Item, error: str, now: datetime) -> SetAsideRow:
    return SetAsideRow(
        at=now,
        stage="store",
        account=account,
        platform=item.platform,
        item_id=None,
        author_handle=item.author_handle,
        error=error[:2000],
        attempts=1,
        payload=json.dumps(_as_json(item), ensure_ascii=True),
    )


def _as_json(item: Item) -> dict[str, Any]:
    return {
        "platform": item.platform,
        "external_id": item.external_id,
        "account": item.account,
        "kind": item.kind.value,
        "text": item.text,
        "created_at": item.created_at.isoformat(),
        "post_id": item.post_id,
        "parent_id": item.parent_id,
        "author_id": item.author_id,
        "author_handle": item.author_handle,
        "author_name": item.author_name,
        "author_is_org": item.author_is_org,
        "permalink": item.permalink,
        "updated_at": item.updated_at.isoformat() if item.updated_at else None,
        "deleted": item.deleted,
        "private": item.private,
    }


def _from_json(data: dict[str, Any]) -> Item:
    return Item(
        platform=data["platform"],
        external_id=data["external_id"],
        account=data["account"],
        kind=ItemKind(data["kind"]),
        text=data["text"],
        created_at=datetime.fromisoformat(data["created_at"]),
        post_id=data.get("post_id"),
        parent_id=data.get("parent_id"),
        author_id=data.get("author_id"),
        author_handle=data.get("author_handle"),
        author_name=data.get("author_name"),
        author_is_org=bool(data.get("author_is_org")),
        permalink=data.get("permalink"),
        updated_at=datetime.fromisoformat(data["updated_at"]) if data.get("updated_at") else None,
        deleted=bool(data.get("deleted")),
        private=bool(data.get("private")),
    )


def retry_set_aside(store: Store, account: str, now: datetime, *, keep_raw: bool) -> int:
    """Try once more to store the items set aside for `account`; return how many now stored."""
    with store.transaction() as session:
        waiting = list(
            session.scalars(
                select(SetAsideRow.id).where(SetAsideRow.account == account, SetAsideRow.stage == "store")
            )
        )
    stored = 0
    for aside_id in waiting:
        try:
            with store.transaction() as session:
                row = session.get(SetAsideRow, aside_id)
                if row is None or row.payload is None:
                    continue
                items.save_items(session, [_from_json(json.loads(row.payload))], now, keep_raw=keep_raw)
                session.delete(row)
            stored += 1
        except (StorageError, ValueError, KeyError) as exc:
            with store.transaction() as session:
                row = session.get(SetAsideRow, aside_id)
                if row is not None:
                    row.attempts += 1
                    row.error = str(exc)[:2000]
    return stored


# ------------------------------------------------------------------ routing failures


def set_aside_route(
    store: Store, item_id: int, account: str, platform: str, error: str, now: datetime
) -> bool:
    """Record that routing failed for a stored item; True the first time (report it then)."""
    with store.transaction() as session:
        row = session.scalars(
            select(SetAsideRow).where(SetAsideRow.stage == "route", SetAsideRow.item_id == item_id)
        ).first()
        if row is not None:
            row.attempts += 1
            row.error = error[:2000]
            return False
        session.add(
            SetAsideRow(
                at=now,
                stage="route",
                account=account,
                platform=platform,
                item_id=item_id,
                author_handle=None,
                error=error[:2000],
                attempts=1,
                payload=None,
            )
        )
        return True


def routed(store: Store, item_ids: Sequence[int]) -> None:
    """Items whose routing now worked: no longer set aside."""
    if not item_ids:
        return
    with store.transaction() as session:
        session.execute(
            delete(SetAsideRow).where(SetAsideRow.stage == "route", SetAsideRow.item_id.in_(list(item_ids)))
        )


# ------------------------------------------------------------------ what status and the digest show


@dataclass(frozen=True)
class Aside:
    id: int
    at: datetime
    stage: str
    account: str
    platform: str
    item_id: int | None
    error: str
    attempts: int


def listing(store: Store) -> list[Aside]:
    with store.transaction() as session:
        return [
            Aside(r.id, r.at, r.stage, r.account, r.platform, r.item_id, r.error, r.attempts)
            for r in session.scalars(select(SetAsideRow).order_by(SetAsideRow.id))
        ]


def count(session: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(SetAsideRow)) or 0)
