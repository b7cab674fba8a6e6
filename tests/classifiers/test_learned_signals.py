"""The learned risk, threat and spam signals (models/risk.npz), in wording not seen in training."""

from __future__ import annotations

import pytest

from classifiers.base import load
from classifiers.features import LinearModels
from classifiers.train_risk import HEADS
from monitor.types import TextInput

CLF = load("default", encoder=False)


def labels(text: str) -> tuple[str, ...]:
    return CLF.classify([TextInput(text)])[0].labels


def test_risk_npz_has_every_head() -> None:
    from importlib import resources

    with resources.as_file(resources.files("classifiers").joinpath("models/risk.npz")) as path:
        assert LinearModels.load(str(path)).names == HEADS


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("honestly think my family would have an easier life if i wasnt in it anymore", "risk_to_life"),
        (
            "put the kids' photos in a box for my sister and wrote her a letter. think i'm ready now",
            "risk_to_life",
        ),
        (
            "You lot think you can ignore me. I've got your receptionist's number plate. See you soon.",
            "threat",
        ),
        (
            "Congratulations! Your page has been selected for verification, confirm your login here bit.ly/x9",
            "spam",
        ),
    ],
    ids=["burden", "affairs-in-order", "implied-threat", "phishing"],
)
def test_unseen_wording_is_caught(text: str, label: str) -> None:
    assert label in labels(text)


@pytest.mark.parametrize(
    "text",
    [
        "I'm going to murder you at badminton on Thursday 😂 bring your A game",
        "This week has absolutely finished me off, roll on Friday",
        "Our sponsored walk for suicide prevention raised £2,300 — thank you all!",
    ],
    ids=["sport-banter", "tired", "fundraising"],
)
def test_hard_negatives_stay_quiet(text: str) -> None:
    assert not set(labels(text)) & {"risk_to_life", "threat", "spam"}
