"""The replay connector: the reference implementation (JSONL and CSV exports)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from connectors.replay import ReplayConnector, ReplaySettings
from monitor.errors import PermanentError
from monitor.types import Account, ItemKind, Mark, Page
from tests.conftest import DATA

ACCOUNT = Account("export", "replay", "x")


def fetch(
    path: Path, marks: dict[str, Mark] | None = None, since: datetime | None = None, **kw: object
) -> list[Page]:
    connector = ReplayConnector(ACCOUNT, ReplaySettings(path=str(path), **kw), requests.Session())  # type: ignore[arg-type]
    return list(connector.fetch(marks or {}, since))


def test_jsonl_items_and_final_mark() -> None:
    pages = fetch(DATA / "replay" / "good.jsonl")
    found = [i for p in pages for i in p.items]
    assert len(found) == 6
    assert found[1].author_name == "Zoë Ó Briain-Łukasik"
    assert found[2].kind is ItemKind.REPLY and found[2].parent_id == found[1].external_id
    assert all(i.account == "export" and i.created_at.tzinfo is not None for i in found)
    assert pages[-1].marks["items"].time == max(i.created_at for i in found)
    assert all(not p.marks for p in pages[:-1])


def test_malformed_lines_are_reported_with_numbers_and_skipped() -> None:
    pages = fetch(DATA / "replay" / "mixed.jsonl")
    warnings = [w for p in pages for w in p.warnings]
    assert [w.split(":")[0] for w in warnings] == [f"mixed.jsonl line {n}" for n in (3, 5, 6, 7)]
    assert "not valid JSON at column" in warnings[0] and "'text'" in warnings[1]
    assert all(w.endswith("(line skipped)") and "skipped" not in w[:-14] for w in warnings)
    assert "yesterday" in warnings[2] and "empty line" in warnings[3]
    assert len([i for p in pages for i in p.items]) == 4


def test_csv_export_with_quotes_commas_and_newlines() -> None:
    found = [i for p in fetch(DATA / "replay" / "export.csv") for i in p.items]
    assert len(found) == 5
    assert found[1].text == 'Booked for 6, but "Quizteama Aguilera" needs a seventh,\nanyone free?'
    assert found[2].parent_id == found[1].external_id
    assert any(i.author_is_org for i in found) and not all(i.author_is_org for i in found)


def test_second_poll_returns_nothing_new() -> None:
    path = DATA / "replay" / "good.jsonl"
    mark = fetch(path)[-1].marks
    again = fetch(path, dict(mark))
    assert [i for p in again for i in p.items] == []
    assert again[-1].marks["items"] == mark["items"]


def test_since_filters_and_pages_are_bounded(tmp_path: Path) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    lines = [
        f'{{"external_id": "{n}", "text": "t{n}", "created_at": "{(start + timedelta(hours=n)).isoformat()}"}}'
        for n in range(25)
    ]
    path = tmp_path / "x.jsonl"
    path.write_text("\n".join(lines) + "\n")
    pages = fetch(path, since=start + timedelta(hours=9, minutes=30), page_size=4)
    assert [len(p.items) for p in pages] == [4, 4, 4, 3]
    assert pages[0].items[0].external_id == "10"


def test_shift_to_now_moves_the_newest_item_to_an_hour_ago() -> None:
    found = [i for p in fetch(DATA / "replay" / "good.jsonl", shift_to_now=True) for i in p.items]
    newest = max(i.created_at for i in found)
    assert timedelta(minutes=59) < datetime.now(UTC) - newest < timedelta(hours=2, minutes=1)


def test_hostile_lines_are_read_not_rejected() -> None:
    found = [i for p in fetch(DATA / "replay" / "hostile.jsonl") for i in p.items]
    assert len(found) == 5


def test_missing_file_is_a_permanent_error(tmp_path: Path) -> None:
    with pytest.raises(PermanentError, match="cannot read export"):
        fetch(tmp_path / "absent.jsonl")
    connector = ReplayConnector(
        ACCOUNT, ReplaySettings(path=str(tmp_path / "absent.jsonl")), requests.Session()
    )
    assert connector.check() == [f"export file {tmp_path / 'absent.jsonl'} does not exist"]
