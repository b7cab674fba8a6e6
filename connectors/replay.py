"""Replay: read comment exports (JSONL or CSV) as if they came from a platform.

Serves the demo, back-fills from a platform's data export, and tests. It is the
reference implementation of the connector interface.

JSONL: one object per line in the Item shape (see `COLUMNS`); CSV: a header row with
the same column names. Required: `external_id`, `text`, `created_at` (ISO 8601).
A malformed line is reported with its line number and skipped; the rest is read.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal

import requests

from connectors.base import unsupported_hide
from monitor.errors import InputError, PermanentError
from monitor.types import Account, Item, ItemKind, Mark, Page

COLUMNS = (
    "external_id",
    "platform",
    "account",
    "kind",
    "text",
    "created_at",
    "post_id",
    "parent_id",
    "author_id",
    "author_handle",
    "author_name",
    "author_is_org",
    "permalink",
)
STREAM = "items"


@dataclass(frozen=True)
class ReplaySettings:
    path: str  # the export file; relative paths are relative to the config file
    format: Literal["auto", "jsonl", "csv"] = "auto"
    source_account: str | None = None  # only lines whose `account` is this (default: all)
    shift_to_now: bool = False  # move timestamps so the newest line is an hour ago (the demo)
    page_size: int = 500


def parse_time(value: Any) -> datetime:
    if not isinstance(value, str) or not value:
        raise InputError("created_at must be an ISO 8601 date-time")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"created_at {value[:40]!r} is not an ISO 8601 date-time") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _opt(record: Mapping[str, Any], key: str) -> str | None:
    value = record.get(key)
    if value is None or value == "":
        return None
    return str(value)


def item_from_record(record: Any, account: Account, *, shift: timedelta = timedelta()) -> Item:
    """Build an Item from one export record; raise InputError saying what is wrong."""
    if not isinstance(record, dict):
        raise InputError("expected a JSON object")
    for key in ("external_id", "text", "created_at"):
        if record.get(key) in (None, ""):
            raise InputError(f"missing {key!r}")
    if not isinstance(record["text"], str):
        raise InputError("'text' must be a string")
    kind_value = record.get("kind") or "comment"
    try:
        kind = ItemKind(kind_value)
    except ValueError:
        allowed = ", ".join(k.value for k in ItemKind)
        raise InputError(f"kind {str(kind_value)[:30]!r} is not one of {allowed}") from None
    is_org = record.get("author_is_org", False)
    if isinstance(is_org, str):
        is_org = is_org.strip().lower() in ("true", "1", "yes")
    return Item(
        platform=_opt(record, "platform") or account.platform,
        external_id=str(record["external_id"]),
        account=account.name,
        kind=kind,
        text=record["text"],
        created_at=parse_time(record["created_at"]) + shift,
        post_id=_opt(record, "post_id"),
        parent_id=_opt(record, "parent_id"),
        author_id=_opt(record, "author_id"),
        author_handle=_opt(record, "author_handle"),
        author_name=_opt(record, "author_name"),
        author_is_org=bool(is_org),
        permalink=_opt(record, "permalink"),
        raw=record,
    )


class ReplayConnector:
    platform: ClassVar[str] = "replay"
    Settings: ClassVar[type[ReplaySettings]] = ReplaySettings

    def __init__(self, account: Account, settings: ReplaySettings, session: requests.Session) -> None:
        self.account = account
        self.settings = settings
        self.path = Path(settings.path)

    def _format(self) -> str:
        if self.settings.format != "auto":
            return self.settings.format
        return "csv" if self.path.suffix.lower() == ".csv" else "jsonl"

    def _records(self) -> Iterator[tuple[int, Any]]:
        """(line number, record or InputError) for every line, streamed."""
        try:
            handle = self.path.open(encoding="utf-8", errors="replace", newline="")
        except OSError as exc:
            raise PermanentError(f"cannot read export {self.path}: {exc.strerror}") from None
        with handle:
            if self._format() == "csv":
                reader = csv.DictReader(handle)
                for row in reader:
                    yield reader.line_num, row
                return
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    yield number, InputError("empty line")
                    continue
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as exc:
                    reason = exc.msg.removesuffix(" at")  # "Invalid control character at": the column follows
                    yield number, InputError(f"not valid JSON at column {exc.colno}: {reason}")

    def _wanted(self, record: Any) -> bool:
        source = self.settings.source_account
        return source is None or (isinstance(record, dict) and record.get("account") == source)

    def _shift(self) -> timedelta:
        if not self.settings.shift_to_now:
            return timedelta()
        newest: datetime | None = None
        for _, record in self._records():
            if isinstance(record, dict) and self._wanted(record):
                try:
                    t = parse_time(record.get("created_at"))
                except InputError:
                    continue
                newest = t if newest is None or t > newest else newest
        if newest is None:
            return timedelta()
        target = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
        return target - newest

    def fetch(self, marks: Mapping[str, Mark], since: datetime | None) -> Iterator[Page]:
        mark = marks.get(STREAM)
        floor = since if since is not None else (mark.time if mark else None)
        shift = self._shift()
        newest = mark.time if mark else None
        batch: list[Item] = []
        warnings: list[str] = []
        for number, record in self._records():
            if isinstance(record, InputError):
                warnings.append(f"{self.path.name} line {number}: {record} (line skipped)")
                continue
            if not self._wanted(record):
                continue
            try:
                item = item_from_record(record, self.account, shift=shift)
            except InputError as exc:
                warnings.append(f"{self.path.name} line {number}: {exc} (line skipped)")
                continue
            if floor is not None and item.created_at <= floor:
                continue
            batch.append(item)
            newest = item.created_at if newest is None or item.created_at > newest else newest
            if len(batch) >= self.settings.page_size:
                yield Page(items=tuple(batch), requests=0, warnings=tuple(warnings))
                batch, warnings = [], []
        final = {STREAM: Mark(time=newest)} if newest is not None else {}
        yield Page(items=tuple(batch), marks=final, requests=0, warnings=tuple(warnings))

    def check(self) -> list[str]:
        return [] if self.path.is_file() else [f"export file {self.path} does not exist"]

    def hide(self, external_id: str) -> None:
        raise unsupported_hide("replay")
