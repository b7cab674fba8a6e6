"""Mastodon: mention notifications (replies to the account are mentions too), via Mastodon.py.

Stream `mentions` (mark: id and time of the newest notification seen):

    GET /api/v1/notifications?types[]=mention&min_id=<mark>&limit=40
    Paged forward with `min_id` until a short page; the first poll pages back from the newest
    with `max_id` until the first-poll window. Notification ids only grow on a server, so no
    overlap is needed. Direct messages (visibility "direct") are stored as private.

Mastodon.py is created with ratelimit_method="throw" (its default sleeps) and our own timeout.
Edits and deletions are not reported: notifications are not re-sent for either.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import requests
from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError,
    MastodonError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

from connectors import http
from monitor.config import Secret
from monitor.errors import AuthError, ConnectorError, PermanentError, RateLimited, TransientError
from monitor.types import Account, Item, ItemKind, Mark, Page

MENTIONS = "mentions"
MAX_PAGES = 50
_BREAK = re.compile(r"(?i)<br\s*/?>|</p>\s*<p>")
_TAG = re.compile(r"<[^>]+>")


def text_of(content: str) -> str:
    """Mastodon's HTML status content as plain text."""
    return html.unescape(_TAG.sub("", _BREAK.sub("\n", content or ""))).strip()


def _id_key(value: str) -> tuple[int, str]:
    return (len(value), value)  # snowflake ids: longer is newer, then lexical


@dataclass(frozen=True)
class MastodonSettings:
    access_token: Secret  # scope read:notifications (write:… is not needed)
    base_url: str = "https://mastodon.social"  # the account's own server
    first_poll_days: int = 7
    page_size: int = 40
    timeout_seconds: float = 30.0


class MastodonConnector:
    platform: ClassVar[str] = "mastodon"
    Settings: ClassVar[type[MastodonSettings]] = MastodonSettings

    def __init__(self, account: Account, settings: MastodonSettings, session: requests.Session) -> None:
        self.account = account
        self.settings = settings
        self.clock: http.Clock = http.utcnow
        self.requests = 0
        self._last: requests.Response | None = None
        http.protect(settings.access_token.reveal())
        session.hooks.setdefault("response", []).append(self._seen)
        self.api = Mastodon(
            access_token=settings.access_token.reveal(),
            api_base_url=settings.base_url.rstrip("/"),
            ratelimit_method="throw",
            request_timeout=settings.timeout_seconds,
            session=session,
            version_check_mode="none",
        )

    def _seen(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._last = response

    def _call(self, name: str, **kwargs: Any) -> Any:
        self.requests += 1
        self._last = None  # a timeout has no answer: never report the previous call's status
        try:
            return getattr(self.api, name)(**kwargs)
        except MastodonError as exc:
            raise self._error(exc) from None

    def _error(self, exc: MastodonError) -> ConnectorError:
        now = self.clock()
        status = self._last.status_code if self._last is not None else None
        detail = str(exc.args[-1])[:200] if exc.args else exc.__class__.__name__
        if isinstance(exc, MastodonRatelimitError) or status == 429:
            headers = self._last.headers if self._last is not None else {}
            reset = http.reset_from_headers(headers, now) or now + http.DEFAULT_WAIT
            return RateLimited("mastodon: rate limited", reset_at=reset)
        if isinstance(exc, MastodonUnauthorizedError):
            return AuthError(f"mastodon: the access token was rejected ({detail})")
        if isinstance(exc, MastodonNetworkError) or status is None:
            timed_out = "timeout" in str(exc).lower() or "timed out" in str(exc).lower()
            why = f"no answer within {self.settings.timeout_seconds:g} s" if timed_out else "cannot connect"
            return TransientError(f"mastodon: {self.settings.base_url}: {why}")
        if isinstance(exc, MastodonServerError):
            return TransientError(f"mastodon: server error (HTTP {status})")
        if isinstance(exc, MastodonAPIError) and "parse response as JSON" in str(exc):
            return TransientError("mastodon: the server answered with a body that is not JSON")
        if isinstance(exc, MastodonAPIError) and status == 403:
            return AuthError(f"mastodon: the token lacks a scope (read:notifications) ({detail})")
        if isinstance(exc, MastodonNotFoundError):
            return PermanentError(f"mastodon: not found ({detail})")
        return PermanentError(f"mastodon: {exc.__class__.__name__} ({detail})")

    def fetch(self, marks: Mapping[str, Mark], since: datetime | None) -> Iterator[Page]:
        mark = marks.get(MENTIONS) or Mark()
        if mark.id and since is None:
            yield from self._forward(mark)
        else:
            yield from self._backward(
                mark, since or self.clock() - timedelta(days=self.settings.first_poll_days)
            )

    def _forward(self, mark: Mark) -> Iterator[Page]:
        current = mark.id
        for _ in range(MAX_PAGES):
            batch = self._call(
                "notifications", types=["mention"], min_id=current, limit=self.settings.page_size
            )
            items = [i for i in (self._item(n) for n in batch or []) if i]
            ids = [str(n["id"]) for n in batch or [] if n.get("id") is not None]
            newest = max(ids, key=_id_key) if ids else None
            times = [i.created_at for i in items]
            marks = {MENTIONS: Mark(time=max(times), id=newest)} if newest and times else {}
            made, self.requests = self.requests, 0
            yield Page(items=tuple(items), marks=marks, requests=made)
            if not ids or len(ids) < self.settings.page_size:
                return
            current = newest

    def _backward(self, mark: Mark, floor: datetime) -> Iterator[Page]:
        max_id: str | None = None
        newest_id, newest_time = mark.id, mark.time
        for number in range(MAX_PAGES):
            batch = self._call(
                "notifications", types=["mention"], max_id=max_id, limit=self.settings.page_size
            )
            items = [i for i in (self._item(n) for n in batch or []) if i and i.created_at > floor]
            ids = [str(n["id"]) for n in batch or [] if n.get("id") is not None]
            for n in batch or []:
                nid = str(n.get("id"))
                if newest_id is None or _id_key(nid) > _id_key(newest_id):
                    newest_id = nid
                    item = self._item(n)
                    newest_time = item.created_at if item else newest_time
            stop = not ids or len(items) < len(ids) or len(ids) < self.settings.page_size
            last = stop or number == MAX_PAGES - 1
            made, self.requests = self.requests, 0
            marks = {MENTIONS: Mark(time=newest_time, id=newest_id)} if last and newest_id else {}
            yield Page(items=tuple(items), marks=marks, requests=made)
            if last:
                return
            max_id = min(ids, key=_id_key)

    def _item(self, notification: Mapping[str, Any]) -> Item | None:
        status = notification.get("status")
        if not isinstance(status, Mapping) or status.get("id") is None:
            return None
        created = status.get("created_at")
        if isinstance(created, str):
            created = http.parse_time(created)
        if not isinstance(created, datetime):
            return None
        created = created.astimezone(UTC) if created.tzinfo else created.replace(tzinfo=UTC)
        author = status.get("account") or {}
        edited = status.get("edited_at")
        edited = http.parse_time(edited) if isinstance(edited, str) else edited
        author_id = str(author.get("id")) if author.get("id") is not None else None
        is_org = author_id == self.account.account_id or author.get("acct") == self.account.account_id.lstrip(
            "@"
        )
        reply = status.get("in_reply_to_id") is not None
        kind = ItemKind.OWN_POST if is_org else ItemKind.REPLY if reply else ItemKind.MENTION
        return Item(
            platform=self.platform,
            external_id=str(status["id"]),
            account=self.account.name,
            kind=kind,
            text=text_of(str(status.get("content") or "")),
            created_at=created,
            post_id=None,
            parent_id=str(status["in_reply_to_id"]) if reply else None,
            author_id=author_id,
            author_handle=str(author.get("acct")) if author.get("acct") else None,
            author_name=str(author.get("display_name")) if author.get("display_name") else None,
            author_is_org=is_org,
            permalink=str(status.get("url") or status.get("uri") or "") or None,
            updated_at=edited if isinstance(edited, datetime) else None,
            private=status.get("visibility") == "direct",
            raw={"notification_id": str(notification.get("id")), "visibility": status.get("visibility")},
        )

    def check(self) -> list[str]:
        try:
            self._call("notifications", types=["mention"], limit=1)
        except ConnectorError as exc:
            return [str(exc)]
        return []

    def hide(self, external_id: str) -> None:
        raise PermanentError(
            "mastodon does not let an account hide a reply; mute or block the author, or report the "
            "post to your server's moderators"
        )
