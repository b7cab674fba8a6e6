"""Facebook Page: comments and replies on the Page's posts, posts that tag the Page, and the
Page's own posts and replies (kind own_post, author_is_org), through the Graph API.

Streams and their marks (time of the newest item seen, never a cursor):

    feed     GET /{page}/feed?since=…&fields=…,comments.filter(stream)…{…,parent{id}}
             One request covers up to `page_size` posts with their newest 50 comments each;
             `filter(stream)` flattens replies-to-replies and `parent` rebuilds the thread.
             A post's comment list is followed further only when it holds more new comments.
    tagged   GET /{page}/tagged — posts by others that tag or mention the Page.

Edits and deletions: the newest comments of every watched post come back with each poll at
no extra cost, so a changed text is yielded again (the store updates and re-classifies it),
and a comment we saw in the last `recheck_hours` that is missing from a complete list is
reported deleted. The ids (never text) of those recent comments live in the feed mark.
"""

from __future__ import annotations

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

FEED, TAGGED = "feed", "tagged"
MAX_PAGES = 50  # a guard against a platform that keeps sending `next`
COMMENT_FIELDS = "id,message,from{id,name},created_time,permalink_url,parent{id},is_hidden,can_hide"
POST_FIELDS = "id,message,from{id,name},created_time,updated_time,permalink_url"


@dataclass(frozen=True)
class FacebookSettings:
    page_token: Secret  # a Page access token (see the README: which permissions)
    app_secret: Secret | None = None  # when given, every call carries appsecret_proof
    base_url: str = "https://graph.facebook.com"
    api_version: str = GRAPH_VERSION
    post_days: int = 14  # posts this recent are watched for new comments
    first_poll_days: int = 7  # how far back the very first poll looks
    overlap_minutes: int = 10  # re-read this much before the mark (late, out-of-order items)
    recheck_hours: int = 48  # edits and deletions are noticed for this long
    page_size: int = 25  # posts per request (≤ 100)
    comments_per_post: int = 50  # comments per post in the same request


class FacebookConnector(GraphConnector):
    platform: ClassVar[str] = "facebook"
    Settings: ClassVar[type[FacebookSettings]] = FacebookSettings

    def __init__(self, account: Account, settings: FacebookSettings, session: requests.Session) -> None:
        super().__init__(account, settings, session, token=settings.page_token)
        self.settings = settings
        self.page_id = account.account_id

    # ------------------------------------------------------------------ fetch

    def fetch(self, marks: Mapping[str, Mark], since: datetime | None) -> Iterator[Page]:
        now = self.clock()
        yield from self._feed(marks.get(FEED) or Mark(), since, now)
        yield from self._tagged(marks.get(TAGGED) or Mark(), since, now)

    def _feed(self, mark: Mark, since: datetime | None, now: datetime) -> Iterator[Page]:
        s = self.settings
        floor = self._floor(mark, since, now)
        post_floor = min(floor, now - timedelta(days=s.post_days))
        recent = http.load_recent(mark.extra)
        keep = timedelta(hours=s.recheck_hours)
        comments = (
            f"comments.filter(stream).order(reverse_chronological).limit({s.comments_per_post})"
            f"{{{COMMENT_FIELDS}}}"
        )
        target: str | None = f"{self.page_id}/feed"
        params: dict[str, Any] | None = {
            "fields": f"{POST_FIELDS},{comments}",
            "limit": s.page_size,
            "since": int(post_floor.timestamp()),
        }
        newest = mark.time
        for number in range(MAX_PAGES):
            assert target is not None
            body = self.graph.get(target, params)
            items: list[Item] = []
            deleted: list[str] = []
            for post in data_list(body):
                got, gone = self._post(post, floor, recent, now - keep)
                items += got
                deleted += gone
            for item in items:
                newest = item.created_at if newest is None or item.created_at > newest else newest
            target, params = next_link(body), None
            last = target is None or number == MAX_PAGES - 1
            marks = {FEED: Mark(time=newest, extra={"recent": http.dump_recent(recent, now, keep)})}
            yield Page(
                items=tuple(items),
                marks=marks if last else {},
                rate_limit=self.graph.usage,
                requests=self.graph.take_requests(),
                deleted=tuple(deleted),
            )
            if last:
                return

    def _post(
        self, post: Mapping[str, Any], floor: datetime, recent: dict[str, dict[str, float]], horizon: datetime
    ) -> tuple[list[Item], list[str]]:
        """Items of one feed entry (the post and its comments) and the comments gone since."""
        post_id = str(post.get("id", ""))
        if not post_id:
            return [], []
        items: list[Item] = []
        own = recent.setdefault(post_id, {})
        item = self._item(post, post_id=None, default_kind=ItemKind.MENTION)
        if item is not None and (item.created_at > floor or post_id in own):
            items.append(item)
            if item.created_at >= horizon:
                own[post_id] = item.created_at.timestamp()
        edge: Mapping[str, Any] = post.get("comments") or {}
        seen: set[str] = {post_id}
        complete = True
        while True:
            for comment in data_list(edge):
                c = self._item(comment, post_id=post_id, default_kind=ItemKind.COMMENT)
                if c is None:
                    continue
                seen.add(c.external_id)
                if c.created_at > floor or c.external_id in own:
                    items.append(c)
                    if c.created_at >= horizon:
                        own[c.external_id] = c.created_at.timestamp()
            more = next_link(edge)
            oldest = min(
                (t for t in (http.parse_time(c.get("created_time")) for c in data_list(edge)) if t),
                default=None,
            )
            if more is None:
                break
            if oldest is None or oldest <= floor:
                complete = False  # older comments exist that we did not re-read
                break
            edge = self.graph.get(more)
        gone = [i for i in own if i not in seen] if complete else []
        for i in gone:
            own.pop(i, None)
        return items, gone

    def _tagged(self, mark: Mark, since: datetime | None, now: datetime) -> Iterator[Page]:
        floor = self._floor(mark, since, now)
        target: str | None = f"{self.page_id}/tagged"
        params: dict[str, Any] | None = {"fields": POST_FIELDS, "limit": self.settings.page_size}
        newest = mark.time
        for number in range(MAX_PAGES):
            assert target is not None
            body = self.graph.get(target, params)
            items = []
            oldest: datetime | None = None
            for post in data_list(body):
                item = self._item(post, post_id=None, default_kind=ItemKind.MENTION)
                if item is None:
                    continue
                oldest = item.created_at if oldest is None or item.created_at < oldest else oldest
                if item.created_at > floor:
                    items.append(item)
                    newest = item.created_at if newest is None or item.created_at > newest else newest
            target, params = next_link(body), None
            # Newest first: once a page reaches below the floor, the rest is older still.
            last = target is None or (oldest is not None and oldest <= floor) or number == MAX_PAGES - 1
            yield Page(
                items=tuple(items),
                marks={TAGGED: Mark(time=newest)} if last and newest else {},
                rate_limit=self.graph.usage,
                requests=self.graph.take_requests(),
            )
            if last:
                return

    def _item(self, raw: Mapping[str, Any], *, post_id: str | None, default_kind: ItemKind) -> Item | None:
        external_id = raw.get("id")
        created = http.parse_time(raw.get("created_time"))
        if not isinstance(external_id, str) or created is None:
            return None
        author = raw.get("from") if isinstance(raw.get("from"), dict) else {}
        assert isinstance(author, dict)
        author_id = str(author["id"]) if author.get("id") is not None else None
        is_org = author_id == self.page_id
        parent = raw.get("parent") if isinstance(raw.get("parent"), dict) else None
        if is_org:
            kind = ItemKind.OWN_POST
        elif parent is not None:
            kind = ItemKind.REPLY
        else:
            kind = default_kind
        updated = http.parse_time(raw.get("updated_time"))
        return Item(
            platform=self.platform,
            external_id=external_id,
            account=self.account.name,
            kind=kind,
            text=str(raw.get("message") or ""),
            created_at=created,
            post_id=post_id,
            parent_id=str(parent["id"]) if parent and parent.get("id") else None,
            author_id=author_id,
            author_name=str(author["name"]) if author.get("name") else None,
            author_is_org=is_org,
            permalink=str(raw["permalink_url"]) if raw.get("permalink_url") else None,
            updated_at=updated if updated and updated > created else None,
            raw=raw,
        )

    # ------------------------------------------------------------------ check and hide

    def check(self) -> list[str]:
        """One feed entry with one comment: needs pages_read_engagement and pages_read_user_content."""
        try:
            self.graph.get(
                f"{self.page_id}/feed",
                {"fields": "id,from{id},comments.limit(1){id,from{id},message}", "limit": 1},
            )
        except AuthError as exc:
            text = str(exc)
            if "lacks" in text:
                return [text.replace("facebook: the token", "Page token", 1)]
            return [text]
        except PermanentError as exc:
            return [f"{exc} (is account_id the Page's numeric id?)"]
        return []

    def hide(self, external_id: str) -> None:
        """Hide a comment (needs pages_manage_engagement); Facebook does not hide posts this way."""
        body = self.graph.request("POST", external_id, {"is_hidden": "true"})
        if body.get("success") is not True:
            raise PermanentError(f"facebook: hiding {external_id} was not confirmed")
