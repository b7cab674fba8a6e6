"""Usage: billed reads counted once per resource per UTC day, by route — on SQLite and PostgreSQL;
the migration that added them keeps an existing database's X marks from paying again."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select, text

from monitor.store import Store, accounts, intake, items, open_store
from monitor.store.schema import BilledReadRow
from monitor.types import Account, Item, ItemKind, Mark, Page, Read, ReadRoute

OWNED, POST = ReadRoute.OWNED, ReadRoute.POST


def bill(store: Store, day: str, *reads: Read) -> accounts.Usage:
    with store.transaction() as s:
        return accounts.bill_reads(s, "x-main", day, reads)


def test_a_post_read_twice_the_same_utc_day_is_billed_once(store: Store) -> None:
    first = bill(store, "2026-11-23", Read("1", OWNED), Read("2", POST), Read("2", POST))
    assert (first.reads, first.owned_reads) == (2, 1), "a page repeating a post counts it once"
    again = bill(store, "2026-11-23", Read("1", OWNED), Read("2", POST), Read("3", POST))
    assert (again.reads, again.owned_reads) == (1, 0), "only post 3 is new today"
    across = bill(store, "2026-11-23", Read("3", OWNED))
    assert across.reads == 0, "read again by another route the same day: still charged once"
    tomorrow = bill(store, "2026-11-24", Read("1", OWNED), Read("2", POST))
    assert (tomorrow.reads, tomorrow.owned_reads) == (2, 1), "a new UTC day charges again"
    with store.transaction() as s:
        month = accounts.usage_since(s, "x-main", "2026-11-01")
        assert (month.reads, month.owned_reads) == (5, 2)


def test_only_today_and_yesterday_keep_their_resources(store: Store) -> None:
    bill(store, "2026-11-21", Read("1"))
    bill(store, "2026-11-22", Read("2"))
    bill(store, "2026-11-23", Read("3"))
    with store.transaction() as s:
        days = sorted(s.scalars(select(BilledReadRow.day)))
        assert days == ["2026-11-22", "2026-11-23"]
        assert accounts.usage_since(s, "x-main", "2026-11-01").reads == 3, "the counts stay"


def test_a_dry_run_records_what_the_platform_billed_and_nothing_else(store: Store) -> None:
    """`scan --dry-run` stores into a throwaway copy, but its requests were real: X bills them."""
    bill(store, "2026-11-23", Read("1", OWNED))
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    page = Page(
        items=(),
        marks={"mentions": Mark(now, "m9")},
        requests=3,
        reads=(Read("1", OWNED), Read("2", POST), Read("3", OWNED)),
    )
    with store.scratch() as scratch:
        saved = intake.save_page(scratch, "x-main", "x", page, now, keep_raw=False)
        assert saved.billed_reads == 2, "1 was billed today already"
        with scratch.transaction() as s:
            assert items.load_marks(s, "x-main")["mentions"].id == "m9", "the dry run sees its own marks"
    with store.transaction() as s:
        month = accounts.usage_since(s, "x-main", "2026-11-01")
        assert items.load_marks(s, "x-main") == {}, "nothing else of the dry run is kept"
    assert (month.requests, month.reads, month.owned_reads) == (3, 3, 2)
    again = bill(store, "2026-11-23", Read("3", OWNED), Read("2", POST))
    assert again.reads == 0, "what the dry run read today is not billed again by the real run"


def test_the_migration_gives_existing_x_marks_a_floor(tmp_path: Path) -> None:
    """An existing database: its X marks learn the time of the oldest stored item, so a later
    `scan --since` does not read (and pay for) the posts between that time and the mark again."""
    store = open_store(f"sqlite:///{tmp_path / 'm.db'}", migrate=False)
    try:
        from alembic import command

        from monitor.store.db import _alembic_config

        with store.engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "0002")  # the schema just before the X reads migration
        oldest = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
        with store.transaction() as s:
            accounts.ensure(
                s, [Account("x-main", "x", "1354143047324299264"), Account("fb", "facebook", "1")]
            )
            found = [
                Item("x", str(n), "x-main", ItemKind.MENTION, "hi", oldest.replace(hour=9 + n))
                for n in range(3)
            ]
            items.save_items(s, found, oldest)
            newest = oldest.replace(hour=11)
            marks = {"mentions": Mark(newest, "2"), "own": Mark(newest, "2", {"recent": "{}"})}
            items.save_marks(s, "x-main", marks, oldest)
            items.save_marks(s, "fb", {"feed": Mark(time=oldest)}, oldest)
            s.execute(
                text(
                    "INSERT INTO usage (account, day, requests, reads) VALUES ('x-main', '2026-11-21', 3, 3)"
                )
            )
        store.upgrade()
        with store.transaction() as s:
            marks = items.load_marks(s, "x-main")
            assert marks["mentions"].extra == {"floor": "2026-11-21T09:30:00Z"}
            assert marks["own"].extra == {"recent": "{}", "floor": "2026-11-21T09:30:00Z"}
            assert items.load_marks(s, "fb")["feed"].extra == {}, "other platforms are left alone"
            assert s.scalar(select(func.count()).select_from(BilledReadRow)) == 0
            usage = accounts.usage_since(s, "x-main", "2026-11-01")
            assert (usage.reads, usage.owned_reads) == (3, 0), "old reads count as post reads"
    finally:
        store.close()
