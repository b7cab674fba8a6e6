"""Harassment: abuse, insults and demeaning or hateful language aimed at staff, the
organisation, clients or other commenters, and threats. Not: civil criticism, swearing that is
not aimed at anyone ("bloody brilliant service"), banter ("you muppet 😂")."""

from __future__ import annotations

from classifiers.cues import load_cues
from classifiers.evidence import Evidence, Verdict
from classifiers.labels import hate
from classifiers.labels.offensive import targeted
from classifiers.labels.util import reasons_of

LABEL = "harassment"
URGENT = False
TABLES = load_cues(LABEL)
LEARNED_ALONE = 0.82  # the calibrated learned harassment head flags by itself …
LEARNED_OVER_BANTER = 0.96  # … and over banter or praise only when this confident
OFFENSIVE_AIMED = 0.8  # an offensive-language score this high, aimed at someone, is abuse


def decide(ev: Evidence) -> Verdict:
    insults = ev.of("harassment.insult")
    aimed = targeted(ev)
    praise = ev.has("common.praise")
    score = 0.02
    if insults:
        score = max(h.weight for h in insults) + (0.1 if aimed else -0.35)
        score *= 0.5 if praise and not aimed else 1.0
    addressed = bool(ev.family("common.target", "addressed"))  # swearing at "you", not about a day out
    if addressed and ev.ml("offensive") >= OFFENSIVE_AIMED and not (praise or ev.has("common.joking")):
        score = max(score, 0.55)
    if praise and not any(h.weight >= 0.8 for h in insults):
        score = min(score, 0.45)
    joking = all(h.what == "mild insult" for h in insults) and ev.has("common.joking")
    if insults and joking:
        score = min(score, 0.45)  # banter: "you muppet 😂"
    learned = ev.ml("harassment")
    counts = learned >= LEARNED_ALONE and (
        learned >= LEARNED_OVER_BANTER or not (joking or (praise and not insults))
    )
    if counts and not (praise and not aimed) and not ev.author_is_org:
        score = max(score, 0.55)
    identity = max((h.weight for h in ev.of("hate.hate")), default=0.0)
    if ev.ml("identity_hate") >= hate.LEARNED_ALONE:
        identity = max(identity, 0.55)  # identity-based hate is harassment too
    score = min(0.99, max(score, ev.score("threat") * 0.95, identity))
    reasons = reasons_of(insults) + (["aimed at a person or the organisation"] if aimed and insults else [])
    reasons += list(ev.decided["threat"].reasons[:1]) if ev.score("threat") >= 0.5 else []
    reasons += reasons_of(ev.of("hate.hate"), 1) + (
        [f"learned harassment score {learned:.2f}"] if counts else []
    )
    return Verdict(
        score,
        tuple(reasons) or (f"offensive-language model score {ev.ml('offensive'):.2f}, aimed at someone",),
    )
