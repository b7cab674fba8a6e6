"""Storage: idempotent upserts, edits, deletions, forward-only marks — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from monitor.errors import StorageError
from monitor.store import Store, items, open_store
from monitor.store.schema import FindingRow, ItemRow
from monitor.types import Finding, Item, ItemKind, Mark
from tests.conftest import FakeClock

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def item(n: int, text: str = "hello", **kw: object) -> Item:
    return Item(
        platform="facebook",
        external_id=f"post_{n}",
        account="fb",
        kind=ItemKind.COMMENT,
        text=text,
        created_at=T0 + timedelta(minutes=n),
        **kw,  # type: ignore[arg-type]
    )


def count(store: Store) -> int:
    with store.transaction() as s:
        return s.scalar(select(func.count()).select_from(ItemRow)) or 0


def test_upsert_is_idempotent(store: Store, clock: FakeClock) -> None:
    with store.transaction() as s:
        assert items.save_items(s, [item(1), item(2)], clock()) == items.Saved(new=2)
    with store.transaction() as s:
        assert items.save_items(s, [item(1), item(2), item(3)], clock()) == items.Saved(new=1)
    assert count(store) == 3


def test_edit_replaces_text_and_queues_reclassification(store: Store, clock: FakeClock) -> None:
    with store.transaction() as s:
        items.save_items(s, [item(1, "nice")], clock())
        row = s.scalars(select(ItemRow)).one()
        items.save_findings(s, row, [Finding("spam", 0.9)], "test", clock())
    with store.transaction() as s:
        saved = items.save_items(s, [item(1, "edited: you idiot")], clock.advance(minutes=5))
        row = s.scalars(select(ItemRow)).one()
    assert saved == items.Saved(updated=1)
    assert row.text == "edited: you idiot"
    assert row.classified_at is None and row.edited_at is not None


def test_deleted_items_are_marked_not_lost(store: Store, clock: FakeClock) -> None:
    with store.transaction() as s:
        items.save_items(s, [item(1), item(2)], clock())
    with store.transaction() as s:
        assert items.mark_deleted(s, "facebook", ["post_1"], clock()) == 1
        assert items.save_items(s, [item(2, deleted=True)], clock()) == items.Saved(updated=1)
    with store.transaction() as s:
        rows = s.scalars(select(ItemRow).order_by(ItemRow.id)).all()
    assert [r.deleted_at is not None for r in rows] == [True, True]
    assert [r.text for r in rows] == ["hello", "hello"]


def test_marks_only_move_forward(store: Store, clock: FakeClock) -> None:
    with store.transaction() as s:
        items.save_marks(s, "fb", {"feed": Mark(time=T0, id="9")}, clock())
    with store.transaction() as s:
        items.save_marks(s, "fb", {"feed": Mark(time=T0 - timedelta(days=1))}, clock())
        items.save_marks(s, "fb", {"tagged": Mark(time=T0)}, clock())
    with store.transaction() as s:
        marks = items.load_marks(s, "fb")
    assert marks["feed"] == Mark(time=T0, id="9")
    assert set(marks) == {"feed", "tagged"}


def test_hostile_text_is_stored_safely(store: Store, clock: FakeClock) -> None:
    hostile = "a\x00b \ud800 " + "x" * 2_000_000
    with store.transaction() as s:
        items.save_items(s, [item(1, hostile)], clock())
    with store.transaction() as s:
        row = s.scalars(select(ItemRow)).one()
    assert row.text is not None
    assert "\x00" not in row.text and len(row.text) == items.MAX_TEXT


def test_findings_replace_previous_ones(store: Store, clock: FakeClock) -> None:
    with store.transaction() as s:
        items.save_items(s, [item(1)], clock())
        row = s.scalars(select(ItemRow)).one()
        items.save_findings(s, row, [Finding("spam", 0.9, ("link",))], "t", clock())
        items.save_findings(s, row, [Finding("harassment", 0.8)], "t", clock())
    with store.transaction() as s:
        assert [f.label for f in s.scalars(select(FindingRow))] == ["harassment"]
        assert items.findings_for(s, row.id) == [Finding("harassment", 0.8, ())]


def test_pending_batches_in_id_order(store: Store, clock: FakeClock) -> None:
    with store.transaction() as s:
        items.save_items(s, [item(n) for n in range(5)], clock())
    with store.transaction() as s:
        first = items.pending(s, 2)
        rest = items.pending(s, 10, after_id=first[-1].id)
    assert len(first) == 2 and len(rest) == 3


def test_migrations_are_applied_once(store: Store) -> None:
    assert store.upgrade() == []
    assert store.current_revision() is not None


def test_unopenable_database_says_which_and_why(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "a-file"
    not_a_dir.write_text("")
    with pytest.raises(StorageError, match=f"cannot create the database directory {not_a_dir}"):
        open_store(f"sqlite:///{not_a_dir}/monitor.db")
    with pytest.raises(StorageError, match="not a database URL"):
        open_store("nonsense")
    with pytest.raises(StorageError, match="cannot open the database postgresql"):
        open_store("postgresql+psycopg://nobody:secret@127.0.0.1:1/none")


def test_database_password_not_in_errors() -> None:
    with pytest.raises(StorageError) as err:
        open_store("postgresql+psycopg://nobody:hunter2@127.0.0.1:1/none")
    assert "hunter2" not in str(err.value)


def test_a_dry_run_copy_sees_everything_and_changes_nothing_nor_blocks_anyone(
    store: Store, clock: FakeClock
) -> None:
    """`scan --dry-run` works on a copy (SQLite: a backup; PostgreSQL: temporary tables). While it
    holds its changes, the daemon can still write the same rows at once: nothing waits for it."""
    with store.transaction() as s:
        items.save_items(s, [item(1), item(2)], clock())
    with store.scratch() as scratch:
        with scratch.transaction() as s:
            assert items.save_items(s, [item(1, "edited in the dry run"), item(3)], clock()).new == 1
            assert s.scalar(select(func.count()).select_from(ItemRow)) == 3
        # Meanwhile the daemon edits the row the dry run changed; on PostgreSQL, give up after 2 s
        # rather than hang if the dry run held it.
        with store.transaction() as s:
            if store.engine.dialect.name == "postgresql":
                s.execute(text("SET LOCAL lock_timeout = '2s'"))
            assert items.save_items(s, [item(1, "edited on the platform")], clock()).updated == 1
        with scratch.transaction() as s:
            text_in_copy = s.scalar(select(ItemRow.text).where(ItemRow.external_id == "post_1"))
            assert text_in_copy == "edited in the dry run"
    assert count(store) == 2
    with store.transaction() as s:
        assert (
            s.scalar(select(ItemRow.text).where(ItemRow.external_id == "post_1")) == "edited on the platform"
        )
