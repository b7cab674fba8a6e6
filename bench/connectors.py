"""Requests per poll, per platform, and what X charges for them.

1. An idle poll, and a poll that finds 250 new comments spread over 40 posts, against naive
   per-post polling (list the posts, then one request per post).
2. Four `monitor scan`s, each a new process with the same database and state directory, through
   the real pipeline (`pipeline.poll`, SQLite): a first scan (those 250 comments), an idle scan
   ten minutes later, an incremental one (5 new items), and `--since 30d` the next UTC day.
   Requests per platform, and for X the posts read, the reads billed (each post once per UTC day,
   owned reads apart) and the cost estimate from the price table in monitor/pricing.py.

HTTP is faked: `responses` for requests-based connectors, a loopback server for Bluesky (httpx),
with the same harnesses as the contract test.

    .venv/bin/python bench/connectors.py
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import requests
import responses

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor import pipeline, pricing
from monitor.config import AccountConfig, Config
from monitor.store import Store, accounts, open_store
from monitor.store.vault import SessionVault
from monitor.types import ReadRoute
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
    if isinstance(h, YouTubeHarness):  # 100 threads a page, newest first, replies inside their thread
        tops = sorted((r for r in recs if not r.reply_to), key=lambda r: r.at, reverse=True)
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


# ------------------------------------------------------------------ four scans through the pipeline

SCENARIOS: tuple[tuple[str, timedelta, datetime | None], ...] = (
    ("first scan", timedelta(0), None),
    ("idle, 10 min later", timedelta(minutes=10), None),
    ("5 new items", timedelta(minutes=20), None),
    ("--since 30d, next day", timedelta(days=1), NOW + timedelta(days=1) - timedelta(days=30)),
)


def five_new() -> list[Rec]:
    """Three comments or mentions and two replies to a comment of the first scan, after it."""
    at = [NOW + timedelta(minutes=12 + n) for n in range(5)]
    return [
        *(Rec(f"n{n}", f"new {n}", at[n], post=f"p{n}") for n in range(3)),
        *(Rec(f"n{n}", f"new {n}", at[n], post="p5", reply_to="c45") for n in range(3, 5)),
    ]


@dataclass
class Scan:
    requests: int = 0
    new: int = 0  # items stored for the first time
    read: int = 0  # posts in the answers (X)
    owned: int = 0  # billed owned reads
    posts: int = 0  # billed post reads
    error: str | None = None


@contextmanager
def served(h: Harness) -> Iterator[tuple[str, Callable[[], int]]]:
    """The harness behind a fake API: its base URL, and a function counting the X posts answered
    since it was last called."""
    if getattr(h, "loopback", False):
        with fakeserver.running() as server:
            h.install(server)
            yield server.base_url, lambda: 0
        return
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        h.install(RespMock(rsps, h.base_url))

        def answered() -> int:
            bodies = [c.response.json() for c in rsps.calls if isinstance(c.response, requests.Response)]
            rsps.calls.reset()
            return sum(len(b.get("data") or []) for b in bodies if isinstance(b, dict))

        yield h.base_url, answered


def scans(h: Harness, store: Store, state: Path) -> list[Scan]:
    """The four scenarios for one platform, each a new process: a new connector, the same store."""
    cfg = AccountConfig(f"{h.platform}-main", h.platform, "bench")
    config = Config(path=None, state_dir=state, accounts=(cfg,))
    with store.transaction() as session:
        accounts.ensure(session, [pipeline.account_of(cfg)])
    first = burst()
    out = []
    with served(h) as (base_url, answered):
        for number, (_, later, since) in enumerate(SCENARIOS):
            h.serve(*pages_for(h, first + (five_new() if number >= 2 else [])))
            clock = lambda later=later: NOW + later  # noqa: E731
            if isinstance(h, BlueskyHarness):
                h.cache.clear()  # a new process: nothing in memory
            connector: Any = h.connector(base_url)
            connector.clock = clock
            if hasattr(connector, "vault"):
                connector.vault = SessionVault(state / "sessions")
            ctx = pipeline.Context(config, store, classifier=None, clock=clock)  # type: ignore[arg-type]
            ctx.connectors[cfg.name] = connector
            with store.transaction() as session:
                before = accounts.usage_since(session, cfg.name, "2000-01-01")
            result = pipeline.poll(ctx, cfg, since=since)
            with store.transaction() as session:
                after = accounts.usage_since(session, cfg.name, "2000-01-01")
            owned = after.owned_reads - before.owned_reads
            posts = after.reads - before.reads - owned
            out.append(Scan(result.requests, result.items_new, answered(), owned, posts, result.error))
    return out


def print_scans() -> None:
    prices = pricing.READ_PRICES_USD["x"]
    print(f"\nPrice table (monitor/pricing.py): {pricing.PRICE_SOURCE} as of {pricing.PRICES_AS_OF}")
    print(f"  owned read  ${prices[ReadRoute.OWNED]:.3f}  mentions of the account that owns the app")
    print(
        f"  post read   ${prices[ReadRoute.POST]:.3f}  everything else read: its own timeline, replies found by search"
    )
    print("  a post is billed once per UTC day, however often it is read")
    names = [name for name, _, _ in SCENARIOS]
    results: dict[str, list[Scan]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-connectors-") as tmp:
        store = open_store(f"sqlite:///{tmp}/monitor.db")
        try:
            for cls in (*HARNESSES, BlueskyHarness):
                h = cls()
                results[h.platform] = scans(h, store, Path(tmp))
        finally:
            store.close()
    print("\nRequests (new items) per `monitor scan`, each a new process on one database and state directory")
    print(f"{'platform':<10}" + "".join(f"{n:>24}" for n in names))
    for platform, row in results.items():
        cells = [s.error[:22] if s.error else f"{s.requests} ({s.new})" for s in row]
        print(f"{platform:<10}" + "".join(f"{c:>24}" for c in cells))
    print("\nX per scan: posts in the answers, reads billed (owned + post), estimated cost")
    print(f"{'scan':<24}{'requests':>9}{'posts read':>12}{'billed owned':>14}{'billed post':>13}{'cost':>9}")
    total = pricing.Cost("x", 0, 0)
    for name, scan in zip(names, results["x"], strict=True):
        cost = pricing.Cost("x", scan.owned, scan.posts)
        total = pricing.Cost("x", total.owned + scan.owned, total.posts + scan.posts)
        print(
            f"{name:<24}{scan.requests:>9}{scan.read:>12}{scan.owned:>14}{scan.posts:>13}{f'${cost.usd:.2f}':>9}"
        )
    read = sum(s.read for s in results["x"])
    print(f"{'all four':<24}{'':>9}{read:>12}{total.owned:>14}{total.posts:>13}{f'${total.usd:.2f}':>9}")
    print(f"  monitor status: this month: {total.basis} ({total.source})")
    flat = read * prices[ReadRoute.POST]
    print(
        f"  (priced flat, as before, every post read at ${prices[ReadRoute.POST]:.3f}: {read} × ${prices[ReadRoute.POST]:.3f} = ${flat:.2f})"
    )


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
    print_scans()


if __name__ == "__main__":
    main()
