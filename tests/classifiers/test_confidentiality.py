from __future__ import annotations

from pathlib import Path

import pytest

from classifiers.confidentiality import contact_spans, mask, nhs_number_valid
from classifiers.default import DefaultClassifier
from monitor.types import Classification, Span, TextInput

CLF = DefaultClassifier(encoder=False)


def _result(text: str, org: bool = False) -> Classification:
    return CLF.classify([TextInput(text, author_is_org=org)])[0]


def _conf(text: str, org: bool = False) -> float:
    return _result(text, org).scores["confidentiality_risk"]


def _reasons(text: str) -> tuple[str, ...]:
    return tuple(_result(text).reasons.get("confidentiality_risk", ()))


@pytest.mark.parametrize(
    "text",
    [
        "my son Liam Kerr goes to your anxiety group on Tuesdays, can someone tell me if he turned up",
        "saw Fiona Grant coming out of the counselling rooms on Fore Street, hope she's ok",
        "my therapist Rhian has been amazing with my PTSD since the crash",
        "Her mobile is 07700 900456, please call her about her counselling",
        "patient NHS number 943 476 5919 needs a callback",
    ],
    ids=["third-party-name", "seen-at-rooms", "self-disclosure", "third-party-phone", "nhs"],
)
def test_flags(text: str) -> None:
    assert _conf(text) >= 0.5


@pytest.mark.parametrize(
    "text",
    [
        "Mental health matters, check in on your mates this winter",
        "Huge thanks to Sophie for running the craft stall at the summer fair!",
        "Samaritans are on 116 123, day or night",
        "Loved the talk from Daniel about sleep and stress, really useful",
    ],
    ids=["general", "staff-thanks", "helpline", "staff-talk"],
)
def test_does_not_flag(text: str) -> None:
    assert _conf(text) < 0.5


def test_org_post_describing_a_client_even_anonymised() -> None:
    assert _conf("A client of ours, a young mum from Bodmin, has just finished CBT 💙", org=True) >= 0.5
    assert _conf("Our Truro hub reopens on Monday after the refurb", org=True) < 0.5


def test_self_disclosure_is_marked() -> None:
    assert any("self-disclosure" in r for r in _reasons("my counsellor Gemma says my bipolar is improving"))


def test_reasons_do_not_leak_raw_contact_values() -> None:
    joined = " ".join(_reasons("ring my neighbour about her counselling on 07700 900123"))
    assert "900123" not in joined
    assert "07*** ******" in joined


def test_nhs_mod11() -> None:
    assert nhs_number_valid("943 476 5919")
    assert not nhs_number_valid("943 476 5918")
    assert not nhs_number_valid("111 111 1111")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("call 07700 900123", "phone"),
        ("ring +44 7700 900123", "phone"),
        ("landline 01752 123456", "phone"),
        ("mail jo.bloggs@example.co.uk", "email"),
        ("lives at PL4 8AA", "postcode"),
        ("number 943-476-5919", "nhs_number"),
    ],
)
def test_contact_spans(text: str, kind: str) -> None:
    assert [k for _, _, k in contact_spans(text)] == [kind]


def test_mask_replaces_spans_in_the_original_text() -> None:
    text = "Please ring Pauline Hosking on 07700 900412 about her trauma counselling"
    masked = mask(text, _result(text).spans)
    assert "Pauline" not in masked and "900412" not in masked
    assert "[name]" in masked and "[phone]" in masked


def test_mask_with_evasion_maps_offsets_to_original() -> None:
    text = "ring Ｐａｕｌｉｎｅ on ０７７００ ９００４１２ re her counselling"
    masked = mask(text, _result(text).spans)
    assert "Ｐａｕｌｉｎｅ" not in masked
    assert "９００４１２" not in masked


def test_mask_handles_overlaps_and_out_of_range() -> None:
    spans = (Span(0, 5, "name"), Span(3, 8, "phone"), Span(50, 60, "email"))
    assert mask("Alice 0770 end", spans) == "[name][phone]70 end"
    assert mask("", spans) == ""


@pytest.mark.parametrize(
    "text",
    [
        "the knife man from the Monday group was in the paper again, does he still come to you?",
        "the new vicar has been coming to your addiction group, everyone in the village knows",
        "that tall lad with the red hair goes to your bereavement sessions, small world",
    ],
    ids=["described-from-group", "new-vicar", "described-looks"],
)
def test_an_identifying_description_counts_as_a_person(text: str) -> None:
    assert _conf(text) >= 0.5
    assert any("identifying description" in r or "person" in r for r in _reasons(text))


@pytest.mark.parametrize(
    "text",
    [
        "the lady who runs the monday group is lovely",
        "the new vicar opened the summer fair, what a day",
        "that man from the council never answers his phone",
    ],
    ids=["staff-who-run-group", "no-client-cue", "no-client-cue-2"],
)
def test_a_description_alone_is_not_a_leak(text: str) -> None:
    assert _conf(text) < 0.5


def test_the_organisations_own_name_is_not_a_person() -> None:
    """A "Thank you One Step" after a recovery story named the charity, not a client or counsellor:
    with the organisation's name known it is no confidentiality risk; a counsellor's name still is."""
    thanks = "counselling here saved my life in 2023, no exaggeration. Thank you One Step 💚"
    named = "counselling here saved my life in 2023, no exaggeration. Thank you Rachel 💚"
    assert "confidentiality_risk" in _result(thanks).labels  # unknown, "One Step" reads as a name
    own = DefaultClassifier(encoder=False, organisation="One Step Counselling and Therapies C.I.C")
    [thanked, counsellor] = own.classify([TextInput(thanks), TextInput(named)])
    assert "confidentiality_risk" not in thanked.labels
    assert "confidentiality_risk" in counsellor.labels
    assert any("person identified (R.)" in r for r in counsellor.reasons["confidentiality_risk"])


def test_the_pipeline_tells_the_classifier_the_organisations_name(tmp_path: Path) -> None:
    from classifiers.base import load
    from monitor import config as config_module
    from monitor import pipeline
    from monitor.store.db import open_store

    demo = config_module.load_demo(state_dir=tmp_path / "state")
    store = open_store(f"sqlite:///{tmp_path / 'monitor.db'}")
    try:
        ctx = pipeline.build_context(demo, store)
    finally:
        store.close()
    assert isinstance(ctx.classifier, DefaultClassifier)
    assert {"elmfield", "wellbeing"} <= ctx.classifier.own_name  # [general] organisation of the demo
    [verdict] = ctx.classifier.classify(
        [TextInput("counselling here saved my life in 2023, no exaggeration. Thank you Elmfield 💚")]
    )
    assert "confidentiality_risk" not in verdict.labels
    assert load("default", encoder=False).own_name == frozenset()  # no name given, none assumed
