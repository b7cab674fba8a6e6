"""Requests per poll, per platform: an idle poll, and a poll that finds 250 new comments
spread over 40 posts, against naive per-post polling (list the posts, then one request per
post). HTTP is mocked with `responses` (the same harnesses as the contract test).

    .venv/bin/python bench/connectors.py
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests
import responses

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.connectors import fakeserver
from tests.connectors.harness import (
    HARNESSES,
    NOW,
    FacebookHarness,
    Harness,
    InstagramHarness,
    MastodonHarness,
    Rec,
    RespMock,
    XHarness,
    YouTubeHarness,
    merge_marks,
)
from tests.connectors.harness_bluesky import BlueskyHarness

POSTS, ITEMS = 40, 250


def burst() -> list[Rec]:
    """250 comments over 40 posts in the last 5 hours, a reply every third one."""
    recs = []
    for n in range(ITEMS):
        post = f"p{n % POSTS}"
        at = NOW - timedelta(minutes=5 + n)
        reply_to = f"c{n - POSTS}" if n % 3 == 2 and n >= POSTS else None
        recs.append(Rec(f"c{n}", f"comment {n}", at, post=post, reply_to=reply_to))
    return recs


def pages_for(h: Harness, recs: list[Rec]) -> list[list[Rec]]:
    """How the platform would page this: by post (Graph API feeds) or by item."""
    if isinstance(h, FacebookHarness | InstagramHarness):
        posts = sorted({r.post for r in recs}, key=lambda p: int(p[1:]))
        per_page = 25
        groups = [posts[i : i + per_page] for i in range(0, len(posts), per_page)]
        return [[r for r in recs if r.post in g] for g in groups]
    if isinstance(h, YouTubeHarness):  # 100 threads a page, replies inside their thread
        tops = [r for r in recs if not r.reply_to]
        groups = [tops[i : i + 100] for i in range(0, len(tops), 100)]
        return [
            [r for r in recs if (r.reply_to and f"c{r.reply_to[1:]}" in {t.id for t in g}) or r in g]
            for g in groups
        ]
    if isinstance(h, BlueskyHarness):  # notifications, newest first, page_size a page
        ordered = sorted(recs, key=lambda r: r.at, reverse=True)
        return [ordered[i : i + h.page_size] for i in range(0, len(ordered), h.page_size)]
    return [recs]


def run_loopback(h: Harness) -> tuple[int, int, int, int]:
    """httpx clients (Bluesky) against the loopback fake server; the connector is kept between
    the two polls as the daemon keeps it, so the busy poll includes its one login."""
    with fakeserver.running() as server:
        h.install(server)
        h.serve(*pages_for(h, burst()))
        pages = list(h.connector(server.base_url).fetch({}, None))
        busy = sum(p.requests for p in pages)
        items = sum(len(p.items) for p in pages)
        marks = merge_marks({}, pages)
        idle = sum(p.requests for p in h.connector(server.base_url).fetch(marks, None))
    return idle, busy, items, 0


def run(h: Harness) -> tuple[int, int, int, int]:
    if getattr(h, "loopback", False):
        return run_loopback(h)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        mock = RespMock(rsps, h.base_url)
        h.install(mock)
        h.serve(*pages_for(h, burst()))
        pages = list(h.connector(mock.base_url).fetch({}, None))
        busy = sum(p.requests for p in pages)
        items = sum(len(p.items) for p in pages)
        reads = sum(len(p.reads) for p in pages)
        marks = merge_marks({}, pages)
        rsps.calls.reset()
        idle = sum(p.requests for p in h.connector(mock.base_url).fetch(marks, None))
    return idle, busy, items, reads


X_STREAMS = (("mentions", "/mentions"), ("own", "/tweets"), ("replies", "/search/recent"))


def x_streams() -> list[tuple[str, int, int, int, int]]:
    """X per stream: (stream, busy requests, busy posts read, idle requests, idle posts read).
    Posts read are counted from the response bodies (`data`), which is what X charges for."""

    def tally(calls: responses.CallList) -> dict[str, tuple[int, int]]:
        out = {name: (0, 0) for name, _ in X_STREAMS}
        for call in calls:
            name = next(n for n, path in X_STREAMS if (call.request.url or "").split("?")[0].endswith(path))
            body: dict[str, Any] = (
                call.response.json() if isinstance(call.response, requests.Response) else {}
            )
            made, reads = out[name]
            out[name] = (made + 1, reads + len(body.get("data") or []))
        return out

    h = XHarness()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        h.install(RespMock(rsps, h.base_url))
        h.serve(*pages_for(h, burst()))
        pages = list(h.connector(h.base_url).fetch({}, None))
        busy = tally(rsps.calls)
        rsps.calls.reset()
        list(h.connector(h.base_url).fetch(merge_marks({}, pages), None))
        idle = tally(rsps.calls)
    return [(name, *busy[name], *idle[name]) for name, _ in X_STREAMS]


def main() -> None:
    MastodonHarness.page_size = 40
    print(
        f"{'platform':<10} {'streams':>7} {'idle poll':>9} {'250 new/40 posts':>16} {'naive per-post':>14} {'items':>6} {'reads':>6}"
    )
    for cls in (*HARNESSES, BlueskyHarness):
        h = cls()
        idle, busy, items, reads = run(h)
        naive = 1 + POSTS + (h.streams - 1)  # list posts, one call per post, other streams
        print(f"{h.platform:<10} {h.streams:>7} {idle:>9} {busy:>16} {naive:>14} {items:>6} {reads:>6}")
    print(f"\nx per stream ({POSTS} conversations watched) requests / posts read")
    print(f"{'stream':<10} {'250 new/40 posts':>16} {'idle poll':>10}")
    for name, busy_requests, busy_reads, idle_requests, idle_reads in x_streams():
        print(f"{name:<10} {f'{busy_requests} / {busy_reads}':>16} {f'{idle_requests} / {idle_reads}':>10}")


if __name__ == "__main__":
    main()
