from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifiers.base import load
from classifiers.default import TRUNCATED_NOTE, DefaultClassifier
from monitor.errors import ClassifierError
from monitor.types import LABELS, SCORE_ONLY, Classification, TextInput

DATA = Path(__file__).parent.parent / "data" / "classifiers"


def _rows(name: str) -> list[dict[str, Any]]:
    with (DATA / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


GOLDEN = _rows("golden.jsonl")
EVASION = _rows("evasion.jsonl")


@pytest.fixture(scope="module")
def clf() -> DefaultClassifier:
    return DefaultClassifier(encoder=False)


def _one(clf: DefaultClassifier, text: str, **ctx: Any) -> Classification:
    return clf.classify([TextInput(text=text, **ctx)])[0]


@pytest.mark.parametrize("case", GOLDEN, ids=[f"{c['id']}-{c['note'][:30]}" for c in GOLDEN])
def test_golden_cases(clf: DefaultClassifier, case: dict[str, Any]) -> None:
    got = _one(clf, case["text"], author_is_org=case.get("author_is_org", False))
    assert sorted(got.labels) == sorted(case["labels"])
    for label in got.labels:
        assert got.reasons[label], f"{label} flagged without a reason"


EVASION_PAIRS = [(c["plain"], v) for c in EVASION for v in c["variants"]]


@pytest.mark.parametrize(
    ("plain", "variant"), EVASION_PAIRS, ids=[f"{i}-{p[:12]}" for i, (p, _) in enumerate(EVASION_PAIRS)]
)
def test_hostile_variant_gets_same_labels_as_plain(clf: DefaultClassifier, plain: str, variant: str) -> None:
    want = _one(clf, plain).labels
    assert want, f"plain form {plain!r} should flag something"
    assert _one(clf, variant).labels == want


HOSTILE = {
    "one-megabyte": "you idiot " * 100_000,
    "nul": "hello\x00world\x00",
    "lone-surrogates": "bad \ud800 surrogate \udfff end",
    "emoji-only": "😀😂🔥💀" * 50,
    "empty": "",
    "whitespace": " \n\t  ",
    "controls": "".join(chr(i) for i in range(32)),
    "combining-flood": "a" + "\u0301" * 10_000,
    "rtl": "\u202e\u2066evil\u2069\u202c",
    "private-use": "\ue000\uf8ff",
    "digits": "0" * 20_000,
}


@pytest.mark.parametrize("text", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_input_never_crashes(clf: DefaultClassifier, text: str) -> None:
    _assert_contract(_one(clf, text))


def test_long_text_is_truncated_with_a_note(clf: DefaultClassifier) -> None:
    got = _one(clf, "I want to kill myself. " + "la " * 100_000)
    assert "risk_to_life" in got.labels
    assert TRUNCATED_NOTE in got.reasons["risk_to_life"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(max_size=300), max_size=5), st.booleans())
def test_classify_never_raises(texts: list[str], org: bool) -> None:
    clf = load("default", encoder=False)
    out = clf.classify([TextInput(text=t, author_is_org=org) for t in texts])
    assert len(out) == len(texts)
    for c in out:
        _assert_contract(c)


def test_threshold_override_and_bad_option() -> None:
    strict = DefaultClassifier(thresholds={"negative_publicity": 0.99})
    text = "Waited months, no call, no apology, really unprofessional service"
    assert "negative_publicity" not in strict.classify([TextInput(text)])[0].labels
    with pytest.raises(ClassifierError):
        DefaultClassifier(thresholds={"nonsense": 0.5})
    with pytest.raises(ClassifierError):
        DefaultClassifier(colour="blue")


def test_figurative_and_recovery_are_not_risk(clf: DefaultClassifier) -> None:
    for text in (
        "this meeting is killing me",
        "the brownies were to die for",
        "therapy saved my life five years ago, it gets better",
    ):
        assert "risk_to_life" not in _one(clf, text).labels, text


def _assert_contract(c: Classification) -> None:
    for label in (*LABELS, *SCORE_ONLY):
        assert 0.0 <= c.scores[label] <= 1.0
    assert set(c.labels) <= set(LABELS)
    for label in c.labels:
        assert c.reasons.get(label)


def test_praise_for_a_person_is_not_harassment(clf: DefaultClassifier) -> None:
    # the learned head reacts to "the lady who…" phrasing; praise with no insult holds it back
    kind = _one(clf, "the lady who runs the monday group is lovely")
    assert "harassment" not in kind.labels
    assert "harassment" not in kind.reasons
    unkind = _one(clf, "the lady who runs the monday group is a useless cow")
    assert "harassment" in unkind.labels


def test_shut_up_with_a_laugh_is_banter_but_not_at_staff(clf: DefaultClassifier) -> None:
    assert (
        "harassment"
        not in _one(clf, "Shut up Dave 😂 you said that last year and then cried at the quiz").labels
    )
    assert "harassment" in _one(clf, "shut up and answer my emails, you lot are paid to help").labels
    assert "harassment" in _one(clf, "shut up you useless cow 😂").labels
