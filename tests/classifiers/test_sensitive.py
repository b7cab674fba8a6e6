"""Excerpt masking beyond the gazetteer: names (pairs, titles, greetings, later mentions),
handles, conditions, medications and doses (classifiers/sensitive.py via alerts.mask)."""

from __future__ import annotations

import pytest

from alerts.mask import mask
from classifiers.confidentiality import sensitive_spans
from classifiers.normalise import normalise

CASES = [
    (
        "My neighbour Gail Fretwell comes to this, she's caring for her husband since his Parkinson's "
        "got bad. Gail's on 0114 496 0123 if you can ring her.",
        ("Gail", "Fretwell", "Parkinson", "0123"),
        "My neighbour [name] comes to this, she's caring for her husband since his [health detail] got bad. "
        "[name] on [phone] if you can ring her.",
    ),
    (
        "Hi Sandra, Mr Patel says your next session with Dr Okonkwo has moved to Thursday.",
        ("Sandra", "Patel", "Okonkwo"),
        "Hi [name], [name] says your next session with [name] has moved to Thursday.",
    ),
    (
        "@jenny_w99 is on sertraline 100mg for her bipolar disorder, her mum told everyone at group",
        ("jenny", "sertraline", "100mg", "bipolar"),
        "[@user] is on [health detail] [health detail] for her [health detail], her mum told everyone at group",
    ),
    (
        "Tell Bartholomew Quigley his lithium levels came back fine, Nurse Adeyemi rang.",
        ("Bartholomew", "Quigley", "lithium", "Adeyemi"),
        "Tell [name] his [health detail] levels came back fine, [name] rang.",
    ),
    (
        "Gemma Hargreaves-Lloyd from the Thursday group has stopped her quetiapine and her ADHD meds.",
        ("Gemma", "Hargreaves", "quetiapine", "ADHD"),
        "[name] from the Thursday group has stopped her [health detail] and her [health detail] meds.",
    ),
    (
        "Thank you Morven for the sessions at Willow Room on Mill Lane, my PTSD is so much better",
        ("Morven", "PTSD"),
        "Thank you [name] for the sessions at Willow Room on Mill Lane, my [health detail] is so much better",
    ),
]


@pytest.mark.parametrize(
    ("text", "hidden", "expected"),
    CASES,
    ids=["pair", "greeting-titles", "handle-meds", "uncommon", "hyphen", "greeted"],
)
def test_every_name_and_health_detail_is_masked(text: str, hidden: tuple[str, ...], expected: str) -> None:
    masked = mask(text)
    assert all(secret not in masked for secret in hidden), masked
    assert masked == expected


@pytest.mark.parametrize(
    "text",
    [
        "Free Tuesday Night Drop-In For Men at the Freeman Street hub. Harbour Lights Counselling, Grimsby",
        "Walking by the sea this morning. Happy Christmas everyone from all at the hub!",
        "Our Leith hub is closed on Boxing Day. Samaritans are on 116 123, any time.",
        "Did anyone else find the Monday group helpful? I did a lot of thinking after.",
    ],
    ids=["headline", "greeting-everyone", "places-days", "sentence-starts"],
)
def test_places_days_and_sentence_starts_are_left_alone(text: str) -> None:
    assert mask(text) == text


def test_masking_spans_map_back_to_the_original_through_evasion() -> None:
    text = "ring Ｇａｉｌ Ｆｒｅｔｗｅｌｌ, she takes ｍｉｒｔａｚａｐｉｎｅ 15mg"
    spans = sensitive_spans(normalise(text))
    masked = mask(text)
    assert {s.kind for s in spans} >= {"name", "health"}
    assert (
        "Ｆｒｅｔｗｅｌｌ" not in masked and "ｍｉｒｔａｚａｐｉｎｅ" not in masked and "15mg" not in masked
    )


def test_a_placed_handle_placeholder_is_not_masked_twice() -> None:
    assert mask("@sam_k99 said hi") == "[@user] said hi"
