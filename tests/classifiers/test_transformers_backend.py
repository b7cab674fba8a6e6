from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch", reason="transformers backend needs torch (extra [transformers])")
pytest.importorskip("transformers", reason="transformers backend needs transformers")

from classifiers.base import load
from monitor.errors import ClassifierError
from monitor.types import TextInput
from tests.classifiers.tiny_model import build_tiny_model


def test_loads_local_model_and_scores_every_label(tmp_path: Path) -> None:
    path = build_tiny_model(tmp_path)
    clf = load(
        "transformers",
        models={"offensive": {"model": str(path), "positive": ["offensive"]}, "harassment": str(path)},
        batch_size=2,
        max_length=16,
    )
    texts = [TextInput(t) for t in ["you are an idiot", "thanks", "x" * 50_000, "", "\ud800\x00"]]
    out = clf.classify(texts)
    assert len(out) == len(texts)
    for c in out:
        assert 0.0 <= c.scores["offensive"] <= 1.0
        assert 0.0 <= c.scores["harassment"] <= 1.0
        if "harassment" in c.labels:
            assert "tiny-bert" in c.reasons["harassment"][0]


def test_threshold_zero_flags_everything(tmp_path: Path) -> None:
    path = build_tiny_model(tmp_path)
    clf = load("transformers", models={"harassment": str(path)}, thresholds={"harassment": 0.0})
    assert all("harassment" in c.labels for c in clf.classify([TextInput("a"), TextInput("b")]))


def test_multiclass_model_needs_positive_names(tmp_path: Path) -> None:
    path = build_tiny_model(tmp_path, labels=("negative", "neutral", "positive"))
    with pytest.raises(ClassifierError):
        load("transformers", models={"negative_publicity": str(path)})
    clf = load("transformers", models={"negative_publicity": {"model": str(path), "positive": ["negative"]}})
    assert 0.0 <= clf.classify([TextInput("bad")])[0].scores["negative_publicity"] <= 1.0


def test_missing_model_is_a_classifier_error(tmp_path: Path) -> None:
    with pytest.raises(ClassifierError):
        load("transformers", models={"hate": str(tmp_path / "nope")})
