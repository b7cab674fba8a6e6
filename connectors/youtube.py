"""YouTube: comment threads (with replies) on the channel's videos, YouTube Data API v3.

Stream `threads` (mark: time of the newest comment seen):

    GET /commentThreads?part=snippet,replies&allThreadsRelatedToChannelId=UC…&order=time
    (1 quota unit per page of up to 100 threads). No `since`: pages come newest first and we
    stop below the mark. A thread includes at most 5 replies; when it says it has more and
    some of what it shows is new, `comments.list?parentId=` fetches the rest (1 unit).

Edits: `updatedAt` later than `publishedAt`; an edit within the overlap window is re-read.
Deletions are not reported: YouTube says nothing when a comment goes, and re-reading old
threads would spend quota on every poll.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import requests

from connectors import http
from monitor.config import Secret
from monitor.errors import AuthError, ConfigError, ConnectorError, PermanentError, RateLimited, TransientError
from monitor.types import Account, Item, ItemKind, Mark, Page

THREADS = "threads"
MAX_PAGES = 20


@dataclass(frozen=True)
class YouTubeSettings:
    api_key: Secret | None = None  # enough to read public comments
    oauth_token: Secret | None = None  # needed to hold comments for review (`monitor hide`)
    base_url: str = "https://www.googleapis.com/youtube/v3"
    first_poll_days: int = 7
    overlap_minutes: int = 10
    page_size: int = 100


def quota_reset(now: datetime) -> datetime:
    """YouTube's daily quota resets at midnight Pacific time."""
    pacific = now.astimezone(ZoneInfo("America/Los_Angeles"))
    midnight = (pacific + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(UTC)


class YouTubeConnector:
    platform: ClassVar[str] = "youtube"
    Settings: ClassVar[type[YouTubeSettings]] = YouTubeSettings

    def __init__(self, account: Account, settings: YouTubeSettings, session: requests.Session) -> None:
        if settings.api_key is None and settings.oauth_token is None:
            raise ConfigError("give api_key or oauth_token", key=f"accounts[{account.name}]")
        self.account = account
        self.settings = settings
        self.session = session
        self.channel = account.account_id
        self.clock: http.Clock = http.utcnow
        self.requests = 0
        http.protect(*(s.reveal() for s in (settings.api_key, settings.oauth_token) if s))

    def _call(self, method: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
        headers = {}
        if self.settings.oauth_token is not None:
            headers["Authorization"] = f"Bearer {self.settings.oauth_token.reveal()}"
        elif self.settings.api_key is not None:
            params = {**params, "key": self.settings.api_key.reveal()}
        self.requests += 1
        url = f"{self.settings.base_url.rstrip('/')}/{path}"
        response = http.send(
            self.session, method, url, platform=self.platform, params=params, headers=headers
        )
        if response.status_code == 204:
            return {}
        if response.status_code >= 400:
            raise self._error(response)
        return http.json_object(response, self.platform)

    def _error(self, response: requests.Response) -> ConnectorError:
        now = self.clock()
        try:
            error = response.json().get("error", {})
        except (ValueError, AttributeError):
            error = {}
        error = error if isinstance(error, dict) else {}
        listed = [*(error.get("errors") or []), *(error.get("details") or [])]
        reasons = {str(e.get("reason")) for e in listed if isinstance(e, dict) and e.get("reason")}
        said = (
            f"({', '.join(sorted(reasons)) or response.status_code}: {str(error.get('message', ''))[:200]})"
        )
        if reasons & {"quotaExceeded", "dailyLimitExceeded"}:
            return RateLimited(f"youtube: daily quota used up {said}", reset_at=quota_reset(now))
        if reasons & {"rateLimitExceeded", "userRateLimitExceeded"} or response.status_code == 429:
            reset = http.reset_from_headers(response.headers, now) or now + http.DEFAULT_WAIT
            return RateLimited(f"youtube: rate limited {said}", reset_at=reset)
        rejected = {
            "keyInvalid",
            "keyExpired",
            "authError",
            "invalidCredentials",
            "API_KEY_INVALID",
            "API_KEY_EXPIRED",
        }
        if reasons & rejected or response.status_code == 401:
            return AuthError(f"youtube: the API key or token was rejected {said}")
        if reasons & {"insufficientPermissions", "forbidden", "accessNotConfigured", "ipRefererBlocked"}:
            return AuthError(f"youtube: the credentials lack access {said}")
        if response.status_code >= 500:
            return TransientError(f"youtube: HTTP {response.status_code} {said}")
        return PermanentError(f"youtube: HTTP {response.status_code} {said}")

    def fetch(self, marks: Mapping[str, Mark], since: datetime | None) -> Iterator[Page]:
        now = self.clock()
        mark = marks.get(THREADS) or Mark()
        s = self.settings
        floor = http.floor_for(
            mark.time,
            since,
            now,
            overlap=timedelta(minutes=s.overlap_minutes),
            first_poll=timedelta(days=s.first_poll_days),
        )
        params: dict[str, Any] = {
            "part": "snippet,replies",
            "allThreadsRelatedToChannelId": self.channel,
            "order": "time",
            "maxResults": s.page_size,
            "textFormat": "plainText",
        }
        newest = mark.time
        for number in range(MAX_PAGES):
            body = self._call("GET", "commentThreads", params)
            items: list[Item] = []
            oldest: datetime | None = None
            for thread in body.get("items") or []:
                if not isinstance(thread, dict):
                    continue
                got = self._thread(thread, floor)
                top = got[0] if got else None
                if top is not None:
                    oldest = top.created_at if oldest is None or top.created_at < oldest else oldest
                items += [i for i in got if i.created_at > floor or (i.updated_at and i.updated_at > floor)]
            for item in items:
                newest = item.created_at if newest is None or item.created_at > newest else newest
            token = body.get("nextPageToken")
            last = not token or (oldest is not None and oldest <= floor) or number == MAX_PAGES - 1
            made, self.requests = self.requests, 0
            yield Page(
                items=tuple(items),
                marks={THREADS: Mark(time=newest)} if last and newest else {},
                requests=made,
            )
            if last:
                return
            params = {**params, "pageToken": token}

    def _thread(self, thread: Mapping[str, Any], floor: datetime) -> list[Item]:
        snippet = thread.get("snippet") or {}
        top_raw = snippet.get("topLevelComment") or {}
        video = snippet.get("videoId")
        top = self._item(top_raw, video=video, parent=None)
        if top is None:
            return []
        replies_raw = [c for c in (thread.get("replies") or {}).get("comments") or [] if isinstance(c, dict)]
        replies = [r for r in (self._item(c, video=video, parent=top.external_id) for c in replies_raw) if r]
        total = snippet.get("totalReplyCount") or 0
        fresh = any(r.created_at > floor for r in replies) or top.created_at > floor
        if isinstance(total, int) and total > len(replies) and fresh:
            body = self._call(
                "GET",
                "comments",
                {
                    "part": "snippet",
                    "parentId": top.external_id,
                    "maxResults": 100,
                    "textFormat": "plainText",
                },
            )
            more = [self._item(c, video=video, parent=top.external_id) for c in body.get("items") or []]
            known = {r.external_id for r in replies}
            replies += [r for r in more if r and r.external_id not in known]
        return [top, *replies]

    def _item(self, raw: Mapping[str, Any], *, video: Any, parent: str | None) -> Item | None:
        s = raw.get("snippet") if isinstance(raw.get("snippet"), dict) else None
        if not isinstance(raw.get("id"), str) or s is None:
            return None
        created = http.parse_time(s.get("publishedAt"))
        if created is None:
            return None
        updated = http.parse_time(s.get("updatedAt"))
        author = (s.get("authorChannelId") or {}).get("value")
        is_org = author == self.channel
        kind = ItemKind.OWN_POST if is_org else ItemKind.REPLY if parent else ItemKind.COMMENT
        video_id = str(video or s.get("videoId") or "") or None
        return Item(
            platform=self.platform,
            external_id=str(raw["id"]),
            account=self.account.name,
            kind=kind,
            text=str(s.get("textOriginal") or s.get("textDisplay") or ""),
            created_at=created,
            post_id=video_id,
            parent_id=parent,
            author_id=str(author) if author else None,
            author_handle=str(s.get("authorDisplayName")) if s.get("authorDisplayName") else None,
            author_is_org=is_org,
            permalink=f"https://www.youtube.com/watch?v={video_id}&lc={raw['id']}" if video_id else None,
            updated_at=updated if updated and updated > created else None,
            raw=raw,
        )

    def check(self) -> list[str]:
        try:
            self._call(
                "GET",
                "commentThreads",
                {"part": "id", "allThreadsRelatedToChannelId": self.channel, "maxResults": 1},
            )
        except ConnectorError as exc:
            return [str(exc)]
        return []

    def hide(self, external_id: str) -> None:
        """Hold a comment for review (needs an OAuth token with the youtube.force-ssl scope)."""
        if self.settings.oauth_token is None:
            raise AuthError("youtube: holding a comment for review needs oauth_token (an API key cannot)")
        self._call(
            "POST", "comments/setModerationStatus", {"id": external_id, "moderationStatus": "heldForReview"}
        )
