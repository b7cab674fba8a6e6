"""Mastodon: direct messages are private; HTML becomes text; min_id paging; no hiding."""

from __future__ import annotations

import pytest
import responses

from monitor.errors import PermanentError
from tests.connectors.harness import MastodonHarness, Rec, RespMock, t


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


def test_a_timeout_after_a_good_page_says_timeout_not_the_last_status() -> None:
    """The label of a timeout must not be borrowed from the previous (200) answer."""
    import requests

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
