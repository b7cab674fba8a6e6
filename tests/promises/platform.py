"""A simulated platform for the promise suite: comments, edits, deletions and outages, in memory.

`FakeConnector` is a complete connector over it (registered as platform "fake" by the tests):
it pages newest-first through everything newer than the stored mark less an overlap, reports
edits and deletions, and raises the connector exceptions a real platform causes. Strings are
passed through exactly as the "users" typed them, hostile or not: cleaning them is the
product's job, not the fake's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

import requests

from monitor.errors import AuthError, TransientError
from monitor.types import Account, Item, ItemKind, Mark, Page

STREAM = "comments"
OVERLAP = timedelta(minutes=10)
PAGE = 5


@dataclass
class Comment:
    id: str
    author: str  # the handle as the platform sends it (may be hostile)
    name: str | None
    permalink: str | None
    text: str
    created_at: datetime
    updated_at: datetime | None = None
    deleted_at: datetime | None = None
    own: bool = False


@dataclass
class Platform:
    """One account's comments, and how the platform behaves right now."""

    comments: dict[str, Comment] = field(default_factory=dict)
    outage: str | None = None  # None, "transient" or "auth"
    delivered: set[str] = field(default_factory=set)  # ids the connector has returned at least once
    requests: int = 0


PLATFORMS: dict[str, Platform] = {}  # by account_id: how the tests hand a platform to the connector


@dataclass(frozen=True)
class FakeSettings:
    pass


class FakeConnector:
    platform: ClassVar[str] = "fake"
    Settings: ClassVar[type[FakeSettings]] = FakeSettings

    def __init__(self, account: Account, settings: FakeSettings, session: requests.Session) -> None:
        self.account = account
        self.site = PLATFORMS[account.account_id]

    def fetch(self, marks: Mapping[str, Mark], since: datetime | None) -> Iterator[Page]:
        self.site.requests += 1
        if self.site.outage == "auth":
            raise AuthError("fake: the access token has expired (error 190)")
        if self.site.outage == "transient":
            raise TransientError("fake: 503 Service Unavailable")
        mark = marks.get(STREAM)
        floor = since if since is not None else (mark.time - OVERLAP if mark and mark.time else None)

        def changed(c: Comment) -> datetime:
            return max(d for d in (c.created_at, c.updated_at, c.deleted_at) if d is not None)

        fresh = sorted(
            (c for c in self.site.comments.values() if floor is None or changed(c) > floor),
            key=changed,
            reverse=True,
        )
        newest = max((changed(c) for c in fresh), default=None)
        for start in range(0, max(len(fresh), 1), PAGE):
            chunk = fresh[start : start + PAGE]
            last = start + PAGE >= len(fresh)
            items = tuple(self._item(c) for c in chunk if c.deleted_at is None)
            deleted = tuple(c.id for c in chunk if c.deleted_at is not None)
            self.site.delivered.update(c.id for c in chunk if c.deleted_at is None)
            marks_out = {STREAM: Mark(time=newest)} if last and newest is not None else {}
            yield Page(items=items, marks=marks_out, deleted=deleted, requests=1)

    def _item(self, c: Comment) -> Item:
        raw: dict[str, Any] = {"id": c.id, "from": {"name": c.name, "id": c.author}, "message": c.text}
        return Item(
            platform="fake",
            external_id=c.id,
            account=self.account.name,
            kind=ItemKind.OWN_POST if c.own else ItemKind.COMMENT,
            text=c.text,
            created_at=c.created_at,
            post_id="post-1",
            author_id=c.author,
            author_handle=c.author,
            author_name=c.name,
            author_is_org=c.own,
            permalink=c.permalink,
            updated_at=c.updated_at,
            raw=raw,
        )

    def check(self) -> list[str]:
        return []

    def hide(self, external_id: str) -> None:
        raise TransientError("fake: hiding is not simulated")
