"""The cleaning boundary: whatever a platform sends, every string comes out storable and printable."""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from monitor.clean import MAX_ID, MAX_TEXT, clean_item, clean_line, clean_page, clean_text
from monitor.types import Item, ItemKind, Mark, Page, Read

ANY_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=400)
HOSTILE = st.sampled_from(["\ud800", "\udfff", "\x00", "\x1b[31m", "\u202e", "\u200b", "\r\n", "\u2028"])


def storable(value: str) -> bool:
    value.encode("utf-8")  # raises on a lone surrogate
    return "\x00" not in value


@given(st.lists(st.one_of(ANY_TEXT, HOSTILE), max_size=6).map("".join))
def test_any_text_becomes_storable_text(value: str) -> None:
    out = clean_text(value)
    assert storable(out) and len(out) <= MAX_TEXT
    assert all(ch in "\t\n" or unicodedata.category(ch) != "Cc" for ch in out)


@given(st.lists(st.one_of(ANY_TEXT, HOSTILE), max_size=6).map("".join))
def test_any_one_line_field_becomes_one_printable_line(value: str) -> None:
    out = clean_line(value)
    if out is not None:
        assert storable(out) and len(out) <= MAX_ID
        assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in out)


@given(st.text(min_size=1, max_size=50), st.text(min_size=1, max_size=50))
def test_long_values_that_share_a_beginning_stay_distinct(a: str, b: str) -> None:
    start = "x" * 5000
    if a != b:
        assert clean_line(start + a) != clean_line(start + b)


def test_a_surrogate_pair_is_kept_as_the_character_it_encodes() -> None:
    assert clean_text("smile \ud83d\ude00") == "smile 😀"
    assert clean_text("lone \ud800 here") == "lone \ufffd here"


def test_every_field_of_an_item_and_a_page_is_cleaned() -> None:
    hostile = "bad\x00\ud800\u202e\n" + "y" * 3000
    item = Item(
        platform="fake",
        external_id=hostile,
        account="acct",
        kind=ItemKind.COMMENT,
        text=hostile * 10,
        created_at=datetime(2026, 11, 23, 9, 0),  # naive: taken as UTC
        post_id=hostile,
        parent_id=hostile,
        author_id=hostile,
        author_handle=hostile,
        author_name=hostile,
        permalink=hostile,
        raw={hostile: [hostile, {"when": datetime(2026, 1, 1, tzinfo=UTC)}, object()]},
    )
    page = clean_page(
        Page(
            items=(item,),
            marks={hostile: Mark(id=hostile, extra={hostile: hostile})},
            deleted=(hostile,),
            reads=(Read(hostile),),
            warnings=(hostile,),
        )
    )
    cleaned = page.items[0]
    assert cleaned == clean_item(item)
    strings = [
        cleaned.external_id,
        cleaned.text,
        cleaned.post_id,
        cleaned.parent_id,
        cleaned.author_id,
        cleaned.author_handle,
        cleaned.author_name,
        cleaned.permalink,
        *page.deleted,
        page.reads[0].resource,
        *page.warnings,
        *page.marks,
        *(m.id or "" for m in page.marks.values()),
    ]
    assert all(s is not None and storable(s) for s in strings)
    assert cleaned.created_at.tzinfo is not None
    json.dumps(cleaned.raw)  # plain JSON now
    assert "\x00" not in json.dumps(cleaned.raw, ensure_ascii=False)
