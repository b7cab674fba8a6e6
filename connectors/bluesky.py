"""Bluesky: replies, mentions and quotes of the account, and its own posts, through atproto.

Streams and their marks (time: `indexedAt` of the newest item seen; extra: uris seen lately):

    notifications  app.bsky.notification.listNotifications?reasons=reply,mention,quote
                   Newest first, paged by cursor until a notification indexed at or before the
                   mark less the overlap. Uris already seen inside the overlap are skipped.
    own            app.bsky.feed.getAuthorFeed?actor=<did>&filter=posts_with_replies
                   The account's own posts and replies (own_post); reposts are skipped.

The session: createSession (handle + app password) is limited to 30 per 5 minutes and 300 a
day, so a session outlives the process. The pipeline gives the connector a `SessionVault`
(monitor/store/vault.py: `<state_dir>/sessions/`, 0700/0600, encrypted under a key derived from
the app password); the session (access and refresh tokens, PDS address) is saved there after every
login and refresh, and the next process, a cron-driven `monitor scan` or a restarted daemon,
starts from it without a request. atproto renews the access token itself before it expires. A
server that still says `ExpiredToken` gets the session another process saved since, if newer,
else one `refreshSession`; only when that fails does the connector log in again, then AuthError.
Without a vault (tests, third-party callers) it logs in once per process.
`updateSeen` is never called: the staff's own unread badges stay as they were.

Bluesky posts cannot be edited, and notifications do not report deletions.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

import httpx
import requests
from atproto_client import Client, models
from atproto_client.client.session import Session, SessionEvent
from atproto_client.exceptions import (
    AtProtocolError,
    InvokeTimeoutError,
    LoginRequiredError,
    ModelError,
    NetworkError,
    RateLimitExceededError,
    RequestErrorBase,
)
from atproto_client.models.common import XrpcError
from atproto_client.request import Request, Response

from connectors import http
from connectors.base import DEFAULT_TIMEOUT
from monitor.config import Secret
from monitor.errors import AuthError, ConnectorError, PermanentError, RateLimited, TransientError
from monitor.store.vault import SessionVault
from monitor.types import Account, Item, ItemKind, Mark, Page, RateLimit

log = logging.getLogger(__name__)

NOTIFICATIONS, OWN = "notifications", "own"
REASONS = ("reply", "mention", "quote")
MAX_PAGES = 50
MAX_HIDDEN = 300  # hiddenReplies per threadgate (lexicon limit)
THREADGATE = "app.bsky.feed.threadgate"
REPOST, PIN = "app.bsky.feed.defs#reasonRepost", "app.bsky.feed.defs#reasonPin"
TOKEN_ERRORS = frozenset({"ExpiredToken", "InvalidToken"})
ADOPTED, REFRESHED, LOGGED_IN = 1, 2, 3  # how far an expired session's recovery has gone
ACCOUNT_ERRORS = frozenset({"AccountTakedown", "AccountDeactivated", "AccountSuspended"})


@dataclass(frozen=True)
class BlueskySettings:
    app_password: Secret  # Settings → Privacy and security → App passwords (not the account password)
    handle: str = ""  # who logs in; default: account_id
    base_url: str = "https://bsky.social"  # the PDS (after login, the one in the account's DID document)
    first_poll_days: int = 7
    overlap_minutes: int = 10
    page_size: int = 50  # ≤ 100
    timeout_seconds: float = 30.0


def _xrpc(exc: RequestErrorBase) -> tuple[str, str]:
    """The XRPC error name and message of a failed call ("" when the body said none)."""
    content = exc.response.content if exc.response is not None else None
    if isinstance(content, XrpcError):
        return str(content.error or ""), str(content.message or "")
    return "", ""


def rkey(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


def authority(uri: str) -> str:
    return uri.removeprefix("at://").split("/", 1)[0]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class BlueskyConnector:
    platform: ClassVar[str] = "bluesky"
    Settings: ClassVar[type[BlueskySettings]] = BlueskySettings

    def __init__(self, account: Account, settings: BlueskySettings, session: requests.Session) -> None:
        # `session` is not used: atproto speaks httpx. Nothing here touches the network.
        self.account = account
        self.settings = settings
        self.identifier = settings.handle or account.account_id.lstrip("@")
        self.clock: http.Clock = http.utcnow
        self.did: str | None = None
        self.handle: str | None = None
        self.requests = 0
        self.rate_limit: RateLimit | None = None
        self.vault: SessionVault | None = None  # set by the pipeline: sessions outlive the process
        self._saved: str | None = None  # the session string last saved or imported
        http.protect(settings.app_password.reveal())
        request = Request(
            timeout=httpx.Timeout(settings.timeout_seconds, connect=DEFAULT_TIMEOUT[0]),
            event_hooks={"request": [self._count]},
        )
        self.client = Client(base_url=settings.base_url, request=request)
        self.client.on_session_change(self._session_changed)

    def _count(self, request: httpx.Request) -> None:
        self.requests += 1

    def _take(self) -> int:
        made, self.requests = self.requests, 0
        return made

    def _session_changed(self, event: SessionEvent, session: Session) -> None:
        # JWTs are masked by shape (connectors.http.redact): nothing to register, nothing to grow.
        http.install_redaction()
        self.did, self.handle = session.did, session.handle
        log.info("bluesky: %s session for %s (%s)", event.value, session.handle, session.did)
        if event is not SessionEvent.IMPORT and self.vault is not None:
            self._saved = session.encode()
            self.vault.save(
                self._vault_name, self.settings.app_password.reveal(), self._envelope(self._saved)
            )

    # ------------------------------------------------------------------ the saved session

    @property
    def _vault_name(self) -> str:
        return f"bluesky-{self.account.name}"

    def _envelope(self, session: str) -> str:
        """A session is only reused by the same login on the same server."""
        return json.dumps({"login": self.identifier, "server": self.settings.base_url, "session": session})

    def _saved_session(self) -> str | None:
        if self.vault is None:
            return None
        text = self.vault.load(self._vault_name, self.settings.app_password.reveal())
        try:
            saved = json.loads(text) if text else {}
        except ValueError:
            return None
        if not isinstance(saved, dict) or (saved.get("login"), saved.get("server")) != (
            self.identifier,
            self.settings.base_url,
        ):
            return None
        session = saved.get("session")
        return session if isinstance(session, str) else None

    def _import(self, session: str) -> bool:
        """Start from a saved session: no request is made (atproto refreshes it when due)."""
        try:
            self.client.login(session_string=session, fetch_bsky_profile=False)
        except (AtProtocolError, ValueError) as exc:
            log.info("bluesky: the saved session cannot be used (%s); logging in", exc.__class__.__name__)
            return False
        self._saved = session
        return True

    def _resume(self) -> None:
        """The session an earlier process saved, or else a login."""
        saved = self._saved_session()
        if saved is None or not self._import(saved):
            self._login()

    # ------------------------------------------------------------------ calls and errors

    def _login(self) -> None:
        try:
            self.client.login(self.identifier, self.settings.app_password.reveal(), fetch_bsky_profile=False)
        except (AtProtocolError, ValueError, httpx.HTTPError) as exc:
            raise self._error(exc, login=True) from None

    def _recover(self, stage: int) -> int:
        """The server says the token expired. In turn: take the newer session another process
        saved (stage ADOPTED), refresh once (REFRESHED), and only when refreshing fails, log in
        once (LOGGED_IN, after which the error stands)."""
        if stage < ADOPTED:
            newer = self._saved_session()
            if newer is not None and newer != self._saved and self._import(newer):
                return ADOPTED
        if stage < REFRESHED:
            try:
                self.client._refresh_and_set_session()  # atproto has no public name for it
                return REFRESHED
            except RequestErrorBase as exc:
                if _xrpc(exc)[0] not in TOKEN_ERRORS:
                    raise self._error(exc) from None
            except (AtProtocolError, ValueError, httpx.HTTPError) as exc:
                raise self._error(exc) from None
        log.info("bluesky: the refresh token expired; logging in again")
        self._login()
        return LOGGED_IN

    def _call(self, invoke: Callable[[], Response], *, missing_ok: bool = False) -> dict[str, Any] | None:
        if self.did is None:
            self._resume()
        stage = 0
        while True:
            try:
                response = invoke()
                break
            except RequestErrorBase as exc:
                name = _xrpc(exc)[0]
                if missing_ok and name == "RecordNotFound":
                    return None
                if name not in TOKEN_ERRORS or stage == LOGGED_IN:
                    raise self._error(exc) from None
                stage = self._recover(stage)
            except (AtProtocolError, ValueError, httpx.HTTPError) as exc:
                raise self._error(exc) from None
        self.rate_limit = self._limits(response.headers)
        if not isinstance(response.content, dict):
            raise TransientError("bluesky: expected a JSON object")
        return response.content

    def _query(self, nsid: str, params: Any) -> dict[str, Any]:
        body = self._call(lambda: self.client.invoke_query(nsid, params=params))
        assert body is not None
        return body

    def _limits(self, headers: Mapping[str, str]) -> RateLimit | None:
        def number(name: str) -> int | None:
            value = headers.get(name)
            return int(value) if value is not None and value.strip().isdigit() else None

        if "ratelimit-remaining" not in headers:
            return None
        return RateLimit(
            remaining=number("ratelimit-remaining"),
            limit=number("ratelimit-limit"),
            reset_at=http.reset_from_headers(headers, self.clock()),
        )

    def _error(self, exc: BaseException, *, login: bool = False) -> ConnectorError:
        now = self.clock()
        if isinstance(exc, RateLimitExceededError):
            headers = exc.response.headers if exc.response is not None else {}
            reset = http.reset_from_headers(headers, now) or now + http.DEFAULT_WAIT
            what = "too many logins (30 per 5 minutes, 300 a day)" if login else "rate limited"
            return RateLimited(f"bluesky: {what}", reset_at=reset)
        if isinstance(exc, InvokeTimeoutError | httpx.TimeoutException):
            return TransientError("bluesky: request timed out")
        if isinstance(exc, RequestErrorBase) and exc.response is not None:
            status = exc.response.status_code
            name, message = _xrpc(exc)
            detail = f"{name}: {message}"[:200] if name else f"HTTP {status}"
            if name in TOKEN_ERRORS:
                return AuthError(f"bluesky: the session expired and logging in again did not help ({detail})")
            if login and status in (400, 401):
                return AuthError(
                    f"bluesky: app password rejected for {self.identifier} ({detail}); check the handle "
                    "and create a new app password"
                )
            if name in ACCOUNT_ERRORS or status in (401, 403):
                return AuthError(f"bluesky: HTTP {status} ({detail})")
            if isinstance(exc, NetworkError) or status >= 500 or status in (408, 425):
                return TransientError(f"bluesky: HTTP {status} ({detail})")
            return PermanentError(f"bluesky: HTTP {status} ({detail})")
        if isinstance(exc, NetworkError):
            cause = exc.__cause__.__class__.__name__ if exc.__cause__ else "no answer"
            return TransientError(f"bluesky: request failed ({cause})")
        if isinstance(exc, LoginRequiredError):
            return AuthError("bluesky: not logged in (the session has no usable token)")
        if isinstance(exc, ValueError | ModelError):
            return TransientError("bluesky: the server answered with a body that is not JSON")
        if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
            return PermanentError(f"bluesky: bad API address ({exc.__class__.__name__})")
        if isinstance(exc, httpx.HTTPError):
            return TransientError(f"bluesky: request failed ({exc.__class__.__name__})")
        return PermanentError(f"bluesky: {exc.__class__.__name__}")

    # ------------------------------------------------------------------ fetch

    def fetch(self, marks: Mapping[str, Mark], since: datetime | None) -> Iterator[Page]:
        now = self.clock()
        if self.did is None:
            self._resume()
        yield from self._stream(NOTIFICATIONS, marks.get(NOTIFICATIONS) or Mark(), since, now)
        yield from self._stream(OWN, marks.get(OWN) or Mark(), since, now)

    def _params(self, stream: str, cursor: str | None) -> Any:
        limit = max(1, min(100, self.settings.page_size))
        if stream == NOTIFICATIONS:
            return models.AppBskyNotificationListNotifications.Params(
                reasons=list(REASONS), limit=limit, cursor=cursor
            )
        return models.AppBskyFeedGetAuthorFeed.Params(
            actor=self.did, filter="posts_with_replies", limit=limit, cursor=cursor
        )

    def _stream(self, stream: str, mark: Mark, since: datetime | None, now: datetime) -> Iterator[Page]:
        s = self.settings
        overlap = timedelta(minutes=s.overlap_minutes)
        floor = http.floor_for(
            mark.time, since, now, overlap=overlap, first_poll=timedelta(days=s.first_poll_days)
        )
        recent = http.load_recent(mark.extra)
        seen = recent.setdefault(stream, {}) if since is None else {}
        nsid = (
            "app.bsky.notification.listNotifications"
            if stream == NOTIFICATIONS
            else "app.bsky.feed.getAuthorFeed"
        )
        cursor: str | None = None
        newest = mark.time
        for number in range(MAX_PAGES):
            body = self._query(nsid, self._params(stream, cursor))
            entries = body.get("notifications" if stream == NOTIFICATIONS else "feed")
            items: list[Item] = []
            oldest: datetime | None = None
            for entry in entries if isinstance(entries, list) else []:
                got = self._entry(stream, _dict(entry))
                if got is None:
                    continue
                item, indexed = got
                oldest = indexed if oldest is None or indexed < oldest else oldest
                if indexed <= floor or item.external_id in seen:
                    continue
                items.append(item)
                seen[item.external_id] = indexed.timestamp()
                newest = indexed if newest is None or indexed > newest else newest
            following = body.get("cursor") if isinstance(body.get("cursor"), str) else None
            last = (
                not following
                or following == cursor
                or (oldest is not None and oldest <= floor)
                or number == MAX_PAGES - 1
            )
            marks: dict[str, Mark] = {}
            if last and newest is not None:
                kept = http.dump_recent(recent, newest, overlap * 2)
                marks = {stream: Mark(time=newest, extra={"recent": kept})}
            yield Page(items=tuple(items), marks=marks, rate_limit=self.rate_limit, requests=self._take())
            if last:
                return
            if self.rate_limit and self.rate_limit.remaining == 0 and self.rate_limit.reset_at:
                raise RateLimited("bluesky: rate limit used up", reset_at=self.rate_limit.reset_at)
            cursor = following

    def _entry(self, stream: str, entry: Mapping[str, Any]) -> tuple[Item, datetime] | None:
        """An item and its indexedAt, from a notification or an author-feed entry."""
        if stream == NOTIFICATIONS:
            reason = entry.get("reason")
            if reason not in REASONS:
                return None
            post = entry
            kind = ItemKind.REPLY if reason == "reply" else ItemKind.MENTION
        else:
            if _dict(entry.get("reason")).get("$type") in (REPOST, PIN):
                return None  # someone else's post, or a pinned one shown first whatever its age
            post = _dict(entry.get("post"))
            kind = ItemKind.OWN_POST
        uri, indexed = post.get("uri"), http.parse_time(post.get("indexedAt"))
        author, record = _dict(post.get("author")), _dict(post.get("record"))
        if not isinstance(uri, str) or indexed is None:
            return None
        if stream == OWN and author.get("did") != self.did:
            return None
        is_org = author.get("did") == self.did
        reply = _dict(record.get("reply"))
        parent, root = _dict(reply.get("parent")).get("uri"), _dict(reply.get("root")).get("uri")
        handle = author.get("handle") if isinstance(author.get("handle"), str) else None
        who = handle or authority(uri)
        item = Item(
            platform=self.platform,
            external_id=uri,
            account=self.account.name,
            kind=ItemKind.OWN_POST if is_org else kind,
            text=str(record.get("text") or ""),
            created_at=http.parse_time(record.get("createdAt")) or indexed,
            post_id=str(root) if root else None,
            parent_id=str(parent) if parent else None,
            author_id=str(author["did"]) if author.get("did") else None,
            author_handle=handle,
            author_name=str(author["displayName"]) if author.get("displayName") else None,
            author_is_org=is_org,
            permalink=f"https://bsky.app/profile/{who}/post/{rkey(uri)}",
            raw=dict(entry),
        )
        return item, indexed

    # ------------------------------------------------------------------ check and hide

    def check(self) -> list[str]:
        """Log in (once per process) and read the account's profile."""
        actor = self.account.account_id.lstrip("@")
        try:
            profile = self._query(
                "app.bsky.actor.getProfile", models.AppBskyActorGetProfile.Params(actor=actor)
            )
        except PermanentError as exc:
            if "not found" in str(exc).lower() or "resolve" in str(exc).lower():
                return [f"bluesky: handle {actor!r} not found ({exc})"]
            return [str(exc)]
        except ConnectorError as exc:
            return [str(exc)]
        if profile.get("did") != self.did:
            return [
                f"bluesky: account_id {actor!r} is {profile.get('did')}, but the app password logs in "
                f"as {self.handle} ({self.did})"
            ]
        return []

    def hide(self, external_id: str) -> None:
        """Hide a reply in a thread the account started (threadgate `hiddenReplies` on the root)."""
        body = self._query("app.bsky.feed.getPosts", models.AppBskyFeedGetPosts.Params(uris=[external_id]))
        posts = [p for p in body.get("posts") or [] if isinstance(p, dict) and p.get("uri") == external_id]
        if not posts:
            raise PermanentError(f"bluesky: {external_id} was not found (deleted, or not a post)")
        root = _dict(_dict(_dict(posts[0].get("record")).get("reply")).get("root")).get("uri")
        if not isinstance(root, str):
            raise PermanentError(
                "bluesky: this post is not a reply, so it cannot be hidden; only replies in threads the "
                "account started can be (mute or block the author, or report the post)"
            )
        if authority(root) != self.did:
            raise PermanentError(
                "bluesky: this reply is in a thread someone else started; only the author of a thread's "
                "first post can hide replies in it"
            )
        key = rkey(root)
        current = self._call(
            lambda: self.client.invoke_query(
                "com.atproto.repo.getRecord",
                params=models.ComAtprotoRepoGetRecord.Params(repo=self.did, collection=THREADGATE, rkey=key),
            ),
            missing_ok=True,
        )
        record: dict[str, Any] = dict(_dict((current or {}).get("value")))
        if not record:
            record = {"$type": THREADGATE, "post": root, "createdAt": self.clock().isoformat()}
        hidden = [str(u) for u in record.get("hiddenReplies") or []]
        if external_id in hidden:
            return
        if len(hidden) >= MAX_HIDDEN:
            raise PermanentError(
                f"bluesky: this thread already hides {MAX_HIDDEN} replies, the most Bluesky allows"
            )
        record["hiddenReplies"] = [*hidden, external_id]
        data = models.ComAtprotoRepoPutRecord.Data(
            repo=self.did,
            collection=THREADGATE,
            rkey=key,
            record=record,
            swap_record=(current or {}).get("cid"),
        )
        self._call(
            lambda: self.client.invoke_procedure(
                "com.atproto.repo.putRecord",
                data=data,
                input_encoding="application/json",
                output_encoding="application/json",
            )
        )
