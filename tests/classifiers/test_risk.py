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
