from __future__ import annotations

import pytest

from classifiers.normalise import normalise
from classifiers.risk import assess

RISK = [
    "i just want to die",
    "I'm going to take all my tablets tonight",
    "been self harming again, nobody knows",
    "my grandad has dementia and his carer keeps taking his money, he has bruises on his arms",
    "my 8 year old nephew was left home alone all weekend",
    "chcę umrzeć",  # Polish
    "myślę o samobójstwie",  # Polish
    "dw i eisiau marw",  # Welsh
    "dwi'n niweidio fy hun eto",  # Welsh
]
SAFE = [
    "the hold music is the death of me lol",
    "these cupcakes are to die for",
    "killing it at the parkrun today",
    "two years ago I didn't want to live. counselling saved my life. it gets better",
    "Suicide prevention training for volunteers next Tuesday",
    "Dziękuję bardzo za wszystko",
    "Bore da! Diolch yn fawr",
]


@pytest.mark.parametrize("text", RISK)
def test_risk_flagged(text: str) -> None:
    assert assess(normalise(text).match).score >= 0.5


@pytest.mark.parametrize("text", SAFE)
def test_not_flagged(text: str) -> None:
    assert assess(normalise(text).match).score < 0.5


@pytest.mark.parametrize("text", ["Слава Україні", "中文测试", "مرحبا بالعالم", "ᚠᚢᚦ"])
def test_other_scripts_do_not_crash(text: str) -> None:
    assert 0.0 <= assess(normalise(text).match).score <= 1.0


def _family_cases() -> list[dict[str, object]]:
    import json
    from pathlib import Path

    path = Path(__file__).parent.parent / "data" / "classifiers" / "risk_families.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.mark.parametrize("case", _family_cases(), ids=lambda c: f"{c['family']}-{str(c['text'])[:24]}")
def test_cue_families(case: dict[str, object]) -> None:
    """Our own wording for every cue family and its hard negatives (written for these tests)."""
    result = assess(normalise(str(case["text"])).match)
    assert (result.score >= 0.5) == case["risk"], result.reasons


def test_flagged_combination_explains_itself() -> None:
    result = assess(normalise("I can't keep doing this any more, hit rock bottom").match)
    assert result.score >= 0.5
    assert any("families together" in r for r in result.reasons)


def test_harm_words_without_a_child_stay_below_threshold() -> None:
    assert assess(normalise("we beat him 3-0 on Saturday, get in").match).score < 0.5


def test_learned_score_is_one_weak_voice() -> None:
    text = normalise("everything feels grey lately").match
    assert assess(text, learned=0.95).score >= 0.5  # confident learned score flags
    assert assess(text, learned=0.4).score < 0.5  # a middling one needs a cue
    with_cue = normalise("everything feels grey lately, I'm at rock bottom").match
    assert assess(with_cue, learned=0.4).score >= 0.5
    # it never overrides a figurative or joking guard on its own
    assert assess(normalise("this queue is killing me 😂").match, learned=0.6).score < 0.5


def test_default_classifier_ships_the_learned_risk_column() -> None:
    from classifiers.default import DefaultClassifier

    assert "risk" in DefaultClassifier().models.names
