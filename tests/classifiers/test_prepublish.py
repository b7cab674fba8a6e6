from __future__ import annotations

from classifiers.prepublish import check_post


def test_client_story_must_change() -> None:
    res = check_post(
        "CLIENT STORY 💬 'K', 41, from Redruth came to us after losing her job. "
        "Twelve sessions later she is back at work!"
    )
    assert res.must_change
    assert any(c.label == "confidentiality_risk" for c in res.concerns)
    assert "4.2" in res.summary() and "3.3" in res.summary()


def test_named_client_is_masked_in_report() -> None:
    res = check_post("Well done Megan Price for finishing our anxiety programme!")
    assert res.must_change
    assert "Megan" not in res.masked and "[name]" in res.masked


def test_routine_post_is_fine() -> None:
    res = check_post("Our Leith hub is closed on Monday for the bank holiday. Samaritans: 116 123.")
    assert not res.must_change
    assert res.concerns == ()


def test_staff_event_post_is_fine() -> None:
    res = check_post("Join our counsellor Daniel for a free talk on sleep this Thursday at 6pm!")
    assert not res.must_change


def test_offensive_draft_must_change() -> None:
    res = check_post("To the idiot who keeps leaving rubbish at our door: you are pathetic.")
    assert res.must_change


def test_a_titled_name_outside_the_gazetteer_is_a_person_and_is_masked() -> None:
    res = check_post(
        "Thank you Mrs Adeyemi for telling everyone how our bereavement group helped after your husband died"
    )
    assert res.must_change
    assert "Adeyemi" not in res.masked and "[name]" in res.masked
    [conf] = [c for c in res.concerns if c.label == "confidentiality_risk"]
    assert {s.kind for s in conf.spans} >= {"name", "health"}
