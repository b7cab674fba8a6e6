"""Per-platform adapters for the contract test: each turns simple records into responses
shaped exactly like the platform's, and knows how that platform says "no"."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import requests
import responses

from connectors.base import Connector
from monitor.types import Account, Mark, Page

DATA = Path(__file__).parent.parent / "data"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
JSON = {"content-type": "application/json; charset=UTF-8"}
Reply = tuple[int, dict[str, str], str]
FAILURES = ("5xx", "429", "throttled", "timeout", "connect_timeout", "malformed", "expired")


def load(platform: str, name: str) -> Any:
    return json.loads((DATA / platform / name).read_text(encoding="utf-8"))


def query(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


@dataclass(frozen=True)
class Rec:
    """A platform-neutral comment: the harness gives it the platform's shape."""

    id: str
    text: str
    at: datetime
    post: str = "p1"
    reply_to: str | None = None


class RespMock:
    """`responses` behind the same small interface as the loopback FakeServer."""

    def __init__(self, rsps: responses.RequestsMock, base_url: str) -> None:
        self.rsps = rsps
        self.base_url = base_url

    def add_callback(self, method: str, url: re.Pattern[str] | str, callback: Callable[[Any], Reply]) -> None:
        pattern = re.compile(url) if isinstance(url, str) else url
        self.rsps.add_callback(method, pattern, callback=callback)

    def add_exception(self, method: str, url: re.Pattern[str] | str, exc: BaseException) -> None:
        pattern = re.compile(url) if isinstance(url, str) else url
        self.rsps.add(method, pattern, body=exc)

    @property
    def call_count(self) -> int:
        return len(self.rsps.calls)

    def reset_calls(self) -> None:
        self.rsps.calls.reset()


def merge_marks(old: Mapping[str, Mark], pages: list[Page]) -> dict[str, Mark]:
    """What the store would hold after these pages (marks only move forward)."""
    marks = dict(old)
    for page in pages:
        for stream, mark in page.marks.items():
            prev = marks.get(stream)
            time = mark.time
            if prev and prev.time and (time is None or prev.time > time):
                time = prev.time
            marks[stream] = Mark(
                time=time,
                id=mark.id if mark.id is not None else (prev.id if prev else None),
                extra=dict(mark.extra) if mark.extra else (dict(prev.extra) if prev else {}),
            )
    return marks


@dataclass
class Harness:
    """What the contract test needs from a platform."""

    platform: ClassVar[str]
    streams: ClassVar[int]  # requests an idle poll should make (one per stream)
    edits: ClassVar[str | None] = None  # None: supported; else why not
    deletions: ClassVar[str | None] = None
    secrets: ClassVar[tuple[str, ...]] = ()
    base_url: ClassVar[str] = "https://api.test"
    pages: list[list[Rec]] = field(default_factory=list)
    failure: str | None = None

    def connector(self, base_url: str, session: requests.Session | None = None) -> Connector:
        raise NotImplementedError

    def install(self, mock: Any) -> None:
        """Register every route; they answer from `self.pages` / `self.failure` at call time."""
        raise NotImplementedError

    def external_id(self, rec: Rec) -> str:
        raise NotImplementedError

    def fail_reply(self, kind: str) -> tuple[Reply, datetime | None]:
        """The platform's answer for a failure kind and the reset time it implies."""
        raise NotImplementedError

    def serve(self, *pages: list[Rec]) -> None:
        self.pages, self.failure = list(pages), None


def t(minutes_ago: float) -> datetime:
    return NOW - timedelta(minutes=minutes_ago)


def iso_fb(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S+0000")


# ------------------------------------------------------------------ Facebook


class FacebookHarness(Harness):
    platform = "facebook"
    streams = 2  # feed, tagged
    secrets = ("EAAGfakePageToken0123456789", "fakeappsecret0123456789")
    base_url = "https://graph.test"
    PAGE = "104411112233445"

    def connector(self, base_url: str, session: requests.Session | None = None) -> Connector:
        from connectors.facebook import FacebookConnector, FacebookSettings
        from monitor.config import Secret

        settings = FacebookSettings(
            page_token=Secret(self.secrets[0], "env:FB"),
            app_secret=Secret(self.secrets[1], "env:FB_SECRET"),
            base_url=base_url,
        )
        c = FacebookConnector(Account("fb", "facebook", self.PAGE), settings, session or requests.Session())
        c.clock = lambda: NOW
        return c

    def external_id(self, rec: Rec) -> str:
        return f"{rec.post}_{rec.id}"

    def _comment(self, rec: Rec) -> dict[str, Any]:
        c: dict[str, Any] = {
            "id": self.external_id(rec),
            "message": rec.text,
            "from": {"name": "Sam Carter", "id": "7012345678901234"},
            "created_time": iso_fb(rec.at),
            "permalink_url": f"https://www.facebook.com/{self.PAGE}/posts/{rec.post}?comment_id={rec.id}",
            "is_hidden": False,
            "can_hide": True,
        }
        if rec.reply_to:
            c["parent"] = {"id": f"{rec.post}_{rec.reply_to}"}
        return c

    def _feed_page(self, index: int, base: str) -> dict[str, Any]:
        recs = self.pages[index] if index < len(self.pages) else []
        posts: dict[str, list[Rec]] = {}
        for rec in recs:
            posts.setdefault(rec.post, []).append(rec)
        data = []
        for post, comments in posts.items():
            entry: dict[str, Any] = {
                "id": f"{self.PAGE}_{post}",
                "message": f"Post {post}",
                "from": {"name": "Elmfield Counselling", "id": self.PAGE},
                "created_time": iso_fb(NOW - timedelta(hours=30)),
                "updated_time": iso_fb(max(r.at for r in comments)),
                "permalink_url": f"https://www.facebook.com/{self.PAGE}/posts/{post}",
                "comments": {
                    "data": [self._comment(r) for r in sorted(comments, key=lambda r: r.at, reverse=True)],
                    "paging": {"cursors": {"before": "QVFIUmxYZA", "after": "QVFIUk1vZA"}},
                },
            }
            data.append(entry)
        body: dict[str, Any] = {
            "data": data,
            "paging": {"cursors": {"before": "QVFIUmZA", "after": "QVFIUnN5"}},
        }
        if index + 1 < len(self.pages):
            body["paging"]["next"] = (
                f"https://graph.facebook.com/v26.0/{self.PAGE}/feed?access_token={self.secrets[0]}"
                f"&fields=id&limit=25&after=page{index + 1}"
            )
        return body

    def install(self, mock: Any) -> None:
        def feed(request: Any) -> Reply:
            if self.failure:
                return self.fail_reply(self.failure)[0]
            index = int(query(request.url).get("after", "page0")[4:])
            return 200, JSON, json.dumps(self._feed_page(index, mock.base_url))

        def tagged(request: Any) -> Reply:
            if self.failure:
                return self.fail_reply(self.failure)[0]
            return 200, JSON, json.dumps({"data": []})

        mock.add_callback("GET", re.compile(r".*/v26\.0/\d+/feed"), feed)
        mock.add_callback("GET", re.compile(r".*/v26\.0/\d+/tagged"), tagged)

    def fail_reply(self, kind: str) -> tuple[Reply, datetime | None]:
        if kind == "5xx":
            return (503, {"content-type": "text/html"}, "<html><body>Service Unavailable</body></html>"), None
        if kind == "429":
            body = json.dumps(load("facebook", "error_throttled.json"))
            return (429, {**JSON, "Retry-After": "120"}, body), NOW + timedelta(seconds=120)
        if kind == "throttled":
            usage = {
                self.PAGE: [
                    {
                        "type": "pages",
                        "call_count": 100,
                        "total_cputime": 12,
                        "total_time": 30,
                        "estimated_time_to_regain_access": 19,
                    }
                ]
            }
            headers = {**JSON, "X-Business-Use-Case-Usage": json.dumps(usage)}
            return (400, headers, json.dumps(load("facebook", "error_throttled.json"))), NOW + timedelta(
                minutes=19
            )
        if kind == "malformed":
            return (200, JSON, '{"data": [{"id": "1_2", "message": "trunc'), None
        if kind == "expired":
            return (
                400,
                {**JSON, "WWW-Authenticate": 'OAuth "Facebook Platform" "invalid_token"'},
                json.dumps(load("facebook", "error_expired.json")),
            ), None
        raise ValueError(kind)


# ------------------------------------------------------------------ Instagram


def iso_ig(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S+0000")


class InstagramHarness(Harness):
    platform = "instagram"
    streams = 2  # media, tags
    secrets = ("IGQWRfakeInstagramToken0123456789",)
    base_url = "https://ig.test"
    USER = "17841405822304914"

    def connector(self, base_url: str, session: requests.Session | None = None) -> Connector:
        from connectors.instagram import InstagramConnector, InstagramSettings
        from monitor.config import Secret

        settings = InstagramSettings(
            access_token=Secret(self.secrets[0], "env:IG"), username="elmfield.counselling", base_url=base_url
        )
        c = InstagramConnector(Account("ig", "instagram", self.USER), settings, session or requests.Session())
        c.clock = lambda: NOW
        return c

    def external_id(self, rec: Rec) -> str:
        return f"1787{rec.post}{rec.id}"

    def _comment(self, rec: Rec) -> dict[str, Any]:
        return {
            "id": self.external_id(rec),
            "text": rec.text,
            "timestamp": iso_ig(rec.at),
            "username": "jess_walks",
            "from": {"id": "17841400000000001", "username": "jess_walks"},
            "hidden": False,
            "parent_id": f"1787{rec.post}{rec.reply_to}" if rec.reply_to else None,
        }

    def _media_page(self, index: int) -> dict[str, Any]:
        recs = self.pages[index] if index < len(self.pages) else []
        media: dict[str, list[Rec]] = {}
        for rec in recs:
            media.setdefault(rec.post, []).append(rec)
        data = []
        for post, comments in media.items():
            tops = [r for r in comments if not r.reply_to]
            entries = []
            for top in sorted(tops, key=lambda r: r.at, reverse=True):
                entry = {**self._comment(top), "like_count": 0}
                replies = [self._comment(r) for r in comments if r.reply_to == top.id]
                if replies:
                    entry["replies"] = {"data": replies}
                entries.append(entry)
            data.append(
                {
                    "id": f"1789{post}",
                    "caption": f"Post {post}",
                    "timestamp": iso_ig(NOW - timedelta(hours=30)),
                    "permalink": f"https://www.instagram.com/p/{post}/",
                    "username": "elmfield.counselling",
                    "comments_count": len(comments),
                    "comments": {"data": entries},
                }
            )
        body: dict[str, Any] = {
            "data": data,
            "paging": {"cursors": {"before": "QVFIUkF", "after": "QVFIUkF"}},
        }
        if index + 1 < len(self.pages):
            body["paging"]["next"] = (
                f"https://graph.facebook.com/v26.0/{self.USER}/media?access_token={self.secrets[0]}"
                f"&limit=25&after=page{index + 1}"
            )
        return body

    def install(self, mock: Any) -> None:
        def media(request: Any) -> Reply:
            if self.failure:
                return self.fail_reply(self.failure)[0]
            index = int(query(request.url).get("after", "page0")[4:])
            return 200, JSON, json.dumps(self._media_page(index))

        def tags(request: Any) -> Reply:
            if self.failure:
                return self.fail_reply(self.failure)[0]
            return 200, JSON, json.dumps({"data": []})

        mock.add_callback("GET", re.compile(r".*/v26\.0/\d+/media"), media)
        mock.add_callback("GET", re.compile(r".*/v26\.0/\d+/tags"), tags)

    def fail_reply(self, kind: str) -> tuple[Reply, datetime | None]:
        if kind == "5xx":
            return (
                500,
                JSON,
                json.dumps(
                    {
                        "error": {
                            "message": "An unknown error has occurred.",
                            "type": "OAuthException",
                            "code": 1,
                            "fbtrace_id": "A1",
                        }
                    }
                ),
            ), None
        if kind == "429":
            return (
                429,
                {**JSON, "Retry-After": "60"},
                json.dumps(load("instagram", "error_throttled.json")),
            ), NOW + timedelta(seconds=60)
        if kind == "throttled":
            usage = {"call_count": 100, "total_cputime": 40, "total_time": 45}
            headers = {**JSON, "X-App-Usage": json.dumps(usage)}
            return (400, headers, json.dumps(load("instagram", "error_throttled.json"))), NOW + timedelta(
                hours=1
            )
        if kind == "malformed":
            return (200, {"content-type": "text/html"}, "<html>Sorry, something went wrong.</html>"), None
        if kind == "expired":
            return (400, JSON, json.dumps(load("instagram", "error_expired.json"))), None
        raise ValueError(kind)


# ------------------------------------------------------------------ YouTube


def iso_z(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


class YouTubeHarness(Harness):
    platform = "youtube"
    streams = 1
    deletions = "YouTube does not report deleted comments; re-reading old threads would cost quota"
    secrets = ("AIzaSyFakeYouTubeKey0123456789abcdef",)
    base_url = "https://yt.test/youtube/v3"
    CHANNEL = "UCelmfieldCounselling0001"

    def connector(self, base_url: str, session: requests.Session | None = None) -> Connector:
        from connectors.youtube import YouTubeConnector, YouTubeSettings
        from monitor.config import Secret

        if not base_url.endswith("/youtube/v3"):
            base_url += "/youtube/v3"
        settings = YouTubeSettings(api_key=Secret(self.secrets[0], "env:YT"), base_url=base_url)
        c = YouTubeConnector(Account("yt", "youtube", self.CHANNEL), settings, session or requests.Session())
        c.clock = lambda: NOW
        return c

    def external_id(self, rec: Rec) -> str:
        return f"Ugz{rec.post}{rec.reply_to}.{rec.id}" if rec.reply_to else f"Ugz{rec.post}{rec.id}"

    def _comment(self, rec: Rec) -> dict[str, Any]:
        snippet: dict[str, Any] = {
            "channelId": self.CHANNEL,
            "videoId": f"vid{rec.post}",
            "textDisplay": rec.text,
            "textOriginal": rec.text,
            "authorDisplayName": "@rowan_h",
            "authorChannelUrl": "http://www.youtube.com/@rowan_h",
            "authorChannelId": {"value": "UCrowanH0000000000000001"},
            "canRate": True,
            "viewerRating": "none",
            "likeCount": 0,
            "publishedAt": iso_z(rec.at),
            "updatedAt": iso_z(rec.at),
        }
        if rec.reply_to:
            snippet["parentId"] = f"Ugz{rec.post}{rec.reply_to}"
        return {"kind": "youtube#comment", "etag": "e", "id": self.external_id(rec), "snippet": snippet}

    def _page(self, index: int) -> dict[str, Any]:
        recs = self.pages[index] if index < len(self.pages) else []
        tops = sorted((r for r in recs if not r.reply_to), key=lambda r: r.at, reverse=True)
        threads = []
        for top in tops:
            replies = [self._comment(r) for r in recs if r.reply_to == top.id and r.post == top.post]
            thread: dict[str, Any] = {
                "kind": "youtube#commentThread",
                "etag": "t",
                "id": self.external_id(top),
                "snippet": {
                    "channelId": self.CHANNEL,
                    "videoId": f"vid{top.post}",
                    "topLevelComment": self._comment(top),
                    "canReply": True,
                    "totalReplyCount": len(replies),
                    "isPublic": True,
                },
            }
            if replies:
                thread["replies"] = {"comments": replies}
            threads.append(thread)
        body: dict[str, Any] = {
            "kind": "youtube#commentThreadListResponse",
            "etag": "p",
            "pageInfo": {"totalResults": len(threads), "resultsPerPage": 100},
            "items": threads,
        }
        if index + 1 < len(self.pages):
            body["nextPageToken"] = f"page{index + 1}"
        return body

    def install(self, mock: Any) -> None:
        def threads(request: Any) -> Reply:
            if self.failure:
                return self.fail_reply(self.failure)[0]
            index = int(query(request.url).get("pageToken", "page0")[4:])
            return 200, JSON, json.dumps(self._page(index))

        mock.add_callback("GET", re.compile(r".*/youtube/v3/commentThreads"), threads)

    def fail_reply(self, kind: str) -> tuple[Reply, datetime | None]:
        if kind == "5xx":
            body = {
                "error": {
                    "code": 503,
                    "message": "The service is currently unavailable.",
                    "errors": [
                        {
                            "message": "The service is currently unavailable.",
                            "domain": "global",
                            "reason": "backendError",
                        }
                    ],
                }
            }
            return (503, JSON, json.dumps(body)), None
        if kind == "429":
            return (429, {**JSON, "Retry-After": "30"}, "{}"), NOW + timedelta(seconds=30)
        if kind == "throttled":
            from connectors.youtube import quota_reset

            return (403, JSON, json.dumps(load("youtube", "error_quota.json"))), quota_reset(NOW)
        if kind == "malformed":
            return (200, JSON, '{"kind": "youtube#commentThreadListResponse", "items": ['), None
        if kind == "expired":
            return (400, JSON, json.dumps(load("youtube", "error_key_invalid.json"))), None
        raise ValueError(kind)


# ------------------------------------------------------------------ Mastodon


@dataclass
class MastodonHarness(Harness):
    """Mention notifications (`pages`) and the account's own statuses (`own`), shaped like the
    recorded Status entities in tests/data/mastodon/own_statuses.json."""

    platform: ClassVar[str] = "mastodon"
    streams: ClassVar[int] = 2  # mentions, own statuses
    edits: ClassVar[str | None] = "Mastodon does not re-send a mention notification when the status is edited"
    deletions: ClassVar[str | None] = "Mastodon does not report deleted statuses through notifications"
    secrets: ClassVar[tuple[str, ...]] = ("fakeMastodonToken_0123456789abcdefABCDEF",)
    base_url: ClassVar[str] = "https://social.test"
    ME: ClassVar[str] = "109300000000000001"
    page_size: ClassVar[int] = 2  # small, so the contract test pages
    own: list[Rec] = field(default_factory=list)

    def connector(self, base_url: str, session: requests.Session | None = None) -> Connector:
        from connectors.mastodon import MastodonConnector, MastodonSettings
        from monitor.config import Secret

        settings = MastodonSettings(
            access_token=Secret(self.secrets[0], "env:MA"), base_url=base_url, page_size=self.page_size
        )
        c = MastodonConnector(Account("ma", "mastodon", self.ME), settings, session or requests.Session())
        c.clock = lambda: NOW
        return c

    def external_id(self, rec: Rec) -> str:
        return f"1{int(rec.at.timestamp())}{len(rec.post)}"

    def _notification(self, rec: Rec) -> dict[str, Any]:
        status_id = self.external_id(rec)
        return {
            "id": str(int(rec.at.timestamp())),
            "type": "mention",
            "created_at": rec.at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "account": {
                "id": "109311111111111111",
                "username": "rowan",
                "acct": "rowan@example.social",
                "display_name": "Rowan",
                "url": "https://example.social/@rowan",
            },
            "status": {
                "id": status_id,
                "created_at": rec.at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "in_reply_to_id": "109322222222222222" if rec.reply_to else None,
                "in_reply_to_account_id": self.ME if rec.reply_to else None,
                "sensitive": False,
                "spoiler_text": "",
                "visibility": "direct" if "private" in rec.text else "public",
                "language": "en",
                "uri": f"https://example.social/users/rowan/statuses/{status_id}",
                "url": f"https://example.social/@rowan/{status_id}",
                "replies_count": 0,
                "reblogs_count": 0,
                "favourites_count": 0,
                "edited_at": None,
                "content": f'<p><span class="h-card"><a href="https://social.test/@elmfield" class="u-url mention">@<span>elmfield</span></a></span> {html.escape(rec.text)}</p>',
                "reblog": None,
                "account": {
                    "id": "109311111111111111",
                    "username": "rowan",
                    "acct": "rowan@example.social",
                    "display_name": "Rowan",
                    "url": "https://example.social/@rowan",
                },
                "media_attachments": [],
                "mentions": [
                    {
                        "id": self.ME,
                        "username": "elmfield",
                        "url": "https://social.test/@elmfield",
                        "acct": "elmfield",
                    }
                ],
                "tags": [],
                "emojis": [],
                "card": None,
                "poll": None,
            },
        }

    def own_id(self, rec: Rec) -> str:
        """A Mastodon snowflake: milliseconds << 16, so ids order as their times do."""
        return str((int(rec.at.timestamp() * 1000) << 16) + 4211 + len(rec.id))

    def own_status(self, rec: Rec) -> dict[str, Any]:
        recorded = load("mastodon", "own_statuses.json")
        status: dict[str, Any] = recorded[2 if "private" in rec.text else 0 if rec.reply_to else 1]
        status_id = self.own_id(rec)
        status.update(
            id=status_id,
            created_at=rec.at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            content=f"<p>{html.escape(rec.text)}</p>",
            uri=f"https://social.test/users/elmfield/statuses/{status_id}",
            url=f"https://social.test/@elmfield/{status_id}",
            in_reply_to_id=self.external_id(Rec(rec.reply_to, "", rec.at)) if rec.reply_to else None,
            in_reply_to_account_id="109311111111111111" if rec.reply_to else None,
        )
        return status

    @staticmethod
    def _paged(q: Mapping[str, str], every: list[dict[str, Any]]) -> str:
        """min_id: the entries just newer than it; max_id: those just older; newest first."""
        limit = int(q.get("limit", "40"))
        every = sorted(every, key=lambda n: int(n["id"]))
        if "min_id" in q:
            chosen = [n for n in every if int(n["id"]) > int(q["min_id"])][:limit]
        else:
            below = [n for n in every if "max_id" not in q or int(n["id"]) < int(q["max_id"])]
            chosen = below[-limit:]
        return json.dumps(list(reversed(chosen)))

    def install(self, mock: Any) -> None:
        def notifications(request: Any) -> Reply:
            if self.failure:
                return self.fail_reply(self.failure)[0]
            every = [self._notification(r) for page in self.pages for r in page]
            return 200, JSON, self._paged(query(request.url), every)

        def statuses(request: Any) -> Reply:
            if self.failure:
                return self.fail_reply(self.failure)[0]
            assert query(request.url)["exclude_reblogs"] == "1"
            return 200, JSON, self._paged(query(request.url), [self.own_status(r) for r in self.own])

        mock.add_callback("GET", re.compile(r".*/api/v1/notifications"), notifications)
        mock.add_callback("GET", re.compile(rf".*/api/v1/accounts/{self.ME}/statuses"), statuses)

    def fail_reply(self, kind: str) -> tuple[Reply, datetime | None]:
        if kind == "5xx":
            return (502, {"content-type": "text/html"}, "<html><body>502 Bad Gateway</body></html>"), None
        if kind in ("429", "throttled"):
            reset = NOW + timedelta(minutes=4 if kind == "429" else 5)
            headers = {
                **JSON,
                "X-RateLimit-Limit": "300",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            }
            return (429, headers, json.dumps({"error": "Too many requests"})), reset
        if kind == "malformed":
            return (200, JSON, '[{"id": "1", "type": "mention", "status": {'), None
        if kind == "expired":
            return (401, JSON, json.dumps({"error": "The access token is invalid"})), None
        raise ValueError(kind)


# ------------------------------------------------------------------ X


def invalid_request(parameter: str, value: str) -> dict[str, Any]:
    """X's answer to a parameter it refuses (a query too long, a since_id older than 7 days)."""
    return {
        "errors": [
            {
                "parameters": {parameter: [value]},
                "message": f"Invalid '{parameter}':'{value}'.",
            }
        ],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }


class XHarness(Harness):
    """Mentions (records without `reply_to`), the account's root posts (one per record's post)
    and replies deeper in those threads that do not mention it (records with `reply_to`, found
    by recent search). Ids are real snowflakes, so their time is what X would say."""

    platform = "x"
    streams = 3  # mentions, own, replies (one search for up to 12 conversations)
    deletions = "X does not report deletions; finding them means paying to re-read old posts"
    secrets = ("AAAAAAAAAAAAAAAAAAAAAFakeXBearerToken0123456789",)
    base_url = "https://x.test"
    ME = "1354143047324299264"
    HANDLE = "ElmfieldCIC"
    OTHER = "1578516242867945475"

    def connector(self, base_url: str, session: requests.Session | None = None) -> Connector:
        from connectors.x import XConnector, XSettings
        from monitor.config import Secret

        settings = XSettings(
            bearer_token=Secret(self.secrets[0], "env:X"), handle=self.HANDLE, base_url=base_url
        )
        c = XConnector(Account("x", "x", self.ME), settings, session or requests.Session())
        c.clock = lambda: NOW
        return c

    @staticmethod
    def snowflake(at: datetime) -> int:
        return (int(at.timestamp() * 1000) - 1288834974657) << 22

    def _id(self, rec: Rec) -> int:
        return self.snowflake(rec.at)

    def root_id(self, post: str) -> str:
        return str(self.snowflake(NOW - timedelta(days=1)) + int(post[1:]) + 1)

    def external_id(self, rec: Rec) -> str:
        return str(self._id(rec))

    def _tweet(self, rec: Rec) -> dict[str, Any]:
        texts: dict[str, str] = self.__dict__.setdefault("texts", {})
        original = self._id(rec)
        tweet_id = original if texts.setdefault(rec.id, rec.text) == rec.text else original + 5
        root = self.root_id(rec.post)
        tweet: dict[str, Any] = {
            "edit_history_tweet_ids": [str(original)] + ([str(tweet_id)] if tweet_id != original else []),
            "id": str(tweet_id),
            "text": f"@ElmfieldCIC {rec.text}",
            "author_id": self.OTHER,
            "conversation_id": root,
            "created_at": rec.at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        }
        if rec.reply_to:  # deeper in the thread, to someone else: no mention of the account
            parents = {r.id: r for page in self.pages for r in page}
            parent = parents.get(rec.reply_to)
            tweet["text"] = f"@sam_k {rec.text}"
            tweet["in_reply_to_user_id"] = "1520000000000000001"
            tweet["referenced_tweets"] = [
                {"type": "replied_to", "id": str(self._id(parent)) if parent else root}
            ]
        return tweet

    def _root(self, post: str) -> dict[str, Any]:
        root = self.root_id(post)
        return {
            "edit_history_tweet_ids": [root],
            "id": root,
            "text": f"Our drop-in sessions this week ({post})",
            "author_id": self.ME,
            "conversation_id": root,
            "created_at": (NOW - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        }

    @staticmethod
    def _listing(q: Mapping[str, str], token: str, pages: list[list[dict[str, Any]]]) -> Reply:
        """A v2 timeline or search body: newest first, since_id/start_time/end_time, max_results,
        next_token."""
        size = int(q.get("max_results", "100"))
        since = int(q.get("since_id", "0"))
        start, end = q.get("start_time", ""), q.get("end_time", "9999")
        chunks = []
        for page in pages:
            kept = [t for t in page if int(t["id"]) > since and start[:19] <= t["created_at"][:19] < end[:19]]
            kept.sort(key=lambda t: -int(t["id"]))
            chunks += [kept[i : i + size] for i in range(0, len(kept), size)] or [[]]
        index = int(q.get(token, "page0")[4:])
        data = chunks[index] if index < len(chunks) else []
        every = [int(t["id"]) for chunk in chunks for t in chunk]
        meta: dict[str, Any] = {"result_count": len(data)}
        if data:
            meta["newest_id"] = str(max(every) if index == 0 else max(int(t["id"]) for t in data))
            meta["oldest_id"] = str(min(int(t["id"]) for t in data))
        if index + 1 < len(chunks):
            meta["next_token"] = f"page{index + 1}"
        body: dict[str, Any] = {"data": data, "meta": meta} if data else {"meta": meta}
        return 200, JSON, json.dumps(body)

    def install(self, mock: Any) -> None:
        def mentions(request: Any) -> Reply:
            if self.failure:
                return self.fail_reply(self.failure)[0]
            pages = [[self._tweet(r) for r in page if not r.reply_to] for page in self.pages]
            return self._listing(query(request.url), "pagination_token", pages)

        def own(request: Any) -> Reply:
            if self.failure:
                return self.fail_reply(self.failure)[0]
            posts = sorted({r.post for page in self.pages for r in page}, key=lambda p: int(p[1:]))
            return self._listing(query(request.url), "pagination_token", [[self._root(p) for p in posts]])

        def search(request: Any) -> Reply:
            if self.failure:
                return self.fail_reply(self.failure)[0]
            q = query(request.url)
            text = q["query"]
            horizon = NOW - timedelta(days=7)
            if len(text) > 512 or f"-from:{self.ME}" not in text:
                return 400, JSON, json.dumps(invalid_request("query", text))
            if "since_id" in q and int(q["since_id"]) < self.snowflake(horizon):
                return 400, JSON, json.dumps(invalid_request("since_id", q["since_id"]))
            wanted = set(re.findall(r"conversation_id:(\d+)", text))
            pages = [[self._tweet(r) for r in page if r.reply_to] for page in self.pages]
            pages = [[t for t in page if t["conversation_id"] in wanted] for page in pages]
            return self._listing(q, "next_token", pages)

        mock.add_callback("GET", re.compile(r".*/2/users/\d+/mentions"), mentions)
        mock.add_callback("GET", re.compile(r".*/2/users/\d+/tweets"), own)
        mock.add_callback("GET", re.compile(r".*/2/tweets/search/recent"), search)

    def fail_reply(self, kind: str) -> tuple[Reply, datetime | None]:
        reset = NOW + timedelta(minutes=12)
        if kind == "5xx":
            body = {
                "title": "Service Unavailable",
                "detail": "Service Unavailable",
                "type": "about:blank",
                "status": 503,
            }
            return (503, JSON, json.dumps(body)), None
        if kind in ("429", "throttled"):
            headers = {
                **JSON,
                "x-rate-limit-limit": "300",
                "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": str(int(reset.timestamp())),
            }
            body = {
                "title": "Too Many Requests",
                "detail": "Too Many Requests",
                "type": "about:blank",
                "status": 429,
            }
            return (429, headers, json.dumps(body)), reset
        if kind == "malformed":
            return (200, JSON, '{"data": [{"id": "1"'), None
        if kind == "expired":
            body = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
            return (401, JSON, json.dumps(body)), None
        raise ValueError(kind)


HARNESSES: tuple[type[Harness], ...] = (
    FacebookHarness,
    InstagramHarness,
    YouTubeHarness,
    MastodonHarness,
    XHarness,
)
