"""Facebook: recorded payload shapes, threading, check, hide, and the whole pipeline."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import requests
import responses
from sqlalchemy import select

from connectors.facebook import FacebookConnector, FacebookSettings
from connectors.graph import usage_from_headers
from monitor import pipeline
from monitor.config import Secret
from monitor.errors import AuthError, RateLimited
from monitor.store import items as item_store
from monitor.store.schema import AlertRow, ItemRow
from monitor.types import Account, ItemKind
from tests.conftest import FakeClock, KeywordClassifier, make_config
from tests.connectors.harness import NOW, load

PAGE = "104411112233445"
TOKEN = "EAAGfakePageToken0123456789"
BASE = "https://graph.test"


def connector(**settings: object) -> FacebookConnector:
    s = FacebookSettings(page_token=Secret(TOKEN, "env:FB"), base_url=BASE, **settings)  # type: ignore[arg-type]
    c = FacebookConnector(Account("fb", "facebook", PAGE), s, requests.Session())
    c.clock = lambda: NOW
    return c


@responses.activate
def test_feed_threads_replies_and_marks_own_posts() -> None:
    responses.get(re.compile(r".*/v26\.0/\d+/feed.*"), json=load("facebook", "feed.json"))
    responses.get(re.compile(r".*/v26\.0/\d+/tagged.*"), json=load("facebook", "tagged.json"))
    pages = list(connector().fetch({}, None))
    by_id = {i.external_id: i for p in pages for i in p.items}
    post = by_id["104411112233445_122099887766554"]
    assert post.kind is ItemKind.OWN_POST and post.author_is_org
    reply = by_id["122099887766554_1011223344556655"]
    assert reply.kind is ItemKind.REPLY and reply.parent_id == "122099887766554_1011223344556600"
    assert reply.post_id == post.external_id and not reply.author_is_org
    own_reply = by_id["122099887766554_1011223344556677"]
    assert own_reply.kind is ItemKind.OWN_POST and own_reply.author_is_org
    assert by_id["104411112233445_122099887700001"].kind is ItemKind.MENTION  # a visitor's post
    assert by_id["7066666666666666_945612378945612"].kind is ItemKind.MENTION  # /tagged
    assert len(responses.calls) == 2
    sent = responses.calls[0].request.url
    assert "comments.filter%28stream%29" in sent and "v26.0" in sent
    marks = {k: v for p in pages for k, v in p.marks.items()}
    assert marks["feed"].time is not None and marks["feed"].time.isoformat() == "2026-11-23T08:41:10+00:00"
    assert marks["tagged"].time is not None


@responses.activate
def test_more_comments_on_one_post_are_followed_until_the_mark() -> None:
    feed = load("facebook", "feed.json")
    feed["data"][0]["comments"]["paging"]["next"] = (
        f"https://graph.facebook.com/v26.0/122099887766554/comments?access_token={TOKEN}&after=X"
    )
    older = {
        "data": [{"id": "122099887766554_1", "message": "older", "created_time": "2026-11-23T07:00:00+0000"}],
        "paging": {"cursors": {"after": "Y"}},
    }
    responses.get(re.compile(r".*/feed.*"), json=feed)
    responses.get(re.compile(r".*/122099887766554/comments.*"), json=older)
    responses.get(re.compile(r".*/tagged.*"), json={"data": []})
    pages = list(connector().fetch({}, None))
    assert "122099887766554_1" in {i.external_id for p in pages for i in p.items}
    assert responses.calls[1].request.url.startswith(f"{BASE}/v26.0/122099887766554/comments")
    assert sum(p.requests for p in pages) == 3


def test_usage_headers_become_a_rate_limit() -> None:
    headers = {
        "x-app-usage": json.dumps({"call_count": 28, "total_time": 25, "total_cputime": 25}),
        "x-business-use-case-usage": json.dumps(
            {
                PAGE: [
                    {
                        "type": "pages",
                        "call_count": 100,
                        "total_cputime": 5,
                        "total_time": 9,
                        "estimated_time_to_regain_access": 7,
                    }
                ]
            }
        ),
    }
    usage = usage_from_headers(headers, NOW)
    assert usage is not None and usage.used_percent == 100
    assert usage.reset_at is not None and (usage.reset_at - NOW).total_seconds() == 420


@responses.activate
def test_full_usage_stops_before_the_next_request() -> None:
    feed = load("facebook", "feed.json")
    usage = {PAGE: [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 30}]}
    responses.get(
        re.compile(r".*/feed.*"), json=feed, headers={"X-Business-Use-Case-Usage": json.dumps(usage)}
    )
    pages = []
    with pytest.raises(RateLimited) as caught:
        for page in connector().fetch({}, None):
            pages.append(page)
    assert pages and pages[0].rate_limit is not None and pages[0].rate_limit.used_percent == 100
    assert (caught.value.reset_at - NOW).total_seconds() == 1800
    assert len(responses.calls) == 1  # /tagged was not asked while usage is at 100%


@responses.activate
def test_check_names_the_missing_permission() -> None:
    responses.get(re.compile(r".*/feed.*"), status=400, json=load("facebook", "error_permission.json"))
    problems = connector().check()
    assert problems and problems[0].startswith("Page token lacks pages_read_user_content")


@responses.activate
def test_check_passes_with_a_good_token() -> None:
    responses.get(re.compile(r".*/feed.*"), json={"data": []})
    assert connector().check() == []


@responses.activate
def test_hide_posts_is_hidden_and_sends_appsecret_proof() -> None:
    responses.post(re.compile(r".*/v26\.0/122099887766554_1011223344556655.*"), json={"success": True})
    c = connector(app_secret=Secret("fakeappsecret0123456789", "env:S"))
    c.hide("122099887766554_1011223344556655")
    url = responses.calls[0].request.url
    assert "is_hidden=true" in url and "appsecret_proof=" in url


@responses.activate
def test_hide_reports_a_missing_permission() -> None:
    body = {
        "error": {
            "message": "(#200) Requires pages_manage_engagement permission to manage the object",
            "type": "OAuthException",
            "code": 200,
            "fbtrace_id": "Az1",
        }
    }
    responses.post(re.compile(r".*"), status=403, json=body)
    with pytest.raises(AuthError, match="pages_manage_engagement"):
        connector().hide("1_2")


# ------------------------------------------------------------------ end to end


ACCOUNT = f"""
[[accounts]]
name = "fb-main"
platform = "facebook"
account_id = "{PAGE}"
page_token = {{ env = "FB_TOKEN" }}
base_url = "{BASE}"
"""


def _context(tmp_path: Path, clock: FakeClock) -> pipeline.Context:
    from monitor.store import open_store

    config = make_config(tmp_path, ACCOUNT, environ={"FB_TOKEN": TOKEN})
    store = open_store(config.database_url)
    return pipeline.Context(config, store, KeywordClassifier(), clock)  # type: ignore[arg-type]


def test_scan_end_to_end_and_one_notice_for_a_dead_token(tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    ctx = _context(tmp_path, clock)
    try:
        with responses.RequestsMock() as rsps:
            rsps.get(re.compile(r".*/feed.*"), json=load("facebook", "feed.json"))
            rsps.get(re.compile(r".*/tagged.*"), json=load("facebook", "tagged.json"))
            report = pipeline.scan(ctx)
        assert report.accounts[0].error is None and report.items_new == 6
        assert report.accounts[0].requests == 2
        with ctx.store.transaction() as session:
            marks = item_store.load_marks(session, "fb-main")
            texts = set(session.scalars(select(ItemRow.text)))
        assert marks["feed"].time is not None and marks["tagged"].time is not None
        assert "The waiting list is months long, this is a joke" in texts

        expired = load("facebook", "error_expired.json")
        for _ in range(3):
            clock.advance(hours=7)
            with responses.RequestsMock() as rsps:
                rsps.get(re.compile(r".*/feed.*"), status=400, json=expired)
                report = pipeline.scan(ctx)
            assert "expired" in (report.accounts[0].error or "")
        with ctx.store.transaction() as session:
            notices = list(session.scalars(select(AlertRow).where(AlertRow.kind == "operator")))
        assert len(notices) == 1 and "code 190" in notices[0].payload["message"]
        assert TOKEN not in notices[0].payload["message"]
    finally:
        ctx.store.close()
