"""Every registered classifier honours the contract on the same batch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from classifiers.base import BUILTIN, Classifier, available, load
from monitor.errors import ClassifierError
from monitor.types import LABELS, SCORE_ONLY, TextInput

BATCH = [
    TextInput("How do I book a session?", platform="facebook", kind="comment"),
    TextInput("I know where you live", platform="x", kind="reply"),
    TextInput("", platform=None),
    TextInput("bad \ud800 \x00 text " * 1000),
    TextInput("One of our clients told us…", kind="own_post", author_is_org=True),
]


def _options(name: str, tmp_path: Path) -> dict[str, Any]:
    if name == "transformers":
        pytest.importorskip("torch", reason="transformers backend needs torch (extra [transformers])")
        pytest.importorskip("transformers", reason="transformers backend needs transformers")
        from tests.classifiers.tiny_model import build_tiny_model

        return {"models": {"offensive": str(build_tiny_model(tmp_path))}}
    return {}


@pytest.mark.parametrize("name", sorted(available()))
def test_contract(name: str, tmp_path: Path) -> None:
    clf = load(name, **_options(name, tmp_path))
    assert isinstance(clf, Classifier)
    assert clf.name == name
    out = clf.classify(BATCH)
    assert len(out) == len(BATCH)
    for c in out:
        assert set(c.scores) >= {*LABELS, *SCORE_ONLY}
        assert all(0.0 <= c.scores[k] <= 1.0 for k in (*LABELS, *SCORE_ONLY))
        assert set(c.labels) <= set(LABELS)
        for label in c.labels:
            assert c.reasons.get(label), label
    assert clf.classify([]) == []


def test_registry_lists_builtins() -> None:
    assert {"default", "transformers"} <= set(BUILTIN)


def test_unknown_classifier() -> None:
    with pytest.raises(ClassifierError):
        load("nope")
