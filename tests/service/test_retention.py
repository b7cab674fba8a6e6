"""Data care: the retention purge keeps counts and erases text; `forget` erases a person."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from alerts import outbox
from monitor import erasure, pipeline
from monitor.cli import cli
from monitor.store import Store, open_store, retention
from monitor.store.schema import AlertItemRow, AlertRow, ErasureRow, FindingRow, ItemRow
from tests.conftest import FakeClock
from tests.service.helpers import context, count, record, replay_config


def test_purge_erases_old_text_and_keeps_counts(tmp_path: Path, store: Store, clock: FakeClock) -> None:
    old = clock.now - timedelta(days=200)
    lines = [
        record(1, "I will hurt you", handle="@angry", at=old),
        record(2, "the waiting list is long", handle="@sad", at=old + timedelta(minutes=1)),
        record(3, "how do i book", handle="@new", at=clock.now - timedelta(days=3)),
    ]
    config = replay_config(tmp_path, lines, database=store.url if "postgres" in store.url else None)
    ctx = context(config, store, clock)
    pipeline.scan(ctx)  # classified and alerted
    outbox.deliver_due(store, config, clock.advance(hours=1))  # high alerts wait to be grouped
    findings_before = count(store, FindingRow)
    assert count(store, AlertRow, AlertRow.state == "sent") == 2

    done = retention.purge_all(store, clock.now, text_days=90)

    assert (done.items, done.alerts) == (2, 2)
    with store.transaction() as s:
        rows = {r.external_id: r for r in s.scalars(select(ItemRow))}
        for key in ("c1", "c2"):
            row = rows[key]
            assert row.purged_at == clock.now
            assert (row.text, row.author_handle, row.author_name, row.author_id, row.permalink, row.raw) == (
                None,
                None,
                None,
                None,
                None,
                None,
            )
            assert (row.platform, row.account, row.kind) == ("facebook", "fb", "comment")
        assert rows["c3"].text == "how do i book" and rows["c3"].purged_at is None
        assert all(
            f.reasons == [] for f in s.scalars(select(FindingRow).where(FindingRow.item_id != rows["c3"].id))
        )
        payloads = [a.payload for a in s.scalars(select(AlertRow))]
        assert all(p.get("erased") == "retention" for p in payloads)
        log = list(s.scalars(select(ErasureRow)))
    assert count(store, ItemRow) == 3, "rows survive for the digest's counts"
    assert count(store, FindingRow) == findings_before, "labels survive"
    assert [(e.reason, e.items) for e in log] == [("retention", 2)]
    assert retention.purge_all(store, clock.now, text_days=90).items == 0

    # Fetching the same comments again never brings the text back.
    pipeline.poll(ctx, config.accounts[0], since=old - timedelta(days=1))
    with store.transaction() as s:
        assert s.scalar(select(ItemRow.text).where(ItemRow.external_id == "c1")) is None


def test_purge_waits_for_pending_alerts(tmp_path: Path, sqlite_store: Store, clock: FakeClock) -> None:
    old = clock.now - timedelta(days=100)
    config = replay_config(tmp_path, [record(1, "I will hurt you", at=old), record(2, "hello", at=old)])
    pipeline.scan(context(config, sqlite_store, clock), deliver=False)
    assert retention.purge_all(sqlite_store, clock.now, text_days=90).items == 1  # "hello" only
    with sqlite_store.transaction() as s:
        assert s.scalar(select(ItemRow.text).where(ItemRow.external_id == "c1")) == "I will hurt you"


def test_old_eml_files_are_purged(tmp_path: Path, clock: FakeClock) -> None:
    import os

    folder = tmp_path / "outbox"
    folder.mkdir()
    (folder / "old.eml").write_text("Message-ID: <a>\n\nold")
    (folder / "new.eml").write_text("Message-ID: <b>\n\nnew")
    stamp = (clock.now - timedelta(days=91)).timestamp()
    os.utime(folder / "old.eml", (stamp, stamp))
    assert retention.purge_eml(folder, clock.now, text_days=90) == 1
    assert [p.name for p in folder.iterdir()] == ["new.eml"]


def _two_alerts_for_sam(tmp_path: Path, store: Store, clock: FakeClock) -> pipeline.Context:
    """@sam: one alert already sent (an .eml exists), one still queued; others untouched."""
    lines = [record(1, "I will hurt you", handle="@Sam"), record(2, "lovely service", handle="@kim")]
    config = replay_config(tmp_path, lines, database=store.url if "postgres" in store.url else None)
    ctx = context(config, store, clock)
    pipeline.scan(ctx)
    clock.advance(minutes=5)
    lines += [record(3, "you idiot", handle="sam"), record(4, "you idiot too", handle="@kim")]
    (tmp_path / "export.jsonl").write_text("".join(f"{x}\n" for x in lines), encoding="utf-8")
    pipeline.scan(ctx, deliver=False)
    return ctx


def test_forget_erases_a_person_and_their_queued_emails(
    tmp_path: Path, store: Store, clock: FakeClock
) -> None:
    ctx = _two_alerts_for_sam(tmp_path, store, clock)
    assert count(store, AlertRow, AlertRow.state == "pending") == 2
    assert len(list(ctx.config.outbox_dir.glob("*.eml"))) == 1
    with store.transaction() as s:
        assert retention.count_author(s, "SAM") == 2
    done = erasure.forget(store, ctx.config, "@sam", clock.now)

    assert (done.items, done.alerts_deleted, done.alerts_kept, done.files_removed) == (2, 1, 1, 1)
    assert list(ctx.config.outbox_dir.glob("*.eml")) == []
    with store.transaction() as s:
        handles = sorted(h or "" for h in s.scalars(select(ItemRow.author_handle)))
        assert handles == ["@kim", "@kim"]
        kept = s.scalars(select(AlertRow).where(AlertRow.sent_at.is_not(None))).one()
        assert kept.payload["erased"] == "request"
        assert (kept.state, kept.acked_by) == ("acknowledged", "erasure request")  # never escalated
        assert s.scalar(select(AlertItemRow).where(AlertItemRow.alert_id == kept.id)) is None
        assert count(store, AlertRow, AlertRow.state == "pending") == 1  # @kim's
        [entry] = s.scalars(select(ErasureRow)).all()
    assert (entry.reason, entry.items, entry.alerts) == ("request", 2, 1)
    assert "sam" not in (entry.note or "").lower()
    with store.transaction() as s:
        assert count(store, FindingRow) == len(list(s.scalars(select(FindingRow.id))))
        kim_ids = set(s.scalars(select(ItemRow.id)))
        assert set(s.scalars(select(FindingRow.item_id))) <= kim_ids


def test_forget_honours_the_platform(tmp_path: Path, sqlite_store: Store, clock: FakeClock) -> None:
    _two_alerts_for_sam(tmp_path, sqlite_store, clock)
    with sqlite_store.transaction() as s:
        done = retention.forget(s, "sam", clock.now, platform="x")
    assert done.items == 0
    assert count(sqlite_store, ItemRow) == 4


def test_forget_command(tmp_path: Path, clock: FakeClock) -> None:
    config = replay_config(
        tmp_path, [record(1, "I will hurt you", handle="@sam"), record(2, "hi", handle="@kim")]
    )
    store = open_store(config.database_url)
    try:
        pipeline.scan(context(config, store, clock))
    finally:
        store.close()
    runner = CliRunner()
    cfg = str(tmp_path / "monitor.toml")

    refused = runner.invoke(cli, ["-c", cfg, "forget", "--author", "@sam"], input="n\n")
    assert refused.exit_code == 1 and "Erase 1 stored item(s) by @sam" in refused.output

    result = runner.invoke(cli, ["-c", cfg, "forget", "--author", "@sam", "--yes"])
    assert result.exit_code == 0, result.output
    assert "Erased 1 item(s) by @sam" in result.output
    assert "1 .eml file(s) removed" in result.output

    again = runner.invoke(cli, ["-c", cfg, "forget", "--author", "@sam", "--yes"])
    assert again.exit_code == 0 and "Nothing stored by @sam" in again.output
