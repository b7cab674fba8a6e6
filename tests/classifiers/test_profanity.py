from __future__ import annotations

from importlib import resources

import numpy as np
import pytest

from classifiers.profanity import ProfanityModel

TEXTS = ["you are a fucking idiot", "have a lovely day", "", "shit happens", "🙂🙂"]


@pytest.fixture(scope="module")
def model() -> ProfanityModel:
    path = resources.files("classifiers").joinpath("models/profanity.npz")
    if not path.is_file():
        pytest.skip("profanity.npz not built (alt-profanity-check absent at training time)")
    with resources.as_file(path) as real:
        return ProfanityModel.load(str(real))


def test_scores_are_probabilities(model: ProfanityModel) -> None:
    p = model.predict(TEXTS)
    assert ((p >= 0) & (p <= 1)).all()
    assert p[0] > 0.9 > p[1]


def test_matches_alt_profanity_check_when_installed(model: ProfanityModel) -> None:
    pc = pytest.importorskip("profanity_check", reason="alt-profanity-check not installed")
    assert np.allclose(model.predict(TEXTS), pc.predict_prob(TEXTS), atol=1e-6)


def test_blend_is_monotonic(model: ProfanityModel) -> None:
    low = model.blend(np.array([0.1, 0.1]), ["hello", "hello"])
    high = model.blend(np.array([0.9, 0.9]), ["hello", "hello"])
    assert (high > low).all()
