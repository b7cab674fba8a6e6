"""X (Twitter) API v2 through tweepy's Client: mentions, the account's own posts, and the
replies in conversations the account started.

X charges per post read, so every post is read once: each stream keeps `meta.newest_id` as its
`since_id` (the mark's id) and the first poll is bounded by `start_time`. `Page.reads` counts
the posts returned, which `monitor status` turns into a month's cost estimate.

    mentions   GET /2/users/{id}/mentions?since_id=…   (replies to the account mention it)
    own        GET /2/users/{id}/tweets?since_id=…     (own posts and replies: own_post)
    replies    GET /2/tweets/search/recent?query=(conversation_id:A OR conversation_id:B …)
                   -from:{id} -@{handle}&since_id=…    (replies deeper in the account's threads)

The replies stream asks recent search for every conversation the account started in the last
`reply_days` (its root posts, kept in the own stream's mark, at most `MAX_ROOTS`), OR-ed into as
few queries as fit X's 512-character limit. `-from:` leaves out the account's own replies (the
own stream reads them) and `-@handle` the posts that mention it (the mentions stream reads
them), so nothing is paid for twice. Recent search only reaches back 7 days and refuses a
`since_id` older than that, so a mark that old (a quiet week) falls back to `start_time`.

tweepy is created with wait_on_rate_limit=False (it would sleep) and its host is hard-coded,
so a requests adapter mounted on its session sends every call to `base_url` with a timeout.
An edited post comes back under a new id whose `edit_history_tweet_ids[0]` is the original:
we store it under the original id, so the text is updated. Deletions are not detected (that
would mean paying to re-read old posts).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import requests
import tweepy
from requests.adapters import HTTPAdapter

from connectors import http
from connectors.base import DEFAULT_TIMEOUT
from monitor.config import Secret
from monitor.errors import (
    AuthError,
    ConfigError,
    ConnectorError,
    PermanentError,
    RateLimited,
    TransientError,
)
from monitor.types import Account, Item, ItemKind, Mark, Page, Read, ReadRoute

X_HOST = "https://api.twitter.com"
MAX_PAGES = 20
TWEET_FIELDS = [
    "author_id",
    "conversation_id",
    "created_at",
    "in_reply_to_user_id",
    "referenced_tweets",
    "edit_history_tweet_ids",
]
QUERY_LIMIT = 512  # characters in a recent-search query (pay-per-use and self-serve access)
SEARCH_WINDOW = timedelta(days=7)  # recent search: posts, and a since_id, from the last 7 days
SEARCH_MARGIN = timedelta(minutes=10)  # stay clear of the window's edge (clock skew)
MAX_ROOTS = 100  # conversations watched for replies: at most 9 search requests an idle poll
SNOWFLAKE_EPOCH_MS = 1288834974657
_HANDLE = re.compile(r"[A-Za-z0-9_]{1,15}")
Extra = Callable[[Sequence[Item]], Mapping[str, str]]


class RebaseAdapter(HTTPAdapter):
    """Sends tweepy's hard-coded host to our base URL, with a timeout on every request."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if request.url and request.url.startswith(X_HOST):
            request.url = self.base_url + request.url[len(X_HOST) :]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = DEFAULT_TIMEOUT
        return super().send(request, **kwargs)


@dataclass(frozen=True)
class XSettings:
    bearer_token: Secret | None = None  # app-only: enough to read
    consumer_key: Secret | None = None  # user context (all four): needed to hide replies
    consumer_secret: Secret | None = None
    access_token: Secret | None = None
    access_token_secret: Secret | None = None
    handle: str = ""  # the account's @username: keeps mentions out of the replies search
    base_url: str = X_HOST
    first_poll_days: int = 2
    reply_days: int = 7  # watch replies in conversations the account started this recently
    page_size: int = 100
    owns_app: bool = True  # the account owns the developer app: its mentions are owned reads ($0.001)

    def __post_init__(self) -> None:  # checked once, when the configuration is loaded
        handle = self.handle.strip().removeprefix("@")
        if handle and not _HANDLE.fullmatch(handle):
            raise ConfigError(
                f"{self.handle!r} is not an X username (1-15 letters, digits or _)", key="handle"
            )
        object.__setattr__(self, "handle", handle)


def snowflake_time(tweet_id: str | None) -> datetime | None:
    """When a post id was made (X ids carry their creation time in milliseconds)."""
    if not tweet_id or not tweet_id.isdigit():
        return None
    return datetime.fromtimestamp(((int(tweet_id) >> 22) + SNOWFLAKE_EPOCH_MS) / 1000, UTC)


def conversation_queries(roots: Iterable[str], suffix: str, limit: int = QUERY_LIMIT) -> list[str]:
    """The root ids OR-ed into as few search queries as fit `limit` characters, each + `suffix`."""

    def query(batch: list[str]) -> str:
        terms = " OR ".join(f"conversation_id:{r}" for r in batch)
        return (f"({terms})" if len(batch) > 1 else terms) + suffix

    queries: list[str] = []
    batch: list[str] = []
    for root in roots:
        if batch and len(query([*batch, root])) > limit:
            queries.append(query(batch))
            batch = []
        batch.append(root)
    if batch:
        queries.append(query(batch))
    return queries


@dataclass(frozen=True)
class _Read:
    """One response: its items, `meta.newest_id`, requests made and posts paid for."""

    items: tuple[Item, ...]
    newest_id: str | None
    requests: int
    reads: tuple[Read, ...]


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _floor(mark: Mark) -> datetime | None:
    """The oldest time a stream has read from (kept in its mark): everything since is held."""
    return http.parse_time(mark.extra.get("floor")) or mark.time


def _window(
    mark: Mark, since: datetime | None, first_poll: datetime
) -> tuple[dict[str, str], dict[str, str] | None, datetime]:
    """What one stream asks for: the new posts, a window older than anything read (only when a
    person's `since` reaches before the stream's floor), and the stream's floor afterwards.

    Posts between the floor and the mark are held already, so `monitor scan --since 30d` pays
    only for the posts before the floor, never again for those it read."""
    if not mark.id:
        start = since or first_poll
        held = _floor(mark)
        return {"start_time": _iso(start)}, None, min(start, held) if held else start
    floor = _floor(mark) or snowflake_time(mark.id) or first_poll
    if since is None or since >= floor:
        return {"since_id": mark.id}, None, floor
    return {"since_id": mark.id}, {"start_time": _iso(since), "end_time": _iso(floor)}, since


def _order(tweet_id: str | None) -> int:
    return int(tweet_id) if tweet_id and tweet_id.isdigit() else -1


def _starts_conversation(item: Item) -> bool:
    """The account's own post that is not a reply or a repost: people reply under it."""
    kinds = {r.get("type") for r in item.raw.get("referenced_tweets") or [] if isinstance(r, dict)}
    return item.author_is_org and item.post_id == item.external_id and not kinds & {"replied_to", "retweeted"}


class XConnector:
    platform: ClassVar[str] = "x"
    Settings: ClassVar[type[XSettings]] = XSettings

    def __init__(self, account: Account, settings: XSettings, session: requests.Session) -> None:
        self.account = account
        self.settings = settings
        self.user_id = account.account_id
        self.handle = settings.handle
        self.clock: http.Clock = http.utcnow
        self.requests = 0
        user = [
            settings.consumer_key,
            settings.consumer_secret,
            settings.access_token,
            settings.access_token_secret,
        ]
        self.user_auth = settings.bearer_token is None and all(user)
        http.protect(*(s.reveal() for s in (settings.bearer_token, *user) if s is not None))
        self.client = tweepy.Client(
            bearer_token=self._reveal(settings.bearer_token),
            consumer_key=self._reveal(settings.consumer_key),
            consumer_secret=self._reveal(settings.consumer_secret),
            access_token=self._reveal(settings.access_token),
            access_token_secret=self._reveal(settings.access_token_secret),
            return_type=dict,
            wait_on_rate_limit=False,
        )
        session.mount(X_HOST, RebaseAdapter(settings.base_url))
        self.client.session = session

    @staticmethod
    def _reveal(secret: Secret | None) -> str | None:
        return secret.reveal() if secret is not None else None

    def _call(self, name: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self.requests += 1
        now = self.clock()
        try:
            result = getattr(self.client, name)(*args, **kwargs)
        except tweepy.TooManyRequests as exc:
            reset = datetime.fromtimestamp(exc.reset_time, UTC) if exc.reset_time else now + http.DEFAULT_WAIT
            raise RateLimited("x: rate limited", reset_at=reset) from None
        except tweepy.Unauthorized:
            raise AuthError("x: HTTP 401: the token was rejected (expired, revoked or wrong)") from None
        except tweepy.Forbidden as exc:
            said = "; ".join(exc.api_messages)[:200]
            raise AuthError(f"x: HTTP 403: the app or token lacks access ({said})") from None
        except tweepy.TwitterServerError as exc:
            raise TransientError(f"x: HTTP {exc.response.status_code}") from None
        except tweepy.HTTPException as exc:
            raise PermanentError(
                f"x: HTTP {exc.response.status_code}: {'; '.join(exc.api_messages)[:200]}"
            ) from None
        except TypeError as exc:  # tweepy's way of saying a credential is missing
            raise AuthError(f"x: {exc}") from None
        except requests.exceptions.RequestException as exc:
            if isinstance(exc, requests.exceptions.Timeout):
                raise TransientError(f"x: request timed out ({exc.__class__.__name__})") from None
            if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
                raise PermanentError(f"x: bad API address ({exc.__class__.__name__})") from None
            raise TransientError(f"x: request failed ({exc.__class__.__name__})") from None
        except ValueError:
            raise TransientError("x: the API answered with a body that is not JSON") from None
        if not isinstance(result, dict):
            raise TransientError("x: expected a JSON object")
        return result

    def fetch(self, marks: Mapping[str, Mark], since: datetime | None) -> Iterator[Page]:
        now = self.clock()
        yield from self._stream("mentions", "get_users_mentions", marks.get("mentions") or Mark(), since, now)
        own = marks.get("own") or Mark()
        keep = timedelta(days=self.settings.reply_days)
        roots = {r: at for r, at in http.load_recent(own.extra).get("roots", {}).items() if r.isdigit()}

        def keep_roots(items: Sequence[Item]) -> Mapping[str, str]:
            roots.update((i.external_id, i.created_at.timestamp()) for i in items if _starts_conversation(i))
            kept = http.dump_recent({"roots": roots}, now, keep, cap=MAX_ROOTS)
            return {"recent": kept} if roots or own.extra.get("recent") else {}

        yield from self._stream("own", "get_users_tweets", own, since, now, extra=keep_roots)
        horizon = (now - keep).timestamp()
        watched = sorted((r for r, at in roots.items() if at >= horizon), key=roots.__getitem__, reverse=True)
        yield from self._replies(marks.get("replies") or Mark(), watched[:MAX_ROOTS], since, now)

    def _route(self, stream: str) -> ReadRoute:
        """How X prices a post read by this stream (monitor/pricing.py)."""
        return ReadRoute.OWNED if stream == "mentions" and self.settings.owns_app else ReadRoute.POST

    def _stream(
        self,
        stream: str,
        method: str,
        mark: Mark,
        since: datetime | None,
        now: datetime,
        *,
        extra: Extra | None = None,
    ) -> Iterator[Page]:
        first_poll = now - timedelta(days=self.settings.first_poll_days)
        forward, backfill, floor = _window(mark, since, first_poll)
        windows = [forward, *([backfill] if backfill else [])]
        newest_id, newest_time = mark.id, mark.time
        own, route = stream == "own", self._route(stream)
        kept: Mapping[str, str] = {}
        for number, window in enumerate(windows):
            params = {**self._params(), **window}
            pages = self._pages(method, (self.user_id,), params, "pagination_token", own=own, route=route)
            for read, first, last in pages:
                if number == 0 and first and read.newest_id:
                    newest_id = read.newest_id
                    newest_time = max((i.created_at for i in read.items), default=newest_time)
                kept = {**(extra(read.items) if extra else {}), "floor": _iso(floor)}
                changed = {k: v for k, v in kept.items() if k != "floor"} != {
                    k: v for k, v in mark.extra.items() if k != "floor"
                }
                made = last and number == len(windows) - 1 and (newest_id is not None or changed)
                marks = {stream: Mark(time=newest_time, id=newest_id, extra=kept)} if made else {}
                yield Page(items=read.items, marks=marks, requests=read.requests, reads=read.reads)

    def _replies(
        self, mark: Mark, roots: Sequence[str], since: datetime | None, now: datetime
    ) -> Iterator[Page]:
        """Replies in conversations the account started that neither mention it nor come from it."""
        suffix = f" -from:{self.user_id}" + (f" -@{self.handle}" if self.handle else "")
        queries = conversation_queries(roots, suffix)
        horizon = now - SEARCH_WINDOW + SEARCH_MARGIN
        # The mark's age is the stored time of the newest reply it stands for (X refuses a
        # since_id from before the window); the id is only a fallback for marks without a time.
        sent = mark.time or snowflake_time(mark.id)
        first_poll = max(now - timedelta(days=self.settings.first_poll_days), horizon)
        if mark.id and (sent is None or sent < horizon):
            # The mark is older than search reaches back: search refuses it, and every reply
            # in reach is newer than the mark (or the mark would have moved), so none is held.
            windows: list[dict[str, str]] = [{"start_time": _iso(horizon)}]
            floor = min(_floor(mark) or horizon, horizon)
        else:
            forward, backfill, floor = _window(mark, max(since, horizon) if since else None, first_poll)
            if backfill and backfill["start_time"] >= backfill["end_time"]:
                backfill = None
            windows = [forward, *([backfill] if backfill else [])]
        newest_id, times = mark.id, [mark.time] if mark.time else []
        calls = [(w, q) for w in windows for q in queries]
        for number, (window, query) in enumerate(calls):
            params = {**self._params(), "max_results": max(10, self.settings.page_size), **window}
            for read, first, last in self._pages("search_recent_tweets", (query,), params, "next_token"):
                if first and read.newest_id and _order(read.newest_id) > _order(newest_id):
                    newest_id = read.newest_id
                times.extend(i.created_at for i in read.items)
                made = number == len(calls) - 1 and last and newest_id is not None
                extra = {"floor": _iso(floor)}
                mark_now = Mark(time=max(times, default=None), id=newest_id, extra=extra)
                yield Page(
                    items=read.items,
                    marks={"replies": mark_now} if made else {},
                    requests=read.requests,
                    reads=read.reads,
                )

    def _params(self) -> dict[str, Any]:
        return {
            "max_results": self.settings.page_size,
            "tweet_fields": TWEET_FIELDS,
            "user_auth": self.user_auth,
        }

    def _pages(
        self,
        method: str,
        args: tuple[str, ...],
        params: Mapping[str, Any],
        token_name: str,
        *,
        own: bool = False,
        route: ReadRoute = ReadRoute.POST,
    ) -> Iterator[tuple[_Read, bool, bool]]:
        """One listing followed through `next_token`: (what was read, first page?, last page?)."""
        query = dict(params)
        for number in range(MAX_PAGES):
            body = self._call(method, *args, **query)
            meta = body.get("meta") or {}
            tweets = [t for t in body.get("data") or [] if isinstance(t, dict)]
            items = tuple(i for i in (self._item(t, own=own) for t in tweets) if i)
            token = meta.get("next_token")
            last = not token or number == MAX_PAGES - 1
            made, self.requests = self.requests, 0
            newest = str(meta["newest_id"]) if meta.get("newest_id") else None
            reads = tuple(Read(str(t.get("id")), route) for t in tweets)
            yield _Read(items, newest, made, reads), number == 0, last
            if last:
                return
            query[token_name] = token

    def _item(self, tweet: Mapping[str, Any], *, own: bool) -> Item | None:
        history = tweet.get("edit_history_tweet_ids") or []
        tweet_id = tweet.get("id")
        created = http.parse_time(tweet.get("created_at"))
        if not isinstance(tweet_id, str) or created is None:
            return None
        original = str(history[0]) if history else tweet_id
        author = str(tweet.get("author_id")) if tweet.get("author_id") else None
        is_org = own or author == self.user_id
        replied = [
            r
            for r in tweet.get("referenced_tweets") or []
            if isinstance(r, dict) and r.get("type") == "replied_to"
        ]
        kind = ItemKind.OWN_POST if is_org else ItemKind.REPLY if replied else ItemKind.MENTION
        return Item(
            platform=self.platform,
            external_id=original,
            account=self.account.name,
            kind=kind,
            text=str(tweet.get("text") or ""),
            created_at=created,
            post_id=str(tweet["conversation_id"]) if tweet.get("conversation_id") else None,
            parent_id=str(replied[0].get("id")) if replied else None,
            author_id=author,
            author_is_org=is_org,
            permalink=f"https://x.com/i/web/status/{tweet_id}",
            updated_at=created if original != tweet_id else None,
            raw=tweet,
        )

    def check(self) -> list[str]:
        try:
            body = self._call("get_user", id=self.user_id, user_auth=self.user_auth)
        except ConnectorError as exc:
            return [str(exc)]
        username = str((body.get("data") or {}).get("username") or "")
        if not self.handle:
            return [
                "x: no `handle` is set: replies that mention the account are read (and paid for) twice"
                + (f" (the account is @{username})" if username else "")
            ]
        if username and username.lower() != self.handle.lower():
            return [f"x: handle @{self.handle} is not this account's username (@{username})"]
        return []

    def hide(self, external_id: str) -> None:
        """Hide a reply in a conversation the account started (needs all four user-context keys)."""
        if not all(
            (
                self.settings.consumer_key,
                self.settings.consumer_secret,
                self.settings.access_token,
                self.settings.access_token_secret,
            )
        ):
            raise AuthError(
                "x: hiding a reply needs consumer_key, consumer_secret, access_token and access_token_secret"
            )
        body = self._call("hide_reply", external_id, user_auth=True)
        if not (body.get("data") or {}).get("hidden"):
            raise PermanentError(f"x: hiding {external_id} was not confirmed")
