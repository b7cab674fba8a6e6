"""X (Twitter) API v2 through tweepy's Client: mentions of the account and its own posts.

X charges per post read, so every post is read once: each stream keeps `meta.newest_id` as its
`since_id` (the mark's id) and the first poll is bounded by `start_time`. `Page.reads` counts
the posts returned, which `monitor status` turns into a month's cost estimate.

    mentions   GET /2/users/{id}/mentions?since_id=…   (replies to the account mention it)
    own        GET /2/users/{id}/tweets?since_id=…     (own posts and replies: own_post)

tweepy is created with wait_on_rate_limit=False (it would sleep) and its host is hard-coded,
so a requests adapter mounted on its session sends every call to `base_url` with a timeout.
An edited post comes back under a new id whose `edit_history_tweet_ids[0]` is the original:
we store it under the original id, so the text is updated. Deletions are not detected (that
would mean paying to re-read old posts).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import requests
import tweepy
from requests.adapters import HTTPAdapter

from connectors import http
from connectors.base import DEFAULT_TIMEOUT
from monitor.config import Secret
from monitor.errors import AuthError, ConnectorError, PermanentError, RateLimited, TransientError
from monitor.types import Account, Item, ItemKind, Mark, Page

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
    base_url: str = X_HOST
    first_poll_days: int = 2
    page_size: int = 100


class XConnector:
    platform: ClassVar[str] = "x"
    Settings: ClassVar[type[XSettings]] = XSettings

    def __init__(self, account: Account, settings: XSettings, session: requests.Session) -> None:
        self.account = account
        self.settings = settings
        self.user_id = account.account_id
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
        yield from self._stream("own", "get_users_tweets", marks.get("own") or Mark(), since, now)

    def _stream(
        self, stream: str, method: str, mark: Mark, since: datetime | None, now: datetime
    ) -> Iterator[Page]:
        params: dict[str, Any] = {
            "max_results": self.settings.page_size,
            "tweet_fields": TWEET_FIELDS,
            "user_auth": self.user_auth,
        }
        if mark.id and since is None:
            params["since_id"] = mark.id
        else:
            floor = since or now - timedelta(days=self.settings.first_poll_days)
            params["start_time"] = floor.strftime("%Y-%m-%dT%H:%M:%SZ")
        newest_id, newest_time = mark.id, mark.time
        for number in range(MAX_PAGES):
            body = self._call(method, self.user_id, **params)
            meta = body.get("meta") or {}
            tweets = [t for t in body.get("data") or [] if isinstance(t, dict)]
            items = [i for i in (self._item(t, own=stream == "own") for t in tweets) if i]
            if number == 0 and meta.get("newest_id"):
                newest_id = str(meta["newest_id"])
                newest_time = max((i.created_at for i in items), default=newest_time)
            token = meta.get("next_token")
            last = not token or number == MAX_PAGES - 1
            made, self.requests = self.requests, 0
            marks = {stream: Mark(time=newest_time, id=newest_id)} if last and newest_id else {}
            yield Page(items=tuple(items), marks=marks, requests=made, reads=len(tweets))
            if last:
                return
            params = {**params, "pagination_token": token}

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
            self._call("get_user", id=self.user_id, user_auth=self.user_auth)
        except ConnectorError as exc:
            return [str(exc)]
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
