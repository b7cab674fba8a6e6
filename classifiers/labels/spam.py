"""Spam: scams, phishing, impersonation, crypto and follower selling."""

from __future__ import annotations

from classifiers.cues import load_cues
from classifiers.evidence import Evidence, Verdict
from classifiers.labels.util import distinct

LABEL = "spam"
URGENT = False
TABLES = load_cues(LABEL)
# calibrated learned spam scores (the raw 0.5 and 0.3 these were tuned at, through Platt scaling)
LEARNED_ALONE = 0.88  # flags by itself
LEARNED_WITH_CUE = 0.65  # … and together with one spam cue


def decide(ev: Evidence) -> Verdict:
    if ev.author_is_org:
        return Verdict(0.02)  # the organisation's own account does not spam itself
    hits = distinct(ev.of("spam.spam"))
    url = ev.has("common.url")
    money = ev.has("common.money")
    steer = url or ev.has("common.private_channel")  # a scam steers people somewhere
    score = min(0.99, 0.3 * len(hits) + (0.2 if steer else 0) + (0.1 if money else 0))
    if len(hits) == 1 and not (steer or money):
        score = min(score, 0.3)
    learned = ev.ml("spam")
    # one rule cue and a middling learned score are two weak voices that agree
    if learned >= LEARNED_ALONE or (hits and learned >= LEARNED_WITH_CUE):
        score = max(score, 0.55)
    reasons = [h.reason() for h in hits[:3]] + (["contains a link"] if url else [])
    if score >= 0.55 and learned >= LEARNED_WITH_CUE:
        reasons.append(f"learned spam score {learned:.2f}")
    return Verdict(score, tuple(reasons))
