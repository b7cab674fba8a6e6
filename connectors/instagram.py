"""Instagram (Business or Creator account) through the Graph API.

Streams and their marks (time of the newest item seen, never a cursor):

    media   GET /{ig-user}/media?fields=…,comments.limit(50){…,replies{…}}
            The account's own captions (kind own_post) and the comments and replies on its
            recent media, many media per request. Instagram has no `since`: media come newest
            first and we stop below the mark. Replies by the account are own_post too.
    tags    GET /{ig-user}/tags — media in which others tagged the account (the pollable kind
            of mention; @mentions in comments are only delivered by webhook).

Edits and deletions are noticed as on Facebook: the newest comments of each watched media come
back every poll, so changed text is yielded again and a recently seen comment missing from a
complete list is reported deleted. Works with graph.facebook.com (Facebook Login) and
graph.instagram.com (Instagram Login): set `base_url`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

import requests

from connectors import http
from connectors.graph import GRAPH_VERSION, GraphConnector, data_list, next_link
from monitor.config import Secret
from monitor.errors import AuthError, PermanentError
from monitor.types import Account, Item, ItemKind, Mark, Page

MEDIA, TAGS = "media", "tags"
MAX_PAGES = 50
REPLY_FIELDS = "id,text,timestamp,username,from,hidden,parent_id"
MEDIA_FIELDS = "id,caption,timestamp,permalink,username,comments_count"


@dataclass(frozen=True)
class InstagramSettings:
    access_token: Secret  # see the README: which login, which permissions
    app_secret: Secret | None = None
    username: str | None = None  # the account's @name (without @): its own replies are own_post
    base_url: str = "https://graph.facebook.com"  # or https://graph.instagram.com
    api_version: str = GRAPH_VERSION
    post_days: int = 14
    first_poll_days: int = 7
    overlap_minutes: int = 10
    recheck_hours: int = 48
    page_size: int = 25
    comments_per_post: int = 50


class InstagramConnector(GraphConnector):
    platform: ClassVar[str] = "instagram"
    Settings: ClassVar[type[InstagramSettings]] = InstagramSettings

    def __init__(self, account: Account, settings: InstagramSettings, session: requests.Session) -> None:
        super().__init__(account, settings, session, token=settings.access_token)
        self.settings = settings
        self.user_id = account.account_id

    def fetch(self, marks: Mapping[str, Mark], since: datetime | None) -> Iterator[Page]:
        now = self.clock()
        yield from self._media(marks.get(MEDIA) or Mark(), since, now)
        yield from self._tags(marks.get(TAGS) or Mark(), since, now)

    def _media(self, mark: Mark, since: datetime | None, now: datetime) -> Iterator[Page]:
        s = self.settings
        floor = self._floor(mark, since, now)
        post_floor = min(floor, now - timedelta(days=s.post_days))
        recent = http.load_recent(mark.extra)
        keep = timedelta(hours=s.recheck_hours)
        comments = (
            f"comments.limit({s.comments_per_post}){{{REPLY_FIELDS},like_count,replies{{{REPLY_FIELDS}}}}}"
        )
        target: str | None = f"{self.user_id}/media"
        params: dict[str, Any] | None = {"fields": f"{MEDIA_FIELDS},{comments}", "limit": s.page_size}
        newest = mark.time
        for number in range(MAX_PAGES):
            assert target is not None
            body = self.graph.get(target, params)
            items: list[Item] = []
            deleted: list[str] = []
            oldest: datetime | None = None
            for media in data_list(body):
                created = http.parse_time(media.get("timestamp"))
                if created is not None:
                    oldest = created if oldest is None or created < oldest else oldest
                got, gone = self._one_media(media, floor, recent, now - keep)
                items += got
                deleted += gone
            for item in items:
                newest = item.created_at if newest is None or item.created_at > newest else newest
            target, params = next_link(body), None
            last = target is None or (oldest is not None and oldest < post_floor) or number == MAX_PAGES - 1
            marks = {MEDIA: Mark(time=newest, extra={"recent": http.dump_recent(recent, now, keep)})}
            yield Page(
                items=tuple(items),
                marks=marks if last else {},
                rate_limit=self.graph.usage,
                requests=self.graph.take_requests(),
                deleted=tuple(deleted),
            )
            if last:
                return

    def _one_media(
        self,
        media: Mapping[str, Any],
        floor: datetime,
        recent: dict[str, dict[str, float]],
        horizon: datetime,
    ) -> tuple[list[Item], list[str]]:
        media_id = str(media.get("id") or "")
        if not media_id:
            return [], []
        own = recent.setdefault(media_id, {})
        items: list[Item] = []
        seen = {media_id}

        def keep(item: Item | None) -> None:
            if item is None:
                return
            seen.add(item.external_id)
            if item.created_at > floor or item.external_id in own:
                items.append(item)
                if item.created_at >= horizon:
                    own[item.external_id] = item.created_at.timestamp()

        caption = self._item(media, text_key="caption", media_id=None, permalink=media.get("permalink"))
        if caption is not None:  # /media lists the account's own media only
            caption = dataclasses.replace(caption, kind=ItemKind.OWN_POST, author_is_org=True)
        keep(caption)
        edge: Mapping[str, Any] = media.get("comments") or {}
        complete = True
        while True:
            for comment in data_list(edge):
                keep(self._item(comment, text_key="text", media_id=media_id))
                replies = comment.get("replies")
                for reply in data_list(replies) if isinstance(replies, dict) else []:
                    keep(self._item(reply, text_key="text", media_id=media_id, parent=str(comment.get("id"))))
                if isinstance(replies, dict) and next_link(replies):
                    complete = False  # more replies than the expansion returned
            more = next_link(edge)
            times = [http.parse_time(c.get("timestamp")) for c in data_list(edge)]
            oldest = min((t for t in times if t), default=None)
            if more is None:
                break
            if oldest is None or oldest <= floor:
                complete = False
                break
            edge = self.graph.get(more)
        gone = [i for i in own if i not in seen] if complete else []
        for i in gone:
            own.pop(i, None)
        return items, gone

    def _tags(self, mark: Mark, since: datetime | None, now: datetime) -> Iterator[Page]:
        floor = self._floor(mark, since, now)
        target: str | None = f"{self.user_id}/tags"
        params: dict[str, Any] | None = {"fields": MEDIA_FIELDS, "limit": self.settings.page_size}
        newest = mark.time
        for number in range(MAX_PAGES):
            assert target is not None
            body = self.graph.get(target, params)
            items = []
            oldest: datetime | None = None
            for media in data_list(body):
                item = self._item(media, text_key="caption", media_id=None, permalink=media.get("permalink"))
                if item is None:
                    continue
                item = dataclasses.replace(item, kind=ItemKind.MENTION)
                oldest = item.created_at if oldest is None or item.created_at < oldest else oldest
                if item.created_at > floor:
                    items.append(item)
                    newest = item.created_at if newest is None or item.created_at > newest else newest
            target, params = next_link(body), None
            last = target is None or (oldest is not None and oldest <= floor) or number == MAX_PAGES - 1
            yield Page(
                items=tuple(items),
                marks={TAGS: Mark(time=newest)} if last and newest else {},
                rate_limit=self.graph.usage,
                requests=self.graph.take_requests(),
            )
            if last:
                return

    def _item(
        self,
        raw: Mapping[str, Any],
        *,
        text_key: str,
        media_id: str | None,
        parent: str | None = None,
        permalink: Any = None,
    ) -> Item | None:
        external_id = raw.get("id")
        created = http.parse_time(raw.get("timestamp"))
        if not isinstance(external_id, str) or created is None:
            return None
        author = raw.get("from") if isinstance(raw.get("from"), dict) else {}
        assert isinstance(author, dict)
        handle = raw.get("username") or author.get("username")
        author_id = str(author["id"]) if author.get("id") else None
        own_name = (self.settings.username or "").lstrip("@").lower()
        is_org = author_id == self.user_id or (bool(own_name) and str(handle or "").lower() == own_name)
        parent = parent or (str(raw["parent_id"]) if raw.get("parent_id") else None)
        kind = ItemKind.OWN_POST if is_org else ItemKind.REPLY if parent else ItemKind.COMMENT
        return Item(
            platform=self.platform,
            external_id=external_id,
            account=self.account.name,
            kind=kind,
            text=str(raw.get(text_key) or ""),
            created_at=created,
            post_id=media_id,
            parent_id=parent,
            author_id=author_id,
            author_handle=str(handle) if handle else None,
            author_is_org=is_org,
            permalink=str(permalink) if permalink else None,
            raw=raw,
        )

    def check(self) -> list[str]:
        """One comment of one media: needs instagram_basic + instagram_manage_comments (or the
        instagram_business_* equivalents with Instagram Login)."""
        try:
            self.graph.get(f"{self.user_id}/media", {"fields": "id,comments.limit(1){id,text}", "limit": 1})
        except AuthError as exc:
            return [str(exc).replace("instagram: the token", "Instagram token", 1)]
        except PermanentError as exc:
            return [f"{exc} (is account_id the Instagram professional account's id?)"]
        return []

    def hide(self, external_id: str) -> None:
        """Hide a comment (needs instagram_manage_comments / instagram_business_manage_comments)."""
        body = self.graph.request("POST", external_id, {"hide": "true"})
        if body.get("success") is not True:
            raise PermanentError(f"instagram: hiding {external_id} was not confirmed")
