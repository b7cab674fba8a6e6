"""Engagement: a genuine question, request or opportunity that deserves a timely reply (how to
book, costs, opening hours, access, volunteering, partnerships, press, praise that invites a
thank-you). Not: rhetorical questions, the organisation's own posts, spam."""

from __future__ import annotations

import re

from classifiers.cues import Hit, load_cues
from classifiers.evidence import Evidence, Verdict
from classifiers.labels.util import reasons_of

LABEL = "engagement"
URGENT = False
TABLES = load_cues(LABEL)
LEARNED_ALONE = 0.66  # the calibrated learned enquiry head flags by itself
OPEN_WITH = 0.5  # a learned enquiry score that lets an open question ("is it on?") ask the organisation
OFF_TOPIC = 0.6  # an open question with neither a topic word nor that score counts this much
T = f"{LABEL}."
_OTHERS = re.compile(
    r"(?:unrhyw un|oes rhywun|rhywun|unrhyw) yn gwybod|\bkto(?:s)? wie|\bwie kto(?:s)?|\bczy kto(?:s)?|\bczy to\b"
)
_WHO_IS_THAT = re.compile(
    r"(?:is|was) (?:that|this) ((?:you|u)(?![a-z'])|the \w+ (?:twins|brothers|sisters)\b)?"
)


def decide(ev: Evidence) -> Verdict:
    if ev.author_is_org or ev.score("spam") >= 0.5:
        return Verdict(0.02)
    text = ev.text
    asking = "?" in text or ev.has(T + "request")  # a topic word ("cost") asks only in a question
    on_topic = ev.has(T + "topic") or ev.ml("engagement") >= OPEN_WITH
    open_q = [h for h in ev.of(T + "open_question") if not text[: h.start].endswith("why ")]  # rhetorical
    # "is that you in the group photo??", "is that Big Mick from the darts team?": who someone is
    open_q = [h for h in open_q if not _who_is_that(ev, h)]
    q = [h for h in ev.of(T + "question") if not text[: h.start].endswith("why ")]
    q = [h for h in q if asking or h.what != "question or request for the organisation"]
    q += ev.of(T + "ask")
    q += [h for h in ev.of(T + "welsh_polish_question") if not _asks_others(text, h)]
    offer = ev.of(T + "offer")
    if ev.score("negative_publicity") >= 0.5:
        offer = [h for h in offer if "donat" not in h.text]  # "don't donate a penny" is a boycott
    praise = [h for h in ev.of("common.praise") if h.weight >= 0.75]
    hits = q + offer + praise
    score = max((h.weight for h in hits), default=0.02)
    if open_q:  # "do you think Price will be a diamond on Monday?" asks the charity nothing
        score = max(score, max(h.weight for h in open_q) * (1.0 if on_topic else OFF_TOPIC))
        hits = hits + open_q
    if ev.score("risk_to_life") >= 0.5 and not (q or open_q):
        score *= 0.5  # a farewell "thank you" is not an invitation to reply
    if ev.score("negative_publicity") >= 0.5 and not (any(h.weight >= 0.75 for h in q + open_q) or offer):
        score *= 0.5  # thanks inside a complaint is sarcasm ("cheers for the voicemail … top notch")
    harass = ev.score("harassment") >= 0.5
    score *= 0.4 if harass else 1.0
    reasons = reasons_of(hits)
    learned = ev.ml("engagement")
    if score < 0.55 and learned >= LEARNED_ALONE and not harass:
        score, reasons = 0.55, [*reasons, f"learned enquiry score {learned:.2f}"]
    return Verdict(score, tuple(reasons))


def _asks_others(text: str, hit: Hit) -> bool:
    """A Welsh or Polish question put to the other commenters ("oes rhywun yn gwybod pryd …?",
    "ktoś wie, czy …?") or about who someone is ("czy to Paweł …?"), not to the organisation."""
    return bool(_OTHERS.search(text[max(0, hit.start - 30) : hit.start + 25]))


def _who_is_that(ev: Evidence, hit: Hit) -> bool:
    """A question about who someone is ("is that you…", "is that Big Mick…"), asked of another
    commenter rather than of the organisation."""
    m = _WHO_IS_THAT.match(hit.text)
    if m is None:
        return False
    if m.group(1):  # "is that you", "is that the Pearson twins"
        return True
    name_at = hit.start + m.end()
    return any(p.kind == "name" and p.start == name_at for p in ev.people.persons)
