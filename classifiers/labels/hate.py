"""Hate: identity-based attacks (race, religion, nationality, immigration status, sex or gender,
gender identity, sexual orientation, disability). Also counted as harassment."""

from __future__ import annotations

from classifiers.cues import load_cues
from classifiers.evidence import Evidence, Verdict

LABEL = "hate"
URGENT = False
TABLES = load_cues(LABEL)
LEARNED_ALONE = 0.7  # the calibrated learned identity-hate head (written corpora)
OFF_GROUP = 0.5  # the HatEval model's score counts this much where no group is named


def decide(ev: Evidence) -> Verdict:
    hits = ev.of("hate.hate")
    rule = max((h.weight for h in hits), default=0.0)
    model = ev.ml("hate")  # HatEval-trained: reads any insult as hate unless a group is named
    score = max(rule, model if ev.has("hate.group") else model * OFF_GROUP)
    learned = ev.ml("identity_hate")
    reasons = [h.reason() for h in hits[:2]]
    if learned >= LEARNED_ALONE:
        score = max(score, 0.55)
        reasons.append(f"learned identity-hate score {learned:.2f}")
    return Verdict(score, tuple(reasons) or (f"hate-speech model score {model:.2f}",), strong=bool(hits))
