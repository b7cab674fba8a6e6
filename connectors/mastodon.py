"""Mastodon: mentions of the account (replies to it are mentions too) and its own statuses,
via Mastodon.py.

Streams (mark: id and time of the newest entry seen):

    mentions   GET /api/v1/notifications?types[]=mention&min_id=<mark>&limit=40
    own        GET /api/v1/accounts/<id>/statuses?exclude_reblogs=true&min_id=<mark>&limit=40
               The account's own statuses and replies, stored as own_post (author_is_org), so
               a member of staff oversharing about a client is checked as on every platform.

Both are paged forward with `min_id` until a short page; the first poll pages back from the
newest with `max_id` until the first-poll window. Ids only grow on a server, so no overlap is
needed. Direct messages (visibility "direct"), the account's own included, are stored as private.
Scopes: `read:notifications` and `read:statuses` (a token without the second is told so).
An `account_id` given as a handle is resolved once per process (`/api/v1/accounts/lookup`).

Mastodon.py is created with ratelimit_method="throw" (its default sleeps) and our own timeout.
Edits and deletions are not reported: notifications are not re-sent for either, and reading
statuses again to find them would cost requests every poll.
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

MENTIONS, OWN = "mentions", "own"
SCOPES = {MENTIONS: "read:notifications", OWN: "read:statuses"}
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
    access_token: Secret  # scopes read:notifications and read:statuses (write:… is not needed)
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
        self._own_id: str | None = account.account_id if account.account_id.isdigit() else None
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

    def _call(self, name: str, scope: str, **kwargs: Any) -> Any:
        self.requests += 1
        self._last = None  # a timeout has no answer: never report the previous call's status
        try:
            return getattr(self.api, name)(**kwargs)
        except MastodonError as exc:
            raise self._error(exc, scope) from None

    def _said(self) -> str | None:
        """The `error` of the last answer's JSON body (Mastodon.py loses it on typed endpoints)."""
        try:
            body = self._last.json() if self._last is not None else None
        except ValueError:
            return None
        return str(body["error"]) if isinstance(body, dict) and body.get("error") else None

    def _error(self, exc: MastodonError, scope: str) -> ConnectorError:
        now = self.clock()
        status = self._last.status_code if self._last is not None else None
        said = exc.args[-1] if exc.args else None
        detail = str(said or self._said() or exc.__class__.__name__)[:200]
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
            return AuthError(f"mastodon: the token lacks the scope {scope} ({detail})")
        if isinstance(exc, MastodonNotFoundError):
            return PermanentError(f"mastodon: not found ({detail})")
        return PermanentError(f"mastodon: {exc.__class__.__name__} ({detail})")

    def fetch(self, marks: Mapping[str, Mark], since: datetime | None) -> Iterator[Page]:
        for stream in (MENTIONS, OWN):
            mark = marks.get(stream) or Mark()
            if mark.id and since is None:
                yield from self._forward(stream, mark)
            else:
                floor = since or self.clock() - timedelta(days=self.settings.first_poll_days)
                yield from self._backward(stream, mark, floor)

    def _list(self, stream: str, *, limit: int | None = None, **paging: Any) -> list[Mapping[str, Any]]:
        """One page of a stream, newest first: notifications, or the account's statuses."""
        limit = limit or self.settings.page_size
        if stream == MENTIONS:
            batch = self._call("notifications", SCOPES[stream], types=["mention"], limit=limit, **paging)
        else:
            own = self._account_id()
            batch = self._call(
                "account_statuses", SCOPES[stream], id=own, exclude_reblogs=True, limit=limit, **paging
            )
        return [entry for entry in batch or [] if isinstance(entry, Mapping) and entry.get("id") is not None]

    def _account_id(self) -> str:
        """The account's id on its server; a handle in `account_id` is looked up once."""
        if self._own_id is None:
            found = self._call("account_lookup", SCOPES[OWN], acct=self.account.account_id.lstrip("@"))
            self._own_id = str(found["id"])
        return self._own_id

    def _entry(self, stream: str, entry: Mapping[str, Any]) -> Item | None:
        if stream == MENTIONS:
            status = entry.get("status")
            return (
                self._item(status, notification_id=str(entry["id"])) if isinstance(status, Mapping) else None
            )
        if entry.get("reblog"):  # someone else's status, boosted
            return None
        return self._item(entry, own=True)

    def _forward(self, stream: str, mark: Mark) -> Iterator[Page]:
        current = mark.id
        for _ in range(MAX_PAGES):
            batch = self._list(stream, min_id=current)
            items = [i for i in (self._entry(stream, e) for e in batch) if i]
            ids = [str(e["id"]) for e in batch]
            newest = max(ids, key=_id_key) if ids else None
            times = [i.created_at for i in items]
            marks = {stream: Mark(time=max(times), id=newest)} if newest and times else {}
            made, self.requests = self.requests, 0
            yield Page(items=tuple(items), marks=marks, requests=made)
            if not ids or len(ids) < self.settings.page_size:
                return
            current = newest

    def _backward(self, stream: str, mark: Mark, floor: datetime) -> Iterator[Page]:
        max_id: str | None = None
        newest_id, newest_time = mark.id, mark.time
        for number in range(MAX_PAGES):
            batch = self._list(stream, max_id=max_id)
            entries = [(str(e["id"]), self._entry(stream, e)) for e in batch]
            items = [i for _, i in entries if i and i.created_at > floor]
            for entry_id, item in entries:
                if newest_id is None or _id_key(entry_id) > _id_key(newest_id):
                    newest_id = entry_id
                    newest_time = item.created_at if item else newest_time
            ids = [entry_id for entry_id, _ in entries]
            stop = not ids or len(items) < len(ids) or len(ids) < self.settings.page_size
            last = stop or number == MAX_PAGES - 1
            made, self.requests = self.requests, 0
            marks = {stream: Mark(time=newest_time, id=newest_id)} if last and newest_id else {}
            yield Page(items=tuple(items), marks=marks, requests=made)
            if last:
                return
            max_id = min(ids, key=_id_key)

    def _item(
        self, status: Mapping[str, Any], *, notification_id: str | None = None, own: bool = False
    ) -> Item | None:
        """A status as an item: from a mention notification, or from the account's own statuses."""
        if status.get("id") is None:
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
        is_org = (
            own
            or author_id in (self.account.account_id, self._own_id)
            or author.get("acct") == self.account.account_id.lstrip("@")
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
            raw={
                **({"notification_id": notification_id} if notification_id else {}),
                "visibility": status.get("visibility"),
            },
        )

    def check(self) -> list[str]:
        """One call per stream: the token must have both scopes (read:notifications, read:statuses)."""
        problems = []
        for stream in (MENTIONS, OWN):
            try:
                self._list(stream, limit=1)
            except ConnectorError as exc:
                problems.append(str(exc))
        return problems

    def hide(self, external_id: str) -> None:
        raise PermanentError(
            "mastodon does not let an account hide a reply; mute or block the author, or report the "
            "post to your server's moderators"
        )
