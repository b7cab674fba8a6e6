"""One contract, every registered connector (ids=platform): first poll, idle poll,
pagination, overlap, edits, deletions, and every way a platform can say no."""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import responses

from connectors.base import BUILTIN
from monitor.errors import AuthError, ConnectorError, RateLimited, TransientError
from monitor.store import items as item_store
from monitor.store import open_store
from monitor.types import Mark, Page
from tests.connectors import fakeserver
from tests.connectors.harness import HARNESSES as REQUESTS_HARNESSES
from tests.connectors.harness import NOW, Harness, Rec, RespMock, merge_marks, t
from tests.connectors.harness_bluesky import BlueskyHarness

HARNESSES: tuple[type[Harness], ...] = (*REQUESTS_HARNESSES, BlueskyHarness)
IDS = [h.platform for h in HARNESSES]


def test_every_registered_platform_has_a_harness() -> None:
    assert sorted(p for p in BUILTIN if p != "replay") == sorted(IDS)


@pytest.fixture(params=HARNESSES, ids=IDS)
def harness(request: pytest.FixtureRequest) -> Harness:
    cls: type[Harness] = request.param
    return cls()


@pytest.fixture
def mock(harness: Harness) -> Iterator[RespMock]:
    if getattr(harness, "loopback", False):
        with fakeserver.running() as server:
            harness.install(server)
            yield server  # type: ignore[misc]
        return
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        m = RespMock(rsps, harness.base_url)
        harness.install(m)
        yield m


def poll(harness: Harness, mock: RespMock, marks: dict[str, Mark] | None = None) -> list[Page]:
    connector = harness.connector(mock.base_url)
    return list(connector.fetch(marks or {}, None))


def ids(pages: list[Page]) -> set[str]:
    return {i.external_id for p in pages for i in p.items}


FIRST = [
    Rec("c1", "How do I book?", t(50)),
    Rec("c2", "Thank you!", t(40), reply_to="c1"),
    Rec("c3", "The waiting list is too long", t(30), post="p2"),
]


def test_first_poll(harness: Harness, mock: RespMock) -> None:
    harness.serve(FIRST)
    pages = poll(harness, mock)
    assert {harness.external_id(r) for r in FIRST} <= ids(pages)
    assert sum(p.requests for p in pages) == mock.call_count
    assert merge_marks({}, pages), "marks must advance"
    by_id = {i.external_id: i for p in pages for i in p.items}
    assert "How do I book?" in by_id[harness.external_id(FIRST[0])].text
    assert all(i.created_at.tzinfo is not None for i in by_id.values())


def test_idle_poll_costs_one_request_per_stream(harness: Harness, mock: RespMock) -> None:
    harness.serve(FIRST)
    first = poll(harness, mock)
    marks = merge_marks({}, first)
    mock.reset_calls()
    again = poll(harness, mock, marks)
    assert mock.call_count == harness.streams
    assert sum(p.requests for p in again) == harness.streams
    assert ids(again) <= ids(first), "an idle poll finds nothing new"


def test_pagination_follows_next_through_an_empty_page(harness: Harness, mock: RespMock) -> None:
    late = Rec("c9", "Page three", t(20), post="p3")
    harness.serve(FIRST[:1], [], [FIRST[2], late])
    pages = poll(harness, mock)
    assert {harness.external_id(r) for r in (FIRST[0], FIRST[2], late)} <= ids(pages)
    assert sum(p.requests for p in pages) == mock.call_count


def test_overlap_duplicates_are_absorbed(harness: Harness, mock: RespMock, tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        harness.serve(FIRST)
        first = poll(harness, mock)
        newer = Rec("c4", "A new one", t(5))
        harness.serve([*FIRST, newer])
        second = poll(harness, mock, merge_marks({}, first))
        assert harness.external_id(newer) in ids(second)
        with store.transaction() as session:
            saved1 = sum(item_store.save_items(session, p.items, NOW).new for p in first)
        with store.transaction() as session:
            saved2 = item_store.save_items(session, [i for p in second for i in p.items], NOW)
        assert saved1 >= len(FIRST)
        assert saved2.new == 1 and saved2.updated == 0
    finally:
        store.close()


def test_edits_update_text(harness: Harness, mock: RespMock) -> None:
    if harness.edits:
        pytest.skip(harness.edits)
    harness.serve(FIRST)
    first = poll(harness, mock)
    edited = Rec("c3", "The waiting list is fine actually", FIRST[2].at, post="p2")
    harness.serve([*FIRST[:2], edited])
    second = poll(harness, mock, merge_marks({}, first))
    texts = {i.external_id: i.text for p in second for i in p.items}
    assert edited.text in texts.get(harness.external_id(edited), "")


def test_deletions_are_reported(harness: Harness, mock: RespMock) -> None:
    if harness.deletions:
        pytest.skip(harness.deletions)
    harness.serve(FIRST)
    first = poll(harness, mock)
    harness.serve([FIRST[0], FIRST[2]])
    second = poll(harness, mock, merge_marks({}, first))
    assert harness.external_id(FIRST[1]) in {d for p in second for d in p.deleted}


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("5xx", TransientError),
        ("429", RateLimited),
        ("throttled", RateLimited),
        ("malformed", TransientError),
        ("expired", AuthError),
    ],
)
def test_failures_map_to_the_exception_tree(
    harness: Harness, mock: RespMock, kind: str, error: type[ConnectorError]
) -> None:
    harness.serve(FIRST)
    harness.failure = kind
    _, reset = harness.fail_reply(kind)
    with pytest.raises(error) as caught:
        poll(harness, mock)
    if isinstance(caught.value, RateLimited):
        assert reset is not None
        assert caught.value.reset_at == reset


def _request_exceptions() -> list[type[BaseException]]:
    found = {
        obj
        for module in (requests.exceptions,)
        for _, obj in inspect.getmembers(module, inspect.isclass)
        if issubclass(obj, requests.exceptions.RequestException)
    }
    return sorted(found, key=lambda c: c.__name__)


@pytest.mark.parametrize("exc", _request_exceptions(), ids=lambda c: c.__name__)
def test_every_requests_exception_becomes_a_connector_error(
    harness: Harness, exc: type[BaseException]
) -> None:
    if getattr(harness, "loopback", False):
        pytest.skip("this connector does not use requests (see its own exception test)")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        error = exc("injected", "{", 0) if issubclass(exc, requests.JSONDecodeError) else exc("injected")
        rsps.add(responses.GET, re.compile(r".*"), body=error)
        rsps.add(responses.POST, re.compile(r".*"), body=error)
        connector = harness.connector(harness.base_url)
        with pytest.raises(ConnectorError) as caught:
            list(connector.fetch({}, None))
        expected = (
            TransientError if issubclass(exc, requests.Timeout | requests.ConnectionError) else ConnectorError
        )
        assert isinstance(caught.value, expected)


def test_secrets_never_reach_the_logs(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    """Real sockets (urllib3 logs URLs at DEBUG), DEBUG everywhere, success and failure."""
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "tweepy", "httpx", "httpcore", "mastodon", "atproto"):
        caplog.set_level(logging.DEBUG, logger=name)
    with fakeserver.running() as server:
        harness.install(server)
        harness.serve(FIRST)
        list(harness.connector(server.base_url).fetch({}, None))
        harness.failure = "expired"
        with pytest.raises(ConnectorError):
            list(harness.connector(server.base_url).fetch({}, None))
    assert caplog.records, "the libraries should have logged something at DEBUG"
    for secret in harness.secrets:
        assert secret not in caplog.text
