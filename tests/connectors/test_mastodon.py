"""Mastodon: direct messages are private; HTML becomes text; min_id paging; the account's own
statuses are own posts; scopes are named; no hiding."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import requests
import responses

from connectors.mastodon import MastodonConnector, MastodonSettings
from monitor.config import Secret
from monitor.errors import AuthError, PermanentError
from monitor.types import Account, ItemKind
from tests.connectors.harness import NOW, MastodonHarness, Rec, RespMock, load, merge_marks, query, t


def test_direct_mentions_are_private_and_paging_uses_min_id() -> None:
    h = MastodonHarness()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        mock = RespMock(rsps, h.base_url)
        h.install(mock)
        h.serve([Rec("d1", "a private & worried note", t(20)), Rec("p1", "public <3", t(10))])
        pages = list(h.connector(mock.base_url).fetch({}, None))
        items = {i.text: i for p in pages for i in p.items}
        assert items["@elmfield a private & worried note"].private
        assert not items["@elmfield public <3"].private
        marks = [p.marks["mentions"] for p in pages if p.marks]
        h.serve(
            [
                Rec("d1", "a private & worried note", t(20)),
                Rec("p1", "public <3", t(10)),
                Rec("n", "new", t(1)),
            ]
        )
        rsps.calls.reset()
        again = list(h.connector(mock.base_url).fetch({"mentions": marks[-1]}, None))
        assert [i.text for p in again for i in p.items] == ["@elmfield new"]
        assert f"min_id={marks[-1].id}" in rsps.calls[0].request.url


def test_hide_is_not_offered() -> None:
    with pytest.raises(PermanentError, match="mute or block"):
        MastodonHarness().connector("https://social.test").hide("1")


# ------------------------------------------------------------------ the account's own statuses

STATUSES = re.compile(rf".*/api/v1/accounts/{MastodonHarness.ME}/statuses.*")
NOTIFICATIONS = re.compile(r".*/api/v1/notifications.*")


def connector(account_id: str = MastodonHarness.ME) -> MastodonConnector:
    settings = MastodonSettings(
        access_token=Secret(MastodonHarness.secrets[0], "env:MA"), base_url="https://social.test"
    )
    c = MastodonConnector(Account("ma", "mastodon", account_id), settings, requests.Session())
    c.clock = lambda: NOW
    return c


@responses.activate
def test_own_statuses_and_replies_are_stored_as_own_posts() -> None:
    """Staff oversharing on Mastodon is checked like on every other platform."""
    responses.get(NOTIFICATIONS, json=[])
    responses.get(STATUSES, json=load("mastodon", "own_statuses.json"))
    pages = list(connector().fetch({}, None))
    got = {i.external_id: i for p in pages for i in p.items}
    assert len(got) == 3 and all(i.kind is ItemKind.OWN_POST and i.author_is_org for i in got.values())
    post = got["117664520601604211"]
    assert "Lovely to see Dave back with us after his stay at the Priory" in post.text
    assert post.created_at == NOW - timedelta(hours=1, minutes=45) and post.parent_id is None
    assert post.permalink == "https://social.test/@elmfield/117664520601604211" and not post.private
    reply = got["117664903987204211"]
    assert reply.parent_id == "117664854835200017" and reply.text.startswith("@rowan Thanks for asking!")
    assert got["117660942336004211"].private, "the account's own direct message is private"
    asked = query(responses.calls[1].request.url or "")
    assert asked == {"exclude_reblogs": "1", "limit": "40"}
    own = merge_marks({}, pages)["own"]
    assert (own.id, own.time) == ("117664903987204211", NOW - timedelta(minutes=7, seconds=30))

    responses.calls.reset()
    again = list(connector().fetch(merge_marks({}, pages), None))
    statuses = [c for c in responses.calls if "/statuses" in (c.request.url or "")]
    assert query(statuses[0].request.url or "")["min_id"] == "117664903987204211"
    assert len(responses.calls) == sum(p.requests for p in again) == 2


def test_own_statuses_are_paged_forward_with_min_id() -> None:
    h = MastodonHarness()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        mock = RespMock(rsps, h.base_url)
        h.install(mock)
        h.serve([Rec("m1", "hello", t(50))])
        h.own = [
            Rec("o1", "Drop-in is on today", t(40)),
            Rec("o2", "Yes, see you there", t(30), reply_to="m1"),
        ]
        marks = merge_marks({}, list(h.connector(mock.base_url).fetch({}, None)))
        assert marks["own"].id == h.own_id(h.own[-1])
        h.own += [Rec(f"n{n}", f"new {n}", t(20 - n)) for n in range(3)]  # more than a page (2)
        rsps.calls.reset()
        pages = list(h.connector(mock.base_url).fetch(marks, None))
        got = sorted(i.text for p in pages for i in p.items if i.kind is ItemKind.OWN_POST)
        assert got == ["new 0", "new 1", "new 2"]
        sent = [query(c.request.url or "") for c in rsps.calls if "/statuses" in (c.request.url or "")]
        assert [s["min_id"] for s in sent] == [h.own_id(h.own[1]), h.own_id(h.own[3])]
        assert merge_marks(marks, pages)["own"].id == h.own_id(h.own[-1])


@responses.activate
def test_a_handle_as_account_id_is_looked_up_once() -> None:
    responses.get(
        re.compile(r".*/api/v1/accounts/lookup.*"), json=load("mastodon", "own_statuses.json")[0]["account"]
    )
    responses.get(NOTIFICATIONS, json=[])
    responses.get(STATUSES, json=[])
    c = connector("@elmfield")
    list(c.fetch({}, None))
    list(c.fetch({}, None))
    lookups = [q for q in responses.calls if "/lookup" in (q.request.url or "")]
    assert len(lookups) == 1 and query(lookups[0].request.url or "") == {"acct": "elmfield"}


@responses.activate
def test_a_token_without_read_statuses_is_named() -> None:
    responses.get(NOTIFICATIONS, json=[])
    responses.get(STATUSES, status=403, json={"error": "This action is outside the authorized scopes"})
    with pytest.raises(AuthError, match="lacks the scope read:statuses"):
        list(connector().fetch({}, None))
    assert connector().check() == [
        "mastodon: the token lacks the scope read:statuses (This action is outside the authorized scopes)"
    ]


def test_a_timeout_after_a_good_page_says_timeout_not_the_last_status() -> None:
    """The label of a timeout must not be borrowed from the previous (200) answer."""
    from monitor.errors import TransientError

    h = MastodonHarness()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        mock = RespMock(rsps, h.base_url)
        h.install(mock)
        h.serve([Rec(f"m{n}", f"mention {n}", t(10 + n)) for n in range(5)])  # more than one page
        connector = h.connector(mock.base_url)
        pages = connector.fetch({}, None)
        first = next(pages)
        assert first.items
        rsps.reset()
        rsps.add(
            responses.GET,
            f"{mock.base_url}/api/v1/notifications",
            body=requests.ReadTimeout("read timed out"),
        )
        with pytest.raises(TransientError) as raised:
            next(pages)
    message = str(raised.value)
    assert "200" not in message and "no answer within 30 s" in message, message
