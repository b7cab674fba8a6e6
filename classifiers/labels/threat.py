"""Threat: violence, harm, doxxing or damage against people or property, explicit or clearly
implied ("I know where your counsellor lives", "shame if that building caught fire")."""

from __future__ import annotations

from classifiers.cues import load_cues
from classifiers.evidence import NEAR, Evidence, Verdict, confirmed, learned_voice
from classifiers.labels.util import distinct

LABEL = "threat"
URGENT = True
TABLES = load_cues(LABEL)
STRONG = 0.9  # an explicit threat cue stands without a second opinion
LEARNED_ALONE = 0.9  # calibrated learned threat score that flags by itself …
ENCODER_AGREES = ((0.6, 0.3),)  # … or where learned and encoder scores reach these together
TWO_CUES = 0.15  # two implied cues together ("found his address" + "tick tock")


def decide(ev: Evidence) -> Verdict:
    hits = distinct(ev.of("threat.threat"))
    score = max((h.weight for h in hits), default=0.02)
    if len(hits) > 1:
        score = min(0.99, score + TWO_CUES)
    reasons = [h.reason() for h in hits[:3]]
    voice, why = learned_voice(ev, LABEL, "threat", LEARNED_ALONE, ENCODER_AGREES)
    if voice == "flag" and not ev.author_is_org:
        score = max(score, 0.55 if ev.ml("threat") < 0.95 else 0.7)
        reasons.append(why)
    if (hits or voice == "flag") and ev.has("threat.joke"):
        score *= 0.4  # "I will find whoever made these brownies 😂", "gonna kill you Shaz 😂😂"
    if score < 0.5:
        if voice == "near" and not ev.has("threat.joke"):
            return Verdict(max(score, NEAR), ask=True)
        return Verdict(score)
    strong = bool(hits) and hits[0].weight >= STRONG
    return confirmed(ev, LABEL, Verdict(score, tuple(reasons), strong))
