"""Risk to life: suicidal ideation (direct and indirect), self-harm, immediate danger and
safeguarding concerns about children or vulnerable adults, in English, Welsh, Polish and a
few other languages.

Cue families combine rather than fixed phrases flagging: a strong cue flags alone, two
families together flag, a child or vulnerable adult near a harm cue is a safeguarding
concern. Figurative speech cancels the cue it overlaps; a recovery story damps a lone family.
The learned score is one calibrated voice: alone it flags only when confident.
"""

from __future__ import annotations

import re

from classifiers.cues import Cue, Hit, load_cues, quote
from classifiers.evidence import NEAR, Evidence, Verdict, confirmed, learned_voice

LABEL = "risk_to_life"
URGENT = True
TABLES = load_cues(LABEL)
STRONG = 0.85  # one cue this heavy flags alone, and needs no second opinion from 0.9
LEARNED_ALONE = 0.85  # calibrated learned risk that counts as a family of its own …
LEARNED_ALONE_WORDS = 8  # … in a text of this many words that is not thanks
# … or, in six words or more, where the encoder agrees: (learned, encoder) calibrated bars
ENCODER_AGREES = ((0.5, 0.5), (0.7, 0.2))
LEARNED_WITH_CUE = 0.7  # calibrated learned risk that adds to a rule cue
DESPAIR_BAR = 1.3  # summed despair-word weight at which a short text flags
CHILD_HARM_CHARS = 200  # characters between a child reference and a harm cue
# table -> family name (tables of one family share a name)
FAMILIES = {
    "ideation": "ideation", "ideation_welsh": "ideation", "ideation_polish": "ideation",
    "ideation_other": "ideation", "self_harm": "self-harm", "self_harm_more": "self-harm",
    "third_party": "third party", "safeguarding": "safeguarding", "hopelessness": "hopelessness",
    "burden": "burden", "farewell": "farewell", "means": "means", "preparation": "preparation",
    "distress": "distress", "danger": "danger", "unreachable": "unreachable", "concern": "concern",
    "absolves": "absolves others", "quiet_farewell": "quiet farewell",
}  # fmt: skip
_LEARNED = Hit(Cue(re.compile("$^"), 0.0, "learned risk score"), 0, 0, "")  # no span, no text


def _cues(ev: Evidence) -> tuple[list[tuple[Hit, str, float]], list[str]]:
    """(hit, family, weight) for every rule cue and the learned score, plus notes for the reason."""
    tagged = [(h, fam, h.weight) for t, fam in FAMILIES.items() for h in ev.of(f"{LABEL}.{t}")]
    notes: list[str] = []
    harm, children = ev.of(f"{LABEL}.harm"), ev.of(f"{LABEL}.child")
    near = [h for h in harm if any(abs(c.start - h.start) <= CHILD_HARM_CHARS for c in children)]
    tagged += [(h, "safeguarding", h.weight) for h in near]
    tagged += [(h, "harm", 0.3) for h in harm if h not in near and h.weight >= 0.7]  # "beat him 3-0"
    if near:
        notes.append(f"safeguarding: a child or vulnerable adult and {near[0].what}: {quote(near[0].text)}")
    despair = {h.text.replace("'", ""): h for h in ev.of(f"{LABEL}.despair")}
    total = sum(h.weight for h in despair.values()) if ev.has(f"{LABEL}.first_person") else 0.0
    bar = DESPAIR_BAR * max(1.0, len(ev.text) / 300) ** 0.5  # long texts collect words by chance
    if total >= bar:
        tagged.append((next(iter(despair.values())), "despair", min(0.8, 0.55 + 0.15 * (total - bar))))
        notes.append("several despair words together: " + ", ".join(quote(k) for k in list(despair)[:5]))
    # alone: long enough and not thanks (short praise scores high by accident); with the encoder's
    # agreement quiet farewells, which are often short and grateful, count too
    long_enough = ev.words >= LEARNED_ALONE_WORDS and not ev.has(f"{LABEL}.thanks")
    alone = LEARNED_ALONE if long_enough else 1.01
    voice, why = learned_voice(ev, LABEL, "risk", alone, ENCODER_AGREES)
    if voice == "flag":
        tagged.append((_LEARNED, "learned", 0.55))
        notes.append(why)
    elif ev.ml("risk") >= LEARNED_WITH_CUE:
        tagged.append((_LEARNED, "learned", 0.3))
    elif voice == "near":
        tagged.append((_LEARNED, "near", 0.0))
    return tagged, notes


def decide(ev: Evidence) -> Verdict:
    tagged, notes = _cues(ev)
    figurative = ev.of(f"{LABEL}.figurative")  # a cue inside "this queue is killing me" does not count
    tagged = [t for t in tagged if not any(g.start <= t[0].start < g.end for g in figurative)]
    kept: list[tuple[Hit, str, float]] = []  # overlapping hits are one piece of evidence
    for t in sorted(tagged, key=lambda t: -t[2]):
        if t[1] == "learned" or not any(t[0].start < k[0].end and k[0].start < t[0].end for k in kept):
            kept.append(t)
    by_family: dict[str, float] = {}
    for _, fam, weight in kept:
        by_family[fam] = max(by_family.get(fam, 0.0), weight)
    near = by_family.pop("near", None) is not None  # the encoder should look at this one
    if not by_family:
        return Verdict(NEAR, ask=True) if near else Verdict(0.02)
    weights = sorted(by_family.values(), reverse=True)
    rules = sorted((w for f, w in by_family.items() if f != "learned"), reverse=True)
    rule_pair = len(rules) > 1 and rules[1] >= 0.2
    score = weights[0] + (0.1 if len({h.text for h, f, w in kept if w >= 0.45 and f != "learned"}) > 1 else 0)
    if len(weights) > 1 and weights[1] >= 0.2:
        score = max(score, min(0.97, weights[0] + 0.6 * weights[1] + 0.1 * (len(weights) > 2)))
        if score >= 0.5 and weights[0] < STRONG:
            notes.append(f"cues from {len(weights)} families together: {', '.join(by_family)}")
    now, minor = ev.of(f"{LABEL}.time"), ev.has(f"{LABEL}.minor")
    if rules and rules[0] >= 0.45 and (now or minor):
        score += 0.2
        notes.append(f"time marker: {quote(now[0].text)}" if now else "writer says they are a child")
    relapse = ev.has(f"{LABEL}.relapse")  # "back to cutting again after 6 months clean"
    if ev.has(f"{LABEL}.recovery") and not (now or rule_pair or relapse) and score < 0.97:
        score *= 0.45  # "after my attempt last year, running my first 10k" is not a crisis
    if ev.has(f"{LABEL}.joking") and not rule_pair and score < 0.9:
        score *= 0.6
    if ev.author_is_org:
        score *= 0.5  # our own awareness posts and stories ("from self-harming at 15 to mentoring")
    score = min(0.99, score)
    if score < 0.5:
        return Verdict(max(score, NEAR), ask=True) if near else Verdict(max(score, 0.02))
    cues = [h.reason() for h, f, w in sorted(kept, key=lambda t: -t[2]) if f != "learned" and w > 0]
    strong = bool(rules) and rules[0] >= 0.9
    return confirmed(ev, LABEL, Verdict(score, tuple(dict.fromkeys([*notes, *cues]))[:5], strong))
