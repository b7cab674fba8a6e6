"""X: replies in the account's own conversations (recent search by conversation_id), each post
read once across polls, query batching within 512 characters, the 7-day search window, errors
from the search stream, the handle setting and check()."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from connectors.x import MAX_ROOTS, XConnector, XSettings, conversation_queries, snowflake_time
from monitor.config import Secret
from monitor.errors import AuthError, ConfigError, PermanentError, RateLimited, TransientError
from monitor.types import Account, ItemKind, Mark, Page, ReadRoute
from tests.connectors.harness import JSON, NOW, Rec, RespMock, XHarness, load, merge_marks, query, t

ME = XHarness.ME
BASE = "https://x.test"
MENTIONS = re.compile(r".*/2/users/\d+/mentions.*")
OWN = re.compile(r".*/2/users/\d+/tweets.*")
SEARCH = re.compile(r".*/2/tweets/search/recent.*")
ROOT1, ROOT2 = "2124186073299767297", "2124488063186640899"


def connector(**kw: Any) -> XConnector:
    settings = XSettings(
        **{
            "bearer_token": Secret(XHarness.secrets[0], "env:X"),
            "handle": "ElmfieldCIC",
            "base_url": BASE,
            **kw,
        }
    )
    c = XConnector(Account("x", "x", ME), settings, requests.Session())
    c.clock = lambda: NOW
    return c


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def searches(rsps: responses.RequestsMock) -> list[dict[str, str]]:
    return [query(c.request.url or "") for c in rsps.calls if "/search/recent" in (c.request.url or "")]


def items(pages: list[Page]) -> dict[str, Any]:
    return {i.external_id: i for p in pages for i in p.items}


def serve_recorded(rsps: responses.RequestsMock) -> None:
    """Nothing mentions the account; its own posts; two pages of replies in its threads."""
    rsps.get(MENTIONS, json=load("x", "empty.json"))
    rsps.get(OWN, json=load("x", "own_tweets.json"))

    def search(request: Any) -> tuple[int, dict[str, str], str]:
        page = "search_page2.json" if "next_token" in query(request.url) else "search_page1.json"
        return 200, JSON, json.dumps(load("x", page))

    rsps.add_callback(responses.GET, SEARCH, callback=search)


def test_replies_in_own_conversations_are_read_by_search(rsps: responses.RequestsMock) -> None:
    serve_recorded(rsps)
    pages = list(connector().fetch({}, None))
    first, second = searches(rsps)
    # Roots only: not the retweet, not the reply in someone else's thread, not the thread's
    # continuation; newest first; the account's own posts and its mentions left out.
    assert first["query"] == (
        f"(conversation_id:{ROOT2} OR conversation_id:{ROOT1}) -from:{ME} -@ElmfieldCIC"
    )
    assert first["start_time"] == "2026-11-21T09:00:00Z" and "since_id" not in first
    assert first["max_results"] == "100"
    assert set(first["tweet.fields"].split(",")) >= {
        "conversation_id",
        "created_at",
        "author_id",
        "in_reply_to_user_id",
        "referenced_tweets",
    }
    assert "expansions" not in first, "expanded users or posts would be charged as extra reads"
    assert second["next_token"] == "b26v89c19zqg8o3fpdg1yp4j5kkpe6nvz8ezbjoy4b6yl"
    assert second["query"] == first["query"] and second["start_time"] == first["start_time"]

    got = items(pages)
    reply = got["2124779735090020355"]
    assert reply.kind is ItemKind.REPLY and not reply.author_is_org
    assert reply.post_id == ROOT2 and reply.parent_id == "2124766145541844993"
    assert reply.author_id == "1449730212001554432"
    assert reply.permalink == "https://x.com/i/web/status/2124779735090020355"
    assert reply.created_at == NOW - timedelta(minutes=41)
    assert got["2124518262176354305"].parent_id == "2124450311772196865"
    assert got[ROOT1].kind is ItemKind.OWN_POST
    replies = [i for i in got.values() if i.kind is ItemKind.REPLY]
    assert len(replies) == 5

    assert sum(len(p.reads) for p in pages) == 5 + 5  # own posts + replies, nothing twice
    assert sum(p.requests for p in pages) == len(rsps.calls) == 4
    marks = merge_marks({}, pages)
    assert marks["replies"].id == "2124787033176952834"  # page one's newest_id
    assert marks["replies"].time == NOW - timedelta(minutes=12)
    assert [p for p in pages if "replies" in p.marks] == pages[-1:], "the mark moves on the last page"
    roots = json.loads(marks["own"].extra["recent"])["roots"]
    assert set(roots) == {ROOT1, ROOT2}


def test_next_poll_reads_nothing_twice(rsps: responses.RequestsMock) -> None:
    serve_recorded(rsps)
    marks = merge_marks({}, list(connector().fetch({}, None)))
    rsps.reset()
    rsps.get(MENTIONS, json=load("x", "empty.json"))
    rsps.get(OWN, json=load("x", "empty.json"))
    rsps.get(SEARCH, json=load("x", "empty.json"))
    again = list(connector().fetch(marks, None))
    (sent,) = searches(rsps)
    assert sent["since_id"] == "2124787033176952834" and "start_time" not in sent
    assert f"conversation_id:{ROOT1}" in sent["query"], "roots come from the stored own mark"
    assert sum(p.requests for p in again) == 3 and sum(len(p.reads) for p in again) == 0
    assert merge_marks(marks, again)["replies"] == marks["replies"]


@pytest.fixture
def harness(rsps: responses.RequestsMock) -> XHarness:
    h = XHarness()
    h.install(RespMock(rsps, h.base_url))
    return h


def poll(h: XHarness, marks: dict[str, Mark]) -> tuple[list[Page], dict[str, Mark]]:
    pages = list(h.connector(h.base_url).fetch(marks, None))
    return pages, merge_marks(marks, pages)


def test_each_reply_is_read_once_over_many_polls(harness: XHarness, rsps: responses.RequestsMock) -> None:
    recs = [Rec("c1", "Is the group still on?", t(90), post="p1")]
    recs.append(Rec("c2", "I think so", t(80), post="p1", reply_to="c1"))
    harness.serve(recs)
    pages, marks = poll(harness, {})
    read = [i.external_id for p in pages for i in p.items if i.kind is ItemKind.REPLY]
    for n in range(3, 6):
        recs.append(Rec(f"c{n}", f"reply {n}", t(70 - n * 10), post="p1", reply_to="c1"))
        harness.serve(recs)
        rsps.calls.reset()
        pages, marks = poll(harness, marks)
        new = [i.external_id for p in pages for i in p.items if i.kind is ItemKind.REPLY]
        assert new == [harness.external_id(recs[-1])]
        assert sum(len(p.reads) for p in pages) == 1, "only the new reply is paid for"
        assert len(rsps.calls) == 3
        read += new
    assert len(read) == len(set(read)) == 4


def test_idle_poll_is_one_request_per_stream(harness: XHarness, rsps: responses.RequestsMock) -> None:
    harness.serve([Rec("c1", "hello", t(30)), Rec("c2", "hi", t(20), reply_to="c1")])
    _, marks = poll(harness, {})
    rsps.calls.reset()
    pages, _ = poll(harness, marks)
    assert len(rsps.calls) == sum(p.requests for p in pages) == 3
    assert sum(len(p.reads) for p in pages) == 0 and not any(p.items for p in pages)


def test_no_conversations_no_search(rsps: responses.RequestsMock) -> None:
    rsps.get(MENTIONS, json=load("x", "empty.json"))
    rsps.get(OWN, json=load("x", "empty.json"))
    pages = list(connector().fetch({}, None))
    assert len(rsps.calls) == 2 and not searches(rsps)
    assert "replies" not in merge_marks({}, pages) and "own" not in merge_marks({}, pages)


def test_queries_fit_512_characters() -> None:
    roots = [str(2124186073299767297 + n) for n in range(40)]
    suffix = f" -from:{ME} -@ElmfieldCIC"
    queries = conversation_queries(roots, suffix)
    assert all(len(q) <= 512 for q in queries)
    assert all(q.startswith("(conversation_id:") and q.endswith(") " + suffix.strip()) for q in queries)
    found = [r for q in queries for r in re.findall(r"conversation_id:(\d+)", q)]
    assert found == roots, "every root once, in order"
    assert len(queries) == 4  # 12 roots a query with 19-digit ids
    assert conversation_queries(roots[:1], suffix) == [f"conversation_id:{roots[0]}{suffix}"]
    assert conversation_queries([], suffix) == []


def test_many_conversations_are_batched(harness: XHarness, rsps: responses.RequestsMock) -> None:
    recs = [Rec(f"c{n}", f"reply {n}", t(100 - n), post=f"p{n}", reply_to="c0") for n in range(30)]
    harness.serve(recs)
    pages, marks = poll(harness, {})
    sent = searches(rsps)
    assert len(sent) == 3 and all(len(s["query"]) <= 512 for s in sent)
    assert {i.external_id for p in pages for i in p.items if i.kind is ItemKind.REPLY} == {
        harness.external_id(r) for r in recs
    }
    assert marks["replies"].id == max((harness.external_id(r) for r in recs), key=int)
    assert [p for p in pages if "replies" in p.marks] == pages[-1:]
    rsps.calls.reset()
    poll(harness, marks)
    assert all(s["since_id"] == marks["replies"].id for s in searches(rsps)), "one since_id for the stream"


def test_a_mark_older_than_search_reaches_falls_back_to_start_time(
    harness: XHarness, rsps: responses.RequestsMock
) -> None:
    harness.serve([Rec("c1", "hello", t(30)), Rec("c2", "a week later", t(20), reply_to="c1")])
    _, marks = poll(harness, {})
    old = str(XHarness.snowflake(NOW - timedelta(days=8)))
    marks["replies"] = Mark(time=NOW - timedelta(days=8), id=old)
    rsps.calls.reset()
    pages, after = poll(harness, marks)  # the harness answers 400 to a since_id that old, as X does
    (sent,) = searches(rsps)
    assert "since_id" not in sent and sent["start_time"] == "2026-11-16T09:10:00Z"
    assert harness.external_id(Rec("c2", "", t(20))) in items(pages)
    assert after["replies"].id == harness.external_id(Rec("c2", "", t(20)))


def test_a_person_scan_is_bounded_by_the_search_window(rsps: responses.RequestsMock) -> None:
    serve_recorded(rsps)
    mark = Mark(
        time=NOW - timedelta(minutes=12), id="2124787033176952834", extra={"floor": "2026-11-21T09:00:00Z"}
    )
    list(connector().fetch({"replies": mark}, NOW - timedelta(days=60)))
    new, older = searches(rsps)[0], searches(rsps)[-1]
    assert new["since_id"] == mark.id and "start_time" not in new
    assert (older["start_time"], older["end_time"]) == ("2026-11-16T09:10:00Z", "2026-11-21T09:00:00Z")
    assert "since_id" not in older


def test_roots_are_bounded_and_expire(rsps: responses.RequestsMock) -> None:
    base = XHarness.snowflake(NOW - timedelta(days=10))
    roots = {str(base + n): (NOW - timedelta(hours=n)).timestamp() for n in range(300)}  # 0..12 days old
    extra = {"recent": json.dumps({"roots": roots})}
    rsps.get(MENTIONS, json=load("x", "empty.json"))
    rsps.get(OWN, json=load("x", "empty.json"))
    rsps.get(SEARCH, json=load("x", "empty.json"))
    pages = list(connector().fetch({"own": Mark(id="2124186073299767297", extra=extra)}, None))
    asked = [r for s in searches(rsps) for r in re.findall(r"conversation_id:(\d+)", s["query"])]
    assert asked == [str(base + n) for n in range(MAX_ROOTS)], "the newest, newest first"
    kept = json.loads(merge_marks({}, pages)["own"].extra["recent"])["roots"]
    assert len(kept) == MAX_ROOTS and all(roots[r] >= (NOW - timedelta(days=7)).timestamp() for r in kept)


def test_fewer_days_watched_when_configured(rsps: responses.RequestsMock) -> None:
    serve_recorded(rsps)
    list(connector(reply_days=1).fetch({}, None))
    assert searches(rsps)[0]["query"] == f"conversation_id:{ROOT2} -from:{ME} -@ElmfieldCIC"


def test_search_paginates_through_an_empty_page(harness: XHarness, rsps: responses.RequestsMock) -> None:
    a = Rec("c1", "first", t(50), reply_to="c0")
    b = Rec("c2", "third page", t(40), reply_to="c0")
    harness.serve([a], [], [b])
    pages, marks = poll(harness, {})
    tokens = [s.get("next_token") for s in searches(rsps)]
    assert tokens == [None, "page1", "page2"]
    assert {harness.external_id(a), harness.external_id(b)} <= set(items(pages))
    assert marks["replies"].id == harness.external_id(b)


def _search_fails(rsps: responses.RequestsMock, **reply: Any) -> None:
    rsps.get(MENTIONS, json=load("x", "empty.json"))
    rsps.get(OWN, json=load("x", "own_tweets.json"))
    rsps.add(responses.GET, SEARCH, **reply)


def test_search_rate_limit_is_a_reset_time(rsps: responses.RequestsMock) -> None:
    reset = NOW + timedelta(minutes=9)
    headers = {
        "x-rate-limit-limit": "450",
        "x-rate-limit-remaining": "0",
        "x-rate-limit-reset": str(int(reset.timestamp())),
    }
    body = {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}
    _search_fails(rsps, status=429, json=body, headers=headers)
    with pytest.raises(RateLimited) as caught:
        list(connector().fetch({}, None))
    assert caught.value.reset_at == reset


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (
            {
                "status": 401,
                "json": {
                    "title": "Unauthorized",
                    "type": "about:blank",
                    "status": 401,
                    "detail": "Unauthorized",
                },
            },
            AuthError,
        ),
        (
            {"status": 503, "json": {"title": "Service Unavailable", "type": "about:blank", "status": 503}},
            TransientError,
        ),
        ({"status": 400, "json": load("x", "error_since_id.json")}, PermanentError),
        ({"body": requests.exceptions.ReadTimeout("read timed out")}, TransientError),
        ({"status": 200, "body": '{"data": [{"id": '}, TransientError),
    ],
    ids=["401", "503", "400", "timeout", "malformed"],
)
def test_search_errors_map_to_the_exception_tree(
    rsps: responses.RequestsMock, reply: dict[str, Any], error: type[Exception]
) -> None:
    _search_fails(rsps, **reply)
    pages: list[Page] = []
    with pytest.raises(error):
        for page in connector().fetch({}, None):
            pages.append(page)
    assert "replies" not in merge_marks({}, pages), "the stream's mark does not move"


def test_edited_reply_keeps_its_original_id(rsps: responses.RequestsMock) -> None:
    body = load("x", "search_page2.json")
    edited = body["data"][0]
    edited["edit_history_tweet_ids"] = [edited["id"], "2124745000000000000"]
    edited["id"], edited["text"] = "2124745000000000000", "@sam_k_writes some days are better now"
    rsps.get(MENTIONS, json=load("x", "empty.json"))
    rsps.get(OWN, json=load("x", "own_tweets.json"))
    rsps.get(SEARCH, json=body)
    got = items(list(connector().fetch({}, None)))
    item = got["2124744754593472514"]
    assert item.text.endswith("better now") and item.updated_at is not None
    assert item.permalink == "https://x.com/i/web/status/2124745000000000000"


def test_without_a_handle_mentions_are_not_excluded(rsps: responses.RequestsMock) -> None:
    serve_recorded(rsps)
    list(connector(handle="").fetch({}, None))
    assert searches(rsps)[0]["query"].endswith(f" -from:{ME}")


def test_handle_is_checked_when_the_config_loads(tmp_path: Path) -> None:
    from tests.conftest import make_config

    assert connector(handle=" @ElmfieldCIC").handle == "ElmfieldCIC"
    body = '[[accounts]]\nname = "x-main"\nplatform = "x"\naccount_id = "{}"\nhandle = "{}"\n'
    assert make_config(tmp_path, body.format(ME, "@ElmfieldCIC")).accounts[0].settings.handle == "ElmfieldCIC"
    with pytest.raises(ConfigError, match=r"handle.*not an X username"):
        make_config(tmp_path, body.format(ME, "Elmfield Counselling"))


@pytest.mark.parametrize(
    ("handle", "problem"),
    [
        ("ElmfieldCIC", None),
        ("elmfieldcic", None),
        ("", "no `handle`.*@ElmfieldCIC"),
        ("SomeoneElse", "not this account"),
    ],
)
def test_check_compares_the_handle(rsps: responses.RequestsMock, handle: str, problem: str | None) -> None:
    rsps.get(re.compile(rf".*/2/users/{ME}.*"), json=load("x", "user.json"))
    problems = connector(handle=handle).check()
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1 and re.search(problem, problems[0])


def test_snowflake_time() -> None:
    assert snowflake_time("2124787033176952834") == NOW - timedelta(minutes=12)
    assert snowflake_time(None) is None and snowflake_time("abc") is None


def test_the_readme_example_loads_and_builds_a_connector(tmp_path: Path) -> None:
    from connectors.base import connector_class
    from monitor.pipeline import account_of
    from tests.conftest import make_config

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### X\n") :]
    body = section[section.index("```toml\n") + 8 : section.index("```\n", section.index("```toml"))]
    assert 'platform = "x"' in body and "handle =" in body
    body = body.replace('{ credential = "x_bearer" }', '{ env = "X_BEARER" }')
    config = make_config(tmp_path, body, environ={"X_BEARER": XHarness.secrets[0]})
    [cfg] = config.accounts
    c = connector_class("x")(account_of(cfg), cfg.settings, requests.Session())
    assert isinstance(c, XConnector) and c.handle == "ElmfieldCIC" and c.settings.reply_days == 7
    assert c.requests == 0


# ------------------------------------------------------------------ what each read costs, and reading once


def test_reads_carry_the_route_that_prices_them(harness: XHarness, rsps: responses.RequestsMock) -> None:
    harness.serve([Rec("c1", "Is the group on?", t(50)), Rec("c2", "I think so", t(40), reply_to="c1")])
    pages, _ = poll(harness, {})
    routes = {(r.resource, r.route) for p in pages for r in p.reads}
    mention, reply = harness.external_id(Rec("c1", "", t(50))), harness.external_id(Rec("c2", "", t(40)))
    assert (mention, ReadRoute.OWNED) in routes, "a mention of the app owner's account is an owned read"
    assert (reply, ReadRoute.POST) in routes
    assert (harness.root_id("p1"), ReadRoute.POST) in routes, "the account's own timeline is a post read"
    assert len(routes) == sum(len(p.reads) for p in pages) == 3

    settings = XSettings(bearer_token=Secret(XHarness.secrets[0], "env:X"), base_url=BASE, owns_app=False)
    other = XConnector(Account("x", "x", ME), settings, requests.Session())
    other.clock = lambda: NOW
    assert {r.route for p in other.fetch({}, None) for r in p.reads} == {ReadRoute.POST}


def test_a_rescan_since_30_days_pays_only_for_posts_older_than_anything_read(
    harness: XHarness, rsps: responses.RequestsMock
) -> None:
    """`monitor scan --since 30d` on an existing database: the posts it holds are not read again;
    only those older than the first scan's window are new."""
    old = Rec("m0", "Are you still running the Tuesday group?", NOW - timedelta(days=10))
    recs = [Rec("c1", "Is the group still on?", t(90)), Rec("c2", "I think so", t(80), reply_to="c1")]
    harness.serve([old, *recs])
    first, marks = poll(harness, {})  # the first scan: the last first_poll_days (2)
    idle, marks = poll(harness, marks)
    assert not [r for p in idle for r in p.reads]
    new = [Rec(f"n{n}", f"new {n}", t(30 - n), reply_to="c1" if n % 2 else None) for n in range(5)]
    harness.serve([old, *recs, *new])
    incremental, marks = poll(harness, marks)
    held = [r.resource for p in first + incremental for r in p.reads]
    assert len(held) == len(set(held)) == 3 + 5

    rsps.calls.reset()
    rescan = list(harness.connector(harness.base_url).fetch(marks, NOW - timedelta(days=30)))
    read = [r.resource for p in rescan for r in p.reads]
    assert read == [harness.external_id(old)], "only the post from before the first scan's window"
    marks = merge_marks(marks, rescan)
    assert marks["mentions"].extra["floor"] == "2026-10-24T09:00:00Z"
    again = list(harness.connector(harness.base_url).fetch(marks, NOW - timedelta(days=30)))
    assert not [r for p in again for r in p.reads], "a second re-scan reads nothing"
    assert sum(p.requests for p in again) == 3, "and costs one request per stream"


def test_a_replies_mark_is_as_old_as_its_stored_time_not_its_id(rsps: responses.RequestsMock) -> None:
    """A server whose ids do not carry their time (as the fake's did): the mark's stored time
    says it is an hour old, so search gets since_id and reads nothing again."""
    rsps.get(MENTIONS, json=load("x", "empty.json"))
    rsps.get(OWN, json=load("x", "own_tweets.json"))
    rsps.get(SEARCH, json=load("x", "empty.json"))
    fresh = Mark(time=NOW - timedelta(hours=1), id="1840", extra={"floor": "2026-11-21T09:00:00Z"})
    list(connector().fetch({"replies": fresh}, None))
    (sent,) = searches(rsps)
    assert sent["since_id"] == "1840" and "start_time" not in sent
    rsps.calls.reset()
    stale = Mark(time=NOW - timedelta(days=8), id=ROOT2)  # an id that looks new, a time that is not
    list(connector().fetch({"replies": stale}, None))
    (sent,) = searches(rsps)
    assert "since_id" not in sent and sent["start_time"] == "2026-11-16T09:10:00Z"
