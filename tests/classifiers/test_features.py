"""The hashed feature space is part of the shipped model format: it must never drift."""

from __future__ import annotations

import numpy as np
import pytest

from classifiers.features import N_FEATURES, LinearModels, featurise, prepare, row
from classifiers.normalise import normalise


def test_hash_snapshot_is_stable() -> None:
    cols, vals = row(prepare(normalise("You are a useless idiot @bob http://x.co/a").match))
    # If this fails, the feature hash changed and every shipped model is silently wrong.
    assert cols[:8].tolist() == [2219, 2225, 5362, 9729, 11271, 11478, 14830, 19026]
    assert len(cols) == 140
    assert vals[0] == pytest.approx(0.081832, abs=1e-6)
    assert float(np.linalg.norm(vals)) == pytest.approx(1.0)


def test_prepare_replaces_urls_and_mentions() -> None:
    assert prepare("hi @harbourlanecic see https://example.com/x now") == "hi @user see url now"


def test_featurise_matches_row_and_handles_empty() -> None:
    texts = ["", "a", "hello world"]
    x = featurise(texts)
    assert x.shape == (3, N_FEATURES)
    cols, _ = row("hello world")
    assert sorted(x[2].indices.tolist()) == cols.tolist()


def test_linear_models_round_trip(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "m.npz"
    w = np.zeros((N_FEATURES, 1), dtype=np.float32)
    LinearModels(["x"], w, np.array([2.0], dtype=np.float32)).save(str(path))
    model = LinearModels.load(str(path))
    assert model.predict(["anything"])[0, 0] == pytest.approx(1 / (1 + np.exp(-2.0)))
    with pytest.raises(ValueError):
        LinearModels(["x", "y"], w, np.zeros(2, dtype=np.float32))


def test_a_batch_gives_each_text_the_features_it_gets_alone() -> None:
    # texts are hashed together; no n-gram may leak across the join between two texts
    texts = ["", "a", "ab", "hello world", "\ud800 lone surrogate", "🙂🙂", "x" * 3000, "line\nbreak", "ab"]
    x = featurise(texts)
    for i, text in enumerate(texts):
        cols, vals = row(text)
        assert x[i].indices.tolist() == cols.tolist()
        assert np.allclose(x[i].data, vals)


def test_profanity_batch_matches_single_texts() -> None:
    from importlib import resources

    from classifiers.profanity import ProfanityModel

    with resources.as_file(resources.files("classifiers") / "models" / "profanity.npz") as path:
        model = ProfanityModel.load(str(path))
    texts = ["you absolute idiot", "", "lovely day at the hub", "shit shit shit", "🙂"]
    together = model.predict(texts)
    alone = np.array([model.predict([t])[0] for t in texts])
    assert np.allclose(together, alone)
    assert together[0] > together[2]
