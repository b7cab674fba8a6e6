"""YouTube: recorded payload shape, own replies, extra replies, quota and hide."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import requests
import responses

from connectors.youtube import YouTubeConnector, YouTubeSettings, quota_reset
from monitor.config import Secret
from monitor.errors import AuthError
from monitor.types import Account, ItemKind
from tests.connectors.harness import NOW, load

CHANNEL = "UCelmfieldCounselling0001"


def connector(**kw: object) -> YouTubeConnector:
    s = YouTubeSettings(**{"api_key": Secret("AIzaSyFakeYouTubeKey0123456789abcdef", "env:YT"), **kw})  # type: ignore[arg-type]
    c = YouTubeConnector(Account("yt", "youtube", CHANNEL), s, requests.Session())
    c.clock = lambda: NOW
    return c


@responses.activate
def test_threads_with_own_reply() -> None:
    responses.get(
        re.compile(r"https://www\.googleapis\.com/youtube/v3/commentThreads.*"),
        json=load("youtube", "threads.json"),
    )
    pages = list(connector().fetch({}, None))
    by_id = {i.external_id: i for p in pages for i in p.items}
    top = by_id["UgzQ3b8n1xK2Lw9vR0h4AaABAg"]
    assert top.kind is ItemKind.COMMENT and top.post_id == "dQw4w9WgXcQ"
    reply = by_id["UgzQ3b8n1xK2Lw9vR0h4AaABAg.A1b2C3d4E5f"]
    assert reply.kind is ItemKind.OWN_POST and reply.author_is_org and reply.parent_id == top.external_id
    assert reply.updated_at == datetime(2026, 11, 23, 8, 5, tzinfo=UTC)
    assert "allThreadsRelatedToChannelId=" + CHANNEL in responses.calls[0].request.url
    assert len(responses.calls) == 1


@responses.activate
def test_more_replies_than_included_are_fetched() -> None:
    body = load("youtube", "threads.json")
    body["items"][0]["snippet"]["totalReplyCount"] = 7
    responses.get(re.compile(r".*/commentThreads.*"), json=body)
    extra = {
        "items": [
            {
                "id": "UgzQ3b8n1xK2Lw9vR0h4AaABAg.Z9",
                "snippet": {
                    "textOriginal": "sixth reply",
                    "authorChannelId": {"value": "UCx"},
                    "publishedAt": "2026-11-23T08:50:00Z",
                    "updatedAt": "2026-11-23T08:50:00Z",
                    "parentId": "UgzQ3b8n1xK2Lw9vR0h4AaABAg",
                },
            }
        ]
    }
    responses.get(re.compile(r".*/comments\?.*parentId=UgzQ3b8n1xK2Lw9vR0h4AaABAg.*"), json=extra)
    pages = list(connector().fetch({}, None))
    assert "UgzQ3b8n1xK2Lw9vR0h4AaABAg.Z9" in {i.external_id for p in pages for i in p.items}
    assert sum(p.requests for p in pages) == 2


def test_quota_resets_at_pacific_midnight() -> None:
    assert quota_reset(datetime(2026, 11, 23, 9, 0, tzinfo=UTC)) == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


@responses.activate
def test_hide_needs_oauth_and_holds_for_review() -> None:
    with pytest.raises(AuthError, match="oauth_token"):
        connector().hide("Ugz1")
    responses.post(re.compile(r".*/comments/setModerationStatus.*"), status=204)
    connector(oauth_token=Secret("ya29.fakeOAuthToken0123", "env:YTO")).hide("Ugz1")
    sent = responses.calls[0].request
    assert "moderationStatus=heldForReview" in sent.url and sent.headers["Authorization"].startswith(
        "Bearer "
    )
