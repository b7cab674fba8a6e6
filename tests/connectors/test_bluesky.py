"""Bluesky: item fields, one login across processes (the saved session), token renewal, httpx
failures, check and hide.
Against the loopback fake XRPC server of the contract test (atproto speaks httpx)."""

from __future__ import annotations

import json
import logging
import stat
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests

from connectors.bluesky import BlueskyConnector, BlueskySettings
from monitor.errors import AuthError, ConnectorError, PermanentError, TransientError
from monitor.store.vault import SessionVault
from monitor.types import Account, ItemKind, Mark, Page
from tests.connectors import fakeserver
from tests.connectors.harness import JSON, NOW, Rec, merge_marks, t
from tests.connectors.harness_bluesky import (
    HANDLE,
    ME,
    PASSWORD,
    VISITOR,
    BlueskyHarness,
    post_uri,
    tid,
    xrpc_error,
)

FIRST = [
    Rec("c1", "How do I book?", t(50)),
    Rec("c2", "Thank you!", t(40), reply_to="c1"),
    Rec("m1", "@elmfield are you open on Saturdays?", t(35), post="mention"),
    Rec("q1", "Worth a read", t(30), post="quote"),
]


@pytest.fixture
def server() -> Iterator[fakeserver.FakeServer]:
    with fakeserver.running() as s:
        yield s


@pytest.fixture
def h(server: fakeserver.FakeServer) -> BlueskyHarness:
    harness = BlueskyHarness()
    harness.install(server)
    harness.serve(FIRST)
    return harness


def connector(h: BlueskyHarness, server: fakeserver.FakeServer) -> BlueskyConnector:
    c = h.connector(server.base_url)
    assert isinstance(c, BlueskyConnector)
    return c


def paths(server: fakeserver.FakeServer) -> list[str]:
    return [c.url.split("/xrpc/")[1].split("?")[0] for c in server.calls]


def poll(c: BlueskyConnector, marks: dict[str, Mark] | None = None) -> list[Page]:
    return list(c.fetch(marks or {}, None))


def test_item_fields(h: BlueskyHarness, server: fakeserver.FakeServer) -> None:
    h.own = [Rec("o1", "Drop-in on Monday", t(60)), Rec("o2", "Yes, email us", t(45), reply_to="c1")]
    items = {i.external_id: i for p in poll(connector(h, server)) for i in p.items}
    reply = items[post_uri(VISITOR, tid("c2"))]
    assert reply.kind == ItemKind.REPLY and reply.text == "Thank you!"
    assert reply.parent_id == post_uri(VISITOR, tid("c1"))
    assert reply.post_id == post_uri(ME, tid("p1"))
    assert reply.author_handle == "rowan.bsky.social" and reply.author_id == VISITOR
    assert reply.author_name == "Rowan" and not reply.author_is_org
    assert reply.permalink == f"https://bsky.app/profile/rowan.bsky.social/post/{tid('c2')}"
    assert reply.created_at == t(40)  # record.createdAt, not indexedAt
    assert items[post_uri(VISITOR, tid("m1"))].kind == ItemKind.MENTION
    quote = items[post_uri(VISITOR, tid("q1"))]
    assert quote.kind == ItemKind.MENTION and quote.parent_id is None
    own = items[post_uri(ME, tid("o2"))]
    assert own.kind == ItemKind.OWN_POST and own.author_is_org
    assert own.parent_id == post_uri(VISITOR, tid("c1")) and own.post_id == post_uri(ME, tid("p1"))
    assert items[post_uri(ME, tid("o1"))].parent_id is None


def test_one_login_for_many_polls_and_never_update_seen(
    h: BlueskyHarness, server: fakeserver.FakeServer
) -> None:
    c = connector(h, server)
    marks: dict[str, Mark] = {}
    for n in range(6):
        h.serve([*FIRST, Rec(f"n{n}", f"new {n}", t(20 - n))])
        marks = merge_marks(marks, poll(c, marks))
    assert paths(server).count("com.atproto.server.createSession") == 1
    assert not [p for p in paths(server) if "updateSeen" in p]
    assert len(server.calls) == 1 + 6 * 2


def test_idle_poll_skips_uris_seen_in_the_overlap(h: BlueskyHarness, server: fakeserver.FakeServer) -> None:
    c = connector(h, server)
    marks = merge_marks({}, poll(c))
    assert json.loads(marks["notifications"].extra["recent"])["notifications"]
    again = poll(c, marks)
    assert [i for p in again for i in p.items] == []
    assert sum(p.requests for p in again) == 2


def test_expired_token_is_refreshed_once(h: BlueskyHarness, server: fakeserver.FakeServer) -> None:
    c = connector(h, server)
    poll(c)
    expired = {"left": 1}

    def once(request: Any) -> Any:
        if expired["left"]:
            expired["left"] -= 1
            return xrpc_error(400, "ExpiredToken")
        return 200, {"content-type": "application/json"}, json.dumps({"notifications": []})

    server.add_callback("GET", r".*listNotifications", once)
    server.reset_calls()
    poll(c)
    assert paths(server)[:3] == [
        "app.bsky.notification.listNotifications",
        "com.atproto.server.refreshSession",
        "app.bsky.notification.listNotifications",
    ]
    assert "com.atproto.server.createSession" not in paths(server)


def test_expired_refresh_token_logs_in_again_once(h: BlueskyHarness, server: fakeserver.FakeServer) -> None:
    c = connector(h, server)
    poll(c)
    h.refresh = "no longer valid"  # the server forgot the refresh token
    h.access = "rotated"  # and the access token
    server.reset_calls()
    server.add_callback(
        "GET",
        r".*listNotifications",
        lambda r: (
            xrpc_error(400, "ExpiredToken") if h.access == "rotated" else (200, JSON, '{"notifications":[]}')
        ),
    )
    poll(c)
    assert paths(server)[:4] == [
        "app.bsky.notification.listNotifications",
        "com.atproto.server.refreshSession",
        "com.atproto.server.createSession",
        "app.bsky.notification.listNotifications",
    ]


def test_expired_everywhere_is_one_auth_error(h: BlueskyHarness, server: fakeserver.FakeServer) -> None:
    c = connector(h, server)
    poll(c)
    h.failure = "expired"
    server.reset_calls()
    with pytest.raises(AuthError, match="session expired"):
        poll(c)
    assert paths(server).count("com.atproto.server.createSession") == 1
    assert paths(server).count("com.atproto.server.refreshSession") == 1


def test_atproto_refreshes_a_token_near_expiry_itself(
    h: BlueskyHarness, server: fakeserver.FakeServer
) -> None:
    h.access_exp = int(time.time()) + 300  # inside atproto's 15-minute margin
    c = connector(h, server)
    poll(c)
    assert paths(server)[:2] == ["com.atproto.server.createSession", "com.atproto.server.refreshSession"]
    assert paths(server).count("com.atproto.server.createSession") == 1


def test_wrong_app_password(h: BlueskyHarness, server: fakeserver.FakeServer) -> None:
    h.password = "wron-gpas-swor-d000"
    with pytest.raises(AuthError, match="app password rejected"):
        poll(connector(h, server))


def test_check(h: BlueskyHarness, server: fakeserver.FakeServer) -> None:
    assert connector(h, server).check() == []
    h.profile_missing = True
    [problem] = connector(h, server).check()
    assert f"handle '{HANDLE}' not found" in problem
    bad = BlueskyHarness(password="wron-gpas-swor-d000")
    bad.install(server)
    [problem] = connector(bad, server).check()
    assert "app password rejected" in problem


def _httpx_errors() -> list[type[httpx.HTTPError]]:
    found = {
        obj for obj in vars(httpx).values() if isinstance(obj, type) and issubclass(obj, httpx.HTTPError)
    }
    return sorted(found - {httpx.HTTPError, httpx.HTTPStatusError}, key=lambda c: c.__name__)


@pytest.mark.parametrize("exc", _httpx_errors(), ids=lambda c: c.__name__)
def test_every_httpx_exception_becomes_a_connector_error(
    h: BlueskyHarness, server: fakeserver.FakeServer, exc: type[httpx.HTTPError]
) -> None:
    c = connector(h, server)

    def fail(request: httpx.Request) -> httpx.Response:
        make: Any = exc
        raise make("injected") if make is httpx.InvalidURL else make("injected", request=request)

    c.client.request._client = httpx.Client(transport=httpx.MockTransport(fail))
    with pytest.raises(ConnectorError) as caught:
        poll(c)
    if issubclass(exc, httpx.TimeoutException | httpx.NetworkError):
        assert isinstance(caught.value, TransientError)


def test_hide_adds_to_the_root_posts_threadgate_keeping_its_rules(
    h: BlueskyHarness, server: fakeserver.FakeServer
) -> None:
    from tests.connectors.harness import load

    c = connector(h, server)
    target = post_uri(VISITOR, tid("c2"))
    c.hide(target)  # no threadgate yet: one is created
    assert h.written[-1]["record"]["hiddenReplies"] == [target]
    assert "allow" not in h.written[-1]["record"]  # anyone may still reply
    assert h.written[-1]["rkey"] == tid("p1") and h.written[-1]["repo"] == ME
    h.threadgate = load("bluesky", "getRecord_threadgate.json")
    h.threadgate["value"]["hiddenReplies"] = ["at://did:plc:other/app.bsky.feed.post/3lbeaaaaaaaaa"]
    c.hide(target)
    record = h.written[-1]["record"]
    assert record["allow"] == h.threadgate["value"]["allow"] or len(record["allow"]) == 2
    assert record["hiddenReplies"][-1] == target and len(record["hiddenReplies"]) == 2
    assert h.written[-1]["swapRecord"] == "bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwq"
    assert "updateSeen" not in " ".join(paths(server))


def test_hide_refuses_what_bluesky_cannot_hide(h: BlueskyHarness, server: fakeserver.FakeServer) -> None:
    c = connector(h, server)
    with pytest.raises(PermanentError, match="not a reply"):
        c.hide(post_uri(VISITOR, tid("m1")))
    with pytest.raises(PermanentError, match="not found"):
        c.hide(post_uri(VISITOR, tid("zz")))
    h.serve([Rec("c7", "elsewhere", t(5), post="x")])
    original = h.notification

    def elsewhere(rec: Rec) -> dict[str, Any]:
        n = original(rec)
        n["record"]["reply"]["root"]["uri"] = post_uri(VISITOR, tid("x"))
        return n

    h.notification = elsewhere  # type: ignore[method-assign]
    with pytest.raises(PermanentError, match="someone else started"):
        c.hide(post_uri(VISITOR, tid("c7")))
    h.notification = original  # type: ignore[method-assign]
    h.serve(FIRST)
    h.threadgate = {"uri": "u", "cid": "c", "value": {"hiddenReplies": [f"at://x/p/{n}" for n in range(300)]}}
    with pytest.raises(PermanentError, match="300"):
        c.hide(post_uri(VISITOR, tid("c2")))


def test_marks_advance_to_the_newest_indexed_time(h: BlueskyHarness, server: fakeserver.FakeServer) -> None:
    marks = merge_marks({}, poll(connector(h, server)))
    assert marks["notifications"].time == t(30) + timedelta(seconds=1)
    assert NOW - marks["notifications"].time < timedelta(hours=1)


def test_the_readme_example_loads_and_builds_a_connector(tmp_path: Any) -> None:
    import requests

    from connectors.base import connector_class
    from monitor.pipeline import account_of
    from tests.conftest import make_config

    body = (
        '[[accounts]]\nname = "bluesky-main"\nplatform = "bluesky"\n'
        'account_id = "elmfieldcounselling.bsky.social"\napp_password = { env = "BSKY" }\n'
    )
    config = make_config(tmp_path, body, environ={"BSKY": "k3vq-7xnd-p2ma-w9tz"})
    [cfg] = config.accounts
    c = connector_class("bluesky")(account_of(cfg), cfg.settings, requests.Session())
    assert isinstance(c, BlueskyConnector)
    assert c.identifier == "elmfieldcounselling.bsky.social" and c.requests == 0  # no network yet


def test_session_tokens_are_masked_by_shape_without_growing_a_list() -> None:
    from connectors import http

    before = len(http._SECRETS)
    token = "eyJhbGciOiJFUzI1NksifQ.eyJzY29wZSI6ImNvbS5hdHByb3RvLmFjY2VzcyJ9.c2lnbmF0dXJlLXZhbHVl"
    assert http.redact(f"Authorization-ish {token} end") == "Authorization-ish *** end"
    assert len(http._SECRETS) == before


# ------------------------------------------------------------------ the session outlives the process


def process(h: BlueskyHarness, server: fakeserver.FakeServer, state: Path) -> BlueskyConnector:
    """A connector as a new `monitor scan` process builds it: nothing in memory, the state dir on disk."""
    from monitor.config import Secret

    settings = BlueskySettings(app_password=Secret(h.password, "env:BSKY"), base_url=server.base_url)
    c = BlueskyConnector(Account("bsky", "bluesky", HANDLE), settings, requests.Session())
    c.clock = lambda: NOW
    c.vault = SessionVault(state / "sessions")
    return c


def test_scans_in_separate_processes_log_in_once(
    h: BlueskyHarness, server: fakeserver.FakeServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A cron-driven `monitor scan` every few minutes must not spend the 30-per-5-minutes and
    300-a-day createSession budget: the first process logs in, the others reuse its session."""
    caplog.set_level(logging.DEBUG)
    marks: dict[str, Mark] = {}
    for n in range(5):
        h.serve([*FIRST, Rec(f"n{n}", f"new {n}", t(20 - n))])
        marks = merge_marks(marks, poll(process(h, server, tmp_path), marks))
    assert paths(server).count("com.atproto.server.createSession") == 1
    assert "com.atproto.server.refreshSession" not in paths(server)
    assert len(server.calls) == 1 + 5 * 2
    saved = next((tmp_path / "sessions").iterdir())
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600 and stat.S_IMODE(saved.parent.stat().st_mode) == 0o700
    assert h.access not in saved.read_text() and h.refresh not in saved.read_text(), "encrypted at rest"
    assert h.access not in caplog.text and h.refresh not in caplog.text and PASSWORD not in caplog.text


def test_a_saved_session_the_server_expired_is_refreshed_not_logged_in_again(
    h: BlueskyHarness, server: fakeserver.FakeServer, tmp_path: Path
) -> None:
    poll(process(h, server, tmp_path))
    h.access = "expired on the server"  # the saved access token is no longer accepted
    server.reset_calls()
    poll(process(h, server, tmp_path))
    assert paths(server)[:3] == [
        "app.bsky.notification.listNotifications",
        "com.atproto.server.refreshSession",
        "app.bsky.notification.listNotifications",
    ]
    assert "com.atproto.server.createSession" not in paths(server)
    server.reset_calls()
    poll(process(h, server, tmp_path))  # the refreshed session was saved: used as it is
    assert paths(server) == ["app.bsky.notification.listNotifications", "app.bsky.feed.getAuthorFeed"]


def test_only_a_failed_refresh_logs_in_and_the_new_session_is_saved(
    h: BlueskyHarness, server: fakeserver.FakeServer, tmp_path: Path
) -> None:
    poll(process(h, server, tmp_path))
    h.access, h.refresh = "expired", "revoked"  # both tokens dead: refreshing fails
    server.reset_calls()
    poll(process(h, server, tmp_path))
    assert paths(server).count("com.atproto.server.createSession") == 1
    assert paths(server).index("com.atproto.server.refreshSession") < paths(server).index(
        "com.atproto.server.createSession"
    )
    server.reset_calls()
    poll(process(h, server, tmp_path))
    assert "com.atproto.server.createSession" not in paths(server)


def test_a_session_saved_by_another_process_is_taken_before_refreshing(
    h: BlueskyHarness, server: fakeserver.FakeServer, tmp_path: Path
) -> None:
    daemon = process(h, server, tmp_path)
    poll(daemon)
    scan = process(h, server, tmp_path)
    h.access = "expired"
    poll(scan)  # refreshes: the old refresh token is rotated out, the new session saved
    server.reset_calls()
    poll(daemon)  # its access token is refused; the scan's saved session works
    assert "com.atproto.server.refreshSession" not in paths(server)
    assert "com.atproto.server.createSession" not in paths(server)


def test_a_changed_app_password_or_server_means_a_new_login(
    h: BlueskyHarness, server: fakeserver.FakeServer, tmp_path: Path
) -> None:
    poll(process(h, server, tmp_path))
    moved = process(h, server, tmp_path)
    moved.settings = BlueskySettings(app_password=moved.settings.app_password, base_url=server.base_url + "/")
    server.reset_calls()
    poll(moved)
    assert paths(server).count("com.atproto.server.createSession") == 1


def test_the_pipeline_keeps_sessions_in_the_state_directory(tmp_path: Path) -> None:
    from monitor.pipeline import build_connector, new_http_session
    from tests.conftest import make_config

    body = (
        '[[accounts]]\nname = "bluesky-main"\nplatform = "bluesky"\n'
        'account_id = "elmfieldcounselling.bsky.social"\napp_password = { env = "BSKY" }\n'
    )
    config = make_config(tmp_path, body, environ={"BSKY": PASSWORD})
    c = build_connector(config, config.accounts[0], new_http_session())
    assert isinstance(c, BlueskyConnector) and c.vault is not None
    assert c.vault.directory == config.state_dir / "sessions"
