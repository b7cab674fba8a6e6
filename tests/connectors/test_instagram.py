"""Instagram: recorded payload shapes, own captions and replies, tags, check and hide."""

from __future__ import annotations

import re

import pytest
import requests
import responses

from connectors.instagram import InstagramConnector, InstagramSettings
from monitor.config import Secret
from monitor.errors import AuthError
from monitor.types import Account, ItemKind
from tests.connectors.harness import NOW, load

USER = "17841405822304914"


def connector() -> InstagramConnector:
    s = InstagramSettings(
        access_token=Secret("IGQWRfakeInstagramToken0123456789", "env:IG"),
        base_url="https://graph.instagram.com",
    )
    c = InstagramConnector(Account("ig", "instagram", USER), s, requests.Session())
    c.clock = lambda: NOW
    return c


@responses.activate
def test_media_comments_replies_and_tags() -> None:
    responses.get(
        re.compile(r"https://graph\.instagram\.com/v26\.0/\d+/media.*"), json=load("instagram", "media.json")
    )
    responses.get(
        re.compile(r"https://graph\.instagram\.com/v26\.0/\d+/tags.*"), json=load("instagram", "tags.json")
    )
    pages = list(connector().fetch({}, None))
    by_id = {i.external_id: i for p in pages for i in p.items}
    assert by_id["17895695668004550"].kind is ItemKind.OWN_POST  # the caption
    assert by_id["17873440459141021"].kind is ItemKind.COMMENT
    own = by_id["17858893269000001"]
    assert own.kind is ItemKind.OWN_POST and own.author_is_org and own.parent_id == "17873440459141021"
    reply = by_id["17858893269000002"]
    assert reply.kind is ItemKind.REPLY and reply.author_handle == "grumpy_dave"
    assert reply.post_id == "17895695668004550"
    assert by_id["17999999990000001"].kind is ItemKind.MENTION
    assert len(responses.calls) == 2


@responses.activate
def test_hide_and_missing_permission() -> None:
    responses.post(re.compile(r".*/17873440459141021.*"), json={"success": True})
    connector().hide("17873440459141021")
    assert "hide=true" in responses.calls[0].request.url
    body = {
        "error": {
            "message": "(#10) Application does not have permission for this action: instagram_manage_comments",
            "type": "OAuthException",
            "code": 10,
            "fbtrace_id": "B2",
        }
    }
    responses.get(re.compile(r".*/media.*"), status=400, json=body)
    assert connector().check() == [
        "Instagram token lacks instagram_manage_comments (code 10: (#10) Application does not have "
        "permission for this action: instagram_manage_comments)"
    ]
    responses.post(re.compile(r".*/999.*"), status=400, json=load("instagram", "error_expired.json"))
    with pytest.raises(AuthError):
        connector().hide("999")
