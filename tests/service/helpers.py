"""Shared by the service tests: replay exports, configs, contexts and services."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from monitor import pipeline
from monitor.config import Config
from monitor.sdnotify import Notifier
from monitor.service import Service, Timings
from monitor.store import Store
from tests.conftest import FakeClock, KeywordClassifier, make_config

T0 = datetime(2026, 11, 20, tzinfo=UTC)


def record(n: int, text: str, *, handle: str = "@someone", at: datetime | None = None, **kw: Any) -> str:
    return json.dumps(
        {
            "external_id": f"c{n}",
            "platform": "facebook",
            "kind": "comment",
            "text": text,
            "created_at": (at or T0 + timedelta(minutes=n)).isoformat(),
            "author_handle": handle,
            "author_name": f"Name of {handle}",
            "permalink": f"https://facebook.example/c{n}",
            **kw,
        }
    )


def replay_config(
    tmp_path: Path, lines: list[str], *, database: str | None = None, accounts: tuple[str, ...] = ("fb",)
) -> Config:
    (tmp_path / "export.jsonl").write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    body = "".join(
        f'[[accounts]]\nname = "{name}"\nplatform = "replay"\naccount_id = "{name}"\npath = "export.jsonl"\n\n'
        for name in accounts
    )
    return make_config(tmp_path, body, database=database)


def context(config: Config, store: Store, clock: FakeClock) -> pipeline.Context:
    return pipeline.Context(config, store, KeywordClassifier(), clock)


def service(
    config: Config,
    store: Store,
    clock: FakeClock,
    *,
    notifier: Notifier | None = None,
    timings: Timings | None = None,
) -> Service:
    svc = Service(context(config, store, clock), notifier, timings or Timings())
    with store.transaction() as session:
        from monitor.store import accounts

        accounts.ensure(session, [pipeline.account_of(a) for a in config.accounts])
    return svc


def count(store: Store, table: type, *where: Any) -> int:
    with store.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(table).where(*where)) or 0)
