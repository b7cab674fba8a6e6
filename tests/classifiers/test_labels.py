"""Every label module honours one contract, and each has a golden file of its own
(``tests/data/classifiers/labels/<label>.jsonl``: positives, near-miss negatives and ordinary
posts, written for these tests)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from classifiers import labels
from classifiers.cues import Table, load_cues, parse_cues, quote
from classifiers.default import DefaultClassifier
from classifiers.evidence import Evidence, Verdict
from classifiers.labels import confidentiality_risk, risk_to_life, threat
from monitor.types import LABELS, SCORE_ONLY, TextInput

GOLDEN = Path(__file__).parent.parent / "data" / "classifiers" / "labels"
CLF = DefaultClassifier(encoder=False)
MODULES = {m.LABEL: m for m in labels.MODULES}


def _evidence(text: str, org: bool = False) -> Evidence:
    from classifiers.normalise import normalise

    view = normalise(text)
    [row] = CLF._learned([view])
    return CLF._evidence(TextInput(text, author_is_org=org), view, row)


@pytest.mark.parametrize("module", labels.MODULES, ids=lambda m: m.LABEL)
def test_label_module_contract(module: ModuleType) -> None:
    assert module.LABEL in (*LABELS, *SCORE_ONLY)
    assert isinstance(module.URGENT, bool)
    assert all(isinstance(t, Table) and t.name.startswith(module.LABEL + ".") for t in module.TABLES.values())
    for text, org in (("", False), ("hello", True), ("I know where you live", False)):
        ev = _evidence(text, org)
        for earlier in labels.MODULES[: labels.MODULES.index(module)]:
            ev = ev.with_verdict(earlier.LABEL, earlier.decide(ev))
        verdict = module.decide(ev)
        assert isinstance(verdict, Verdict)
        assert 0.0 <= verdict.score <= 1.0
        if verdict.flagged:
            assert verdict.reasons


@pytest.mark.parametrize("module", labels.MODULES, ids=lambda m: m.LABEL)
def test_every_table_a_module_reads_exists(module: ModuleType) -> None:
    source = Path(module.__file__ or "").read_text(encoding="utf-8")
    known = {t.name for t in labels.all_tables()}
    prefix = 'T + "' if 'T = f"{LABEL}."' in source else None
    names = set(
        re.findall(
            r'"((?:common|spam|risk_to_life|confidentiality_risk|threat|hate|harassment|negative_publicity|engagement)\.[a-z_]+)"',
            source,
        )
    )
    if prefix:
        names |= {f"{module.LABEL}.{n}" for n in re.findall(r'T \+ "([a-z_]+)"', source)}
    names |= {f"{module.LABEL}.{n}" for n in re.findall(r'f"\{LABEL\}\.([a-z_]+)"', source)}
    assert names <= known, names - known


def test_every_labelled_module_has_a_golden_file() -> None:
    have = {p.stem for p in GOLDEN.glob("*.jsonl")}
    assert have == set(LABELS), set(LABELS) ^ have
    assert set(MODULES) == {*LABELS, *SCORE_ONLY}


def _golden() -> list[tuple[str, dict[str, Any]]]:
    return [
        (path.stem, json.loads(line))
        for path in sorted(GOLDEN.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


@pytest.mark.parametrize(
    ("label", "case"), _golden(), ids=lambda x: x if isinstance(x, str) else x["text"][:30]
)
def test_golden(label: str, case: dict[str, Any]) -> None:
    [got] = CLF.classify([TextInput(case["text"], author_is_org=case["author_is_org"])])
    assert (label in got.labels) == case["flag"], (case["case"], got.scores[label], got.reasons.get(label))


@pytest.mark.parametrize("label", [m.LABEL for m in labels.MODULES if m.URGENT])
def test_golden_files_cover_positives_near_misses_and_ordinary_posts(label: str) -> None:
    kinds = [c["case"] for name, c in _golden() if name == label]
    assert kinds.count("positive") >= 5 and kinds.count("near-miss") >= 3 and kinds.count("ordinary") >= 2


@pytest.mark.parametrize(("label", "case"), [(n, c) for n, c in _golden() if MODULES[n].URGENT and c["flag"]])
def test_urgent_reasons_name_their_evidence(label: str, case: dict[str, Any]) -> None:
    [got] = CLF.classify([TextInput(case["text"], author_is_org=case["author_is_org"])])
    reasons = got.reasons[label]
    assert any(re.search(r'"[^"]+"', r) or "calibrated" in r or "NHS number" in r for r in reasons), reasons


@pytest.mark.parametrize("word", ["tomorrow", "tonight", "watch", "going", "weekend", "friday"])
def test_no_everyday_word_carries_risk(word: str) -> None:
    """The learned heads were trained against ordinary posts: a day or a plan is not a crisis."""
    for frame in ("so excited for {} with my friends", "{} is going to be great", "can't wait for {}"):
        text = frame.format(word)
        ev = _evidence(text)
        for head in ("risk", "threat", "confidential"):
            assert ev.learned[head] < 0.3, (head, text, ev.learned[head])
        # nor does the wide head make it a candidate
        for head, module in (
            ("risk", risk_to_life),
            ("threat", threat),
            ("confidential", confidentiality_risk),
        ):
            assert ev.learned[head + "_wide"] < module.WIDE_AT, (head, text, ev.learned[head + "_wide"])
        [got] = CLF.classify([TextInput(text)])
        assert not set(got.labels) & {"risk_to_life", "threat", "confidentiality_risk"}


def test_quote_is_the_one_evidence_format() -> None:
    assert quote('she said "hi"   there') == "\"she said 'hi' there\""
    assert quote("x" * 100).endswith('…"')


def test_cue_files_report_format_errors() -> None:
    with pytest.raises(ValueError, match="line 1"):
        parse_cues("demo", "orphan cue")
    with pytest.raises(ValueError, match="line 1"):
        parse_cues("demo", "== 0.5 family")
    with pytest.raises(ValueError, match="line 2"):
        parse_cues("demo", "@ t\nstray")
    tables = parse_cues("demo", "@ t\n# note\n== 0.5 a family\nfoo\nbar baz\n")
    assert [h.text for h in tables["t"].find("x foo and bar baz")] == ["foo", "bar baz"]
    assert tables["t"].find("food") == ()


def test_every_cue_file_loads() -> None:
    for module in labels.MODULES:
        if module.TABLES:
            assert load_cues(module.LABEL).keys() == module.TABLES.keys()


def test_the_threat_wide_heads_lower_band_is_a_candidate_only_for_the_encoder() -> None:
    """Between the wide head's 0.3 and 0.6 a threat candidate exists only to be confirmed by the
    encoder: without one it is not made (the first stage alone flags no more than before), with
    one it asks for a second opinion at the band's own bar."""
    from dataclasses import replace

    ev = _evidence("Nice little place you've got there. Be a pity.")
    ev = replace(ev, learned={**ev.learned, "threat": 0.1, "threat_wide": 0.45}, hits={})
    ev = CLF._decide(ev)
    assert not threat.decide(ev).flagged  # no encoder installed
    with_encoder = CLF._decide(replace(ev, second_opinion=True))
    verdict = threat.decide(with_encoder)
    assert verdict.flagged and verdict.wants_encoder and verdict.bar == threat.CANDIDATE_BARS[-1][2] == 0.4


def test_a_risk_candidate_in_a_complaint_needs_a_clear_opinion() -> None:
    """A wide-head risk candidate in a complaint ("… won't be going back") needs the encoder's
    complaint bar, not the candidate's own: a customer leaving is not a farewell."""
    from dataclasses import replace

    text = "Thin walls in the upstairs rooms, everyone could hear me. Won't be going back."
    ev = _evidence(text)
    scores = {**ev.learned, "risk": 0.6, "risk_wide": 0.7}
    plain = risk_to_life.decide(CLF._decide(replace(ev, learned=scores, second_opinion=True)))
    assert plain.flagged and plain.bar == risk_to_life.CANDIDATE_BARS[0][2]
    complaint = {**scores, "negative_publicity": 0.8}
    verdict = risk_to_life.decide(CLF._decide(replace(ev, learned=complaint, second_opinion=True)))
    assert verdict.flagged and verdict.bar == risk_to_life.COMPLAINT_BAR == 0.65
