"""Negative publicity: a complaint, accusation or criticism of the organisation, its staff or
its service that could damage its reputation if left unanswered."""

from __future__ import annotations

from classifiers.cues import load_cues
from classifiers.evidence import Evidence, Verdict
from classifiers.labels.util import distinct, reasons_of

LABEL = "negative_publicity"
URGENT = False
TABLES = load_cues(LABEL)
# Without a complaint cue, the airline-trained complaint model must clear 0.5 by this much:
# out of its domain it reads thanks, jokes and other bodies' failings as complaints.
NO_CUE_MARGIN = 0.3
LEARNED_ALONE = 0.61  # the calibrated learned complaint head (written corpora) flags by itself
T = f"{LABEL}."


def decide(ev: Evidence) -> Verdict:
    if ev.author_is_org:
        return Verdict(0.02)
    model, text = ev.ml("complaint"), ev.text
    hits = ev.of(T + "complaint")
    at_org = bool(ev.family("common.target", "addressed", "organisation"))
    direct = text.startswith(("@", ".@"))  # addressed to an account: the model's score stands
    # not aimed at the organisation and no complaint cue: the airline model reads any bad day as a
    # complaint ("three hours I'll never get back", "a year today since we lost Dad"), so alone it
    # cannot flag (x0.5); the written-corpus head still can
    score = model - (0.0 if hits or direct else NO_CUE_MARGIN) if at_org else model * (0.6 if hits else 0.49)
    evaluation = ev.of(T + "evaluation") if at_org and ev.has(T + "service") else []
    if evaluation:
        score = max(score, max(h.weight for h in evaluation) * (0.3 + 0.6 * model))
    if hits:
        score = max(
            score, max(h.weight for h in hits) * (0.65 + 0.5 * model) + 0.1 * (len(distinct(hits)) > 1)
        )
    harass, risk = ev.score("harassment"), ev.score("risk_to_life")
    if harass >= 0.5 and model >= 0.8 and at_org:
        score = max(score, 0.55)
    elif harass >= 0.5 and not hits and not evaluation:
        score = min(score, 0.45)  # abuse alone is harassment, not a complaint
    if harass >= 0.5 and ev.has(T + "competence"):
        score = max(score, 0.6)  # abuse that attacks the service's competence
    damp = 0.6 if not hits and ev.has("common.joking", "common.praise") else 1.0
    damp *= 0.75 if not (hits or evaluation) and "?" in text else 1.0  # a plain question is engagement
    damp *= 0.3 if ev.score("spam") >= 0.5 or ev.has(T + "praise_complaint", T + "scam_warning") else 1.0
    you = any(h.text in ("you", "your", "ur") for h in ev.family("common.target", "addressed"))
    elsewhere = ev.has(T + "elsewhere") and not (you and not ev.has("common.praise"))
    damp *= 0.4 if elsewhere else 1.0  # the NHS, the council, the ref
    score *= damp
    if risk >= 0.5 and not hits:
        score *= 0.5  # distress about one's own life is not a complaint; a named complaint still is
    elif direct and model >= 0.6 and ev.score("spam") < 0.5 and not ev.has("common.praise"):
        score = max(score, model - 0.05)
    reasons = [*reasons_of(hits + evaluation), f"complaint model score {model:.2f}"]
    learned = ev.ml("negative_publicity")
    if score < 0.55 and learned >= LEARNED_ALONE and ev.score("spam") < 0.5:
        score, reasons = 0.55, [*reasons, f"learned complaint score {learned:.2f}"]
    return Verdict(min(max(score, 0.0), 0.99), tuple(reasons))
