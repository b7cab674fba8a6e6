"""The pipeline end to end: fetch → store → classify → decide → deliver."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any, ClassVar

import pytest
import requests
from sqlalchemy import func, select

from connectors import base as connector_base
from monitor import pipeline
from monitor.config import Config
from monitor.errors import AuthError, RateLimited, TransientError
from monitor.store import Store, open_store
from monitor.store.schema import AccountRow, AlertRow, FindingRow, ItemRow
from monitor.types import Account, Item, ItemKind, Mark, Page
from tests.conftest import FakeClock, KeywordClassifier, make_config

T0 = datetime(2026, 11, 20, tzinfo=UTC)


def line(n: int, text: str, **kw: Any) -> str:
    record = {
        "external_id": f"c{n}",
        "platform": "facebook",
        "kind": "comment",
        "text": text,
        "created_at": (T0 + timedelta(minutes=n)).isoformat(),
        **kw,
    }
    return json.dumps(record)


def replay_config(tmp_path: Path, lines: list[str], database: str | None = None, extra: str = "") -> Config:
    (tmp_path / "export.jsonl").write_text("\n".join(lines) + "\n")
    body = (
        f'[[accounts]]\nname = "fb"\nplatform = "replay"\naccount_id = "page"\npath = "export.jsonl"\n{extra}'
    )
    return make_config(tmp_path, body, database=database)


def context(config: Config, store: Store, clock: FakeClock) -> pipeline.Context:
    return pipeline.Context(config, store, KeywordClassifier(), clock)


def count(store: Store, table: type) -> int:
    with store.transaction() as s:
        return s.scalar(select(func.count()).select_from(table)) or 0


def test_scan_end_to_end(tmp_path: Path, database_url: str, clock: FakeClock) -> None:
    lines = [
        line(1, "the waiting list is a disgrace"),
        line(2, "lovely session"),
        line(3, "I will hurt you"),
        line(4, "how do I book?"),
    ]
    config = replay_config(tmp_path, lines, database=database_url)
    store = open_store(config.database_url)
    try:
        report = pipeline.scan(context(config, store, clock))
        assert (report.items_fetched, report.items_new, report.items_classified) == (4, 4, 4)
        assert report.findings == {"negative_publicity": 1, "threat": 1, "engagement": 1}
        assert report.alerts_queued == 2  # engagement is low severity: digest only
        # The daemon sends the urgent threat at once; the complaint waits to group its thread.
        assert (report.alerts_sent, report.alerts_waiting) == (1, 1)
        clock.advance(minutes=config.alerts.group_minutes)
        later = pipeline.scan(context(config, store, clock))
        assert (later.alerts_sent, later.alerts_waiting) == (1, 0)
        emails = sorted(config.outbox_dir.glob("*.eml"))
        assert len(emails) == 2
        parsed = [message_from_bytes(p.read_bytes()) for p in emails]
        assert all(m["Message-ID"] for m in parsed)
        # A second scan finds nothing new and sends nothing again.
        again = pipeline.scan(context(config, store, clock))
        assert (again.items_new, again.items_classified, again.alerts_queued) == (0, 0, 0)
        assert len(list(config.outbox_dir.glob("*.eml"))) == 2
    finally:
        store.close()


@dataclass(frozen=True)
class FlakySettings:
    fail_after_pages: int = 1


class FlakyConnector:
    """Yields two pages (marks on the last), but can die after the first: a crash mid-fetch."""

    platform: ClassVar[str] = "flaky"
    Settings: ClassVar[type[FlakySettings]] = FlakySettings
    broken = True

    def __init__(self, account: Account, settings: FlakySettings, session: requests.Session) -> None:
        self.account = account

    def _item(self, n: int) -> Item:
        return Item(
            "flaky", f"f{n}", self.account.name, ItemKind.COMMENT, f"text {n}", T0 + timedelta(minutes=n)
        )

    def fetch(self, marks: Mapping[str, Mark], since: datetime | None) -> Iterator[Page]:
        yield Page(items=(self._item(1), self._item(2)))
        if FlakyConnector.broken:
            raise TransientError("connection reset by peer")
        yield Page(items=(self._item(3),), marks={"s": Mark(time=T0 + timedelta(minutes=3))})

    def check(self) -> list[str]:
        return []

    def hide(self, external_id: str) -> None:
        raise NotImplementedError


@pytest.fixture
def flaky(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(connector_base.BUILTIN, "flaky", "tests.test_pipeline:FlakyConnector")
    FlakyConnector.broken = True


def test_one_shot_scan_closes_the_grouping_window(
    tmp_path: Path, sqlite_store: Store, clock: FakeClock
) -> None:
    config = replay_config(tmp_path, [line(1, "the waiting list is a disgrace"), line(2, "I will hurt you")])
    report = pipeline.scan(context(config, sqlite_store, clock), one_shot=True)
    assert (report.alerts_queued, report.alerts_sent, report.alerts_waiting) == (2, 2, 0)


def test_one_shot_scan_still_respects_quiet_hours(
    tmp_path: Path, sqlite_store: Store, clock: FakeClock
) -> None:
    lines = [line(1, "the waiting list is a disgrace"), line(2, "I will hurt you")]
    (tmp_path / "export.jsonl").write_text("\n".join(lines) + "\n")
    body = '[[accounts]]\nname = "fb"\nplatform = "replay"\naccount_id = "page"\npath = "export.jsonl"\n'
    config = make_config(tmp_path, body)
    import dataclasses

    config = dataclasses.replace(config, alerts=dataclasses.replace(config.alerts, quiet_hours="22:00-07:00"))
    clock.now = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # 23:30 in London
    report = pipeline.scan(context(config, sqlite_store, clock), one_shot=True)
    assert (report.alerts_sent, report.alerts_waiting) == (1, 1)  # the threat now; the complaint at 07:00


def test_crash_mid_fetch_never_skips_or_duplicates(
    tmp_path: Path, sqlite_store: Store, clock: FakeClock, flaky: None
) -> None:
    config = make_config(tmp_path, '[[accounts]]\nname = "f"\nplatform = "flaky"\naccount_id = "x"\n')
    ctx = context(config, sqlite_store, clock)
    report = pipeline.scan(ctx)
    assert report.accounts[0].error == "connection reset by peer"
    assert count(sqlite_store, ItemRow) == 2  # the first page is kept…
    with sqlite_store.transaction() as s:
        row = s.get(AccountRow, "f")
        assert row is not None and row.consecutive_failures == 1 and row.not_before is not None
        assert row.not_before > clock()
    from monitor.store import items

    with sqlite_store.transaction() as s:
        assert items.load_marks(s, "f") == {}  # …but the mark did not move
    FlakyConnector.broken = False
    clock.advance(hours=2)
    report = pipeline.scan(ctx)
    assert report.accounts[0].error is None
    assert count(sqlite_store, ItemRow) == 3  # re-fetched page absorbed by the upsert
    with sqlite_store.transaction() as s:
        assert items.load_marks(s, "f")["s"].time == T0 + timedelta(minutes=3)
        row = s.get(AccountRow, "f")
        assert row is not None and row.consecutive_failures == 0 and row.last_success_at == clock()


class AuthFailing(FlakyConnector):
    platform: ClassVar[str] = "authfail"

    def fetch(self, marks: Mapping[str, Mark], since: datetime | None) -> Iterator[Page]:
        raise AuthError("token expired (code 190)")
        yield  # pragma: no cover


class Limited(FlakyConnector):
    platform: ClassVar[str] = "limited"

    def fetch(self, marks: Mapping[str, Mark], since: datetime | None) -> Iterator[Page]:
        raise RateLimited("rate limited", reset_at=T0 + timedelta(days=10))
        yield  # pragma: no cover


class Buggy(FlakyConnector):
    platform: ClassVar[str] = "buggy"

    def fetch(self, marks: Mapping[str, Mark], since: datetime | None) -> Iterator[Page]:
        raise KeyError("data")
        yield  # pragma: no cover


def test_one_failing_account_never_stops_the_others(
    tmp_path: Path, sqlite_store: Store, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, cls in (("authfail", "AuthFailing"), ("limited", "Limited"), ("buggy", "Buggy")):
        monkeypatch.setitem(connector_base.BUILTIN, name, f"tests.test_pipeline:{cls}")
    (tmp_path / "export.jsonl").write_text(line(1, "I will hurt you") + "\n")
    body = "".join(
        f'[[accounts]]\nname = "{p}"\nplatform = "{p}"\naccount_id = "x"\n'
        for p in ("authfail", "limited", "buggy")
    )
    body += '[[accounts]]\nname = "ok"\nplatform = "replay"\naccount_id = "x"\npath = "export.jsonl"\n'
    config = make_config(tmp_path, body)
    ctx = context(config, sqlite_store, clock)
    report = pipeline.scan(ctx)
    errors = {a.account: a.error for a in report.accounts}
    assert errors["ok"] is None and report.alerts_queued == 1
    assert "code 190" in (errors["authfail"] or "") and "rate limited" in (errors["limited"] or "")
    assert "KeyError" in (errors["buggy"] or "")
    with sqlite_store.transaction() as s:
        limited = s.get(AccountRow, "limited")
        dead = s.get(AccountRow, "authfail")
        assert limited is not None and limited.not_before == T0 + timedelta(days=10)
        assert dead is not None and dead.needs_attention == "token expired (code 190)"
    # The dead token produces exactly one operator notice, however often it is polled.
    for _ in range(3):
        clock.advance(hours=7)
        pipeline.scan(ctx)
    with sqlite_store.transaction() as s:
        notices = s.scalars(select(AlertRow).where(AlertRow.kind == "operator")).all()
    assert len(notices) == 1 and notices[0].account == "authfail"


class Exploding(KeywordClassifier):
    def classify(self, inputs: Any) -> Any:
        if any("\x00" in i.text or "boom" in i.text for i in inputs):
            raise ValueError("cannot handle this text")
        return super().classify(inputs)


def test_a_poison_item_never_blocks_the_items_behind_it(
    tmp_path: Path, sqlite_store: Store, clock: FakeClock
) -> None:
    lines = [line(1, "boom"), line(2, "I will hurt you"), line(3, "nice")]
    config = replay_config(tmp_path, lines)
    ctx = pipeline.Context(config, sqlite_store, Exploding(), clock)
    report = pipeline.scan(ctx)
    assert report.items_classified == 3
    assert report.findings["threat"] == 1
    with sqlite_store.transaction() as s:
        pending = s.scalar(select(func.count()).select_from(ItemRow).where(ItemRow.classified_at.is_(None)))
        poison = s.scalars(select(FindingRow).join(ItemRow).where(ItemRow.external_id == "c1")).all()
    assert pending == 0
    assert poison and "could not read" in poison[0].reasons[0]  # shown to a person, not dropped


def test_hostile_export_runs_through(tmp_path: Path, sqlite_store: Store, clock: FakeClock) -> None:
    lines = [
        line(1, "x" * 1_000_000),
        line(2, "a\u0000b\u202e\u200b"),
        line(3, "\ud83d\ude00" * 50),
        line(4, "I will hurt you"),
    ]
    config = replay_config(tmp_path, lines)
    report = pipeline.scan(context(config, sqlite_store, clock))
    assert report.items_classified == 4 and report.findings == {"threat": 1}


def test_backoff_is_bounded_and_jittered() -> None:
    delays = [pipeline.backoff(n).total_seconds() for n in range(1, 12)]
    assert all(30 <= d <= 3600 for d in delays)
    assert max(delays) >= 1800
