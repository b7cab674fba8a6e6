from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from classifiers.default import DefaultClassifier
from classifiers.labels import risk_to_life
from classifiers.normalise import normalise
from monitor.types import TextInput

CLF = DefaultClassifier(encoder=False)


def risk(text: str, learned: float | None = None, wide: float | None = None) -> float:
    """The first stage's risk score of ``text``; ``learned`` and ``wide`` stand in for the
    calibrated and the wide learned risk heads' scores."""
    view = normalise(text)
    [row] = CLF._learned([view])
    ev = CLF._evidence(TextInput(text), view, row)
    if learned is not None:
        ev = replace(ev, learned={**ev.learned, "risk": learned})
    if wide is not None:
        ev = replace(ev, learned={**ev.learned, "risk_wide": wide})
    return CLF._decide(ev).score("risk_to_life")


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
    assert risk(text) >= 0.5


@pytest.mark.parametrize("text", SAFE)
def test_not_flagged(text: str) -> None:
    assert risk(text) < 0.5


@pytest.mark.parametrize("text", ["Слава Україні", "中文测试", "مرحبا بالعالم", "ᚠᚢᚦ"])
def test_other_scripts_do_not_crash(text: str) -> None:
    assert 0.0 <= risk(text) <= 1.0


def _family_cases() -> list[dict[str, object]]:
    path = Path(__file__).parent.parent / "data" / "classifiers" / "risk_families.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.mark.parametrize("case", _family_cases(), ids=lambda c: f"{c['family']}-{str(c['text'])[:24]}")
def test_cue_families(case: dict[str, object]) -> None:
    """Our own wording for every cue family and its hard negatives (written for these tests): the
    cues and the calibrated head, without the wide head's candidates (the encoder's to judge)."""
    assert (risk(str(case["text"]), wide=0.0) >= 0.5) == case["risk"]


def test_flagged_combination_explains_itself() -> None:
    [c] = CLF.classify([TextInput("I can't keep doing this any more, hit rock bottom")])
    assert "risk_to_life" in c.labels
    assert any("families together" in r for r in c.reasons["risk_to_life"])


def test_harm_words_without_a_child_stay_below_threshold() -> None:
    assert risk("we beat him 3-0 on Saturday, get in") < 0.5


def test_learned_score_is_one_calibrated_voice() -> None:
    text = "everything feels grey lately and i am so tired of all of it"
    assert risk(text, learned=0.97) >= 0.5  # confident calibrated score flags
    middling = risk_to_life.LEARNED_ALONE - 0.05
    assert risk(text, learned=middling, wide=0.0) < 0.5  # a middling one needs a cue …
    assert risk(text, learned=middling, wide=0.9) >= 0.5  # … or the wide head's candidacy
    assert risk("everything feels grey lately, I'm at rock bottom", learned=0.8) >= 0.5
    # it never overrides a figurative or joking guard on its own
    assert risk("this queue is killing me 😂", learned=0.6) < 0.5
    # and never carries a short text by itself
    assert risk("see messi tomorrow", learned=0.99) < 0.5


def test_default_classifier_ships_the_learned_risk_column() -> None:
    assert "risk" in CLF.models.names
