"""Our own wording for each cue family of threat, spam, harassment, confidentiality, negative
publicity and engagement, with hard negatives (tests/data/classifiers/label_families.jsonl,
written for these tests; none is copied from the dev or demo sets)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from classifiers.default import DefaultClassifier
from monitor.types import TextInput

CASES = [
    json.loads(line)
    for line in (Path(__file__).parent.parent / "data" / "classifiers" / "label_families.jsonl")
    .read_text(encoding="utf-8")
    .splitlines()
    if line.strip()
]


@pytest.fixture(scope="module")
def clf() -> DefaultClassifier:
    return DefaultClassifier(encoder=False)


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:30] for c in CASES])
def test_family_case(clf: DefaultClassifier, case: dict[str, Any]) -> None:
    [got] = clf.classify([TextInput(case["text"], author_is_org=case.get("author_is_org", False))])
    for label in case["has"]:
        assert label in got.labels, (label, got.scores[label])
    for label in case["not"]:
        assert label not in got.labels, (label, got.reasons.get(label))
