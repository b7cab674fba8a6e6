"""Risk to life: suicidal ideation (direct and indirect), self-harm, immediate danger and
safeguarding concerns about children or vulnerable adults, in English, Welsh, Polish and a
few other languages.

Cue families combine rather than fixed phrases flagging: a strong cue flags alone, two
families together flag, a child or vulnerable adult near a harm cue is a safeguarding
concern. Figurative speech cancels the cue it overlaps; a recovery story damps a lone family.
The learned heads are one voice: the calibrated head flags alone only when confident; the wide
head makes a candidate, which the sentence encoder confirms where it is installed.
"""

from __future__ import annotations

import re

from classifiers.cues import Cue, Hit, load_cues, quote
from classifiers.evidence import Evidence, Verdict, confirmed, learned

LABEL = "risk_to_life"
URGENT = True
TABLES = load_cues(LABEL)
STRONG = 0.85  # one cue this heavy flags alone, and needs no second opinion from 0.9 …
STRONG_RULES = 0.85  # … nor does evidence of several rule families that reaches this together,
# nor a cue of these families from this weight: a method, intent, an adult approaching a child
STRONG_FAMILY = {"means": 0.8, "ideation": 0.85, "safeguarding": 0.8, "self-harm": 0.85}
LEARNED_ALONE = 0.8  # calibrated learned risk that flags alone and stands (six words or more, not thanks)
WIDE_AT = 0.43  # the wide head's calibrated score that makes a candidate (its raw 0.35; the old head flagged alone from 0.45)
# the encoder score a candidate resting on the wide head needs, by its (calibrated, wide) scores:
# a middling calibrated score needs only a little agreement, a low one a clear opinion, and a
# candidate at the wide head's margin (0.43-0.5) a fair one (round 5's heads, which read three of
# the encoder's layers: 0.15 for the first; 0.1 let "Jason Aldean being on a Thursday makes me
# really not want to go" through at 0.11)
CANDIDATE_BARS = ((0.5, 0.5, 0.15), (0.5, 0.0, 0.4), (0.0, 0.0, 0.65))
# a flag on one weak cue (or a wide candidate beside a risk-family cue) needs this much of the
# encoder: its heads' own bar (97% of written positives, 0.04 for round 5's) let a concert-goer's
# "last night may have been my last Digi concert … thank you for everything" through at 0.08
WEAK_BAR = 0.1
# a wide candidate in a complaint (learned complaint score from 0.6) needs the encoder's 0.65
COMPLAINT_AT, COMPLAINT_BAR = 0.6, 0.65
LEARNED_ALONE_WORDS = 6  # … in a text of this many words that is not thanks
LEARNED_WITH_CUE = 0.7  # calibrated learned risk that adds to a rule cue
SUPPORT = 0.25  # a risk-family cue this heavy beside a wide-head candidate lowers its bar to confirmation
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
FAMILY_NAMES = frozenset(FAMILIES.values()) | {"safeguarding", "despair"}
_LEARNED = Hit(Cue(re.compile("$^"), 0.0, "learned risk score"), 0, 0, "")  # no span, no text


def _cues(ev: Evidence) -> tuple[list[tuple[Hit, str, float]], list[str], float | None]:
    """(hit, family, weight) for every rule cue and the learned score, plus notes for the reason."""
    tagged = [(h, fam, h.weight) for t, fam in FAMILIES.items() for h in ev.of(f"{LABEL}.{t}")]
    notes: list[str] = []
    # a child writing about themself ("im 13 and my dad hits me") is a child beside the harm cue
    harm, children = ev.of(f"{LABEL}.harm"), ev.of(f"{LABEL}.child", f"{LABEL}.minor")
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
    # alone: long enough and not thanks (short praise scores high by accident); quiet farewells,
    # which are often short and grateful, are candidates for the wide head
    say = learned(
        ev, "risk", alone=LEARNED_ALONE if _long(ev) else 1.01, wide_at=WIDE_AT, bars=CANDIDATE_BARS
    )
    if say.confident:
        tagged.append((_LEARNED, "learned", 0.55))
        notes.append(say.reason)
    elif say.candidate:
        tagged.append((_LEARNED, "candidate", 0.55))
        notes.append(say.reason)
    elif ev.ml("risk") >= LEARNED_WITH_CUE:
        tagged.append((_LEARNED, "learned", 0.3))
    bar = say.bar
    if say.candidate and bar is not None and ev.ml("negative_publicity") >= COMPLAINT_AT:
        # a complaint's "won't be going back" is a customer leaving: a candidate needs a clear opinion
        bar = max(bar, COMPLAINT_BAR)
    return tagged, notes, bar


def _long(ev: Evidence) -> bool:
    return ev.words >= LEARNED_ALONE_WORDS and not ev.has(f"{LABEL}.thanks")


def decide(ev: Evidence) -> Verdict:
    tagged, notes, candidate_bar = _cues(ev)
    figurative = ev.of(f"{LABEL}.figurative")  # a cue inside "this queue is killing me" does not count
    tagged = [t for t in tagged if not any(g.start <= t[0].start < g.end for g in figurative)]
    if figurative and all(f == "candidate" for _, f, _ in tagged):
        tagged = []  # the figure is what the wide head heard ("this lasagne is to die for")
    kept: list[tuple[Hit, str, float]] = []  # overlapping hits are one piece of evidence
    for t in sorted(tagged, key=lambda t: -t[2]):
        if t[1] in ("learned", "candidate") or not any(
            t[0].start < k[0].end and k[0].start < t[0].end for k in kept
        ):
            kept.append(t)
    if not kept:
        return Verdict(0.02)
    score, why = _score(ev, kept, notes)
    if score < 0.5:
        return Verdict(max(score, 0.02))
    rule_kept = [t for t in kept if t[1] not in ("learned", "candidate")]
    rules = sorted((w for _, _, w in rule_kept), reverse=True)
    rule_score = _score(ev, rule_kept, [])[0] if rule_kept else 0.0
    # strong: an explicit cue, rule families that flag together, or a confident calibrated score
    fams = {f for _, f, _ in rule_kept}
    strong = (bool(rules) and rules[0] >= 0.9) or rule_score >= STRONG_RULES
    strong = strong or any(w >= STRONG_FAMILY.get(f, 1.0) for _, f, w in rule_kept)
    # a farewell that absolves others ("none of this is your fault … look after mum")
    strong = strong or ("absolves others" in fams and bool(fams & {"farewell", "quiet farewell"}))
    strong = strong or any(f == "learned" and w >= 0.55 for _, f, w in kept)
    # weak: a single weak cue (the encoder's confirmation bar) or the wide head's candidate (its
    # bar, or the confirmation bar where a cue of a risk family stands beside it)
    supported = any(w >= SUPPORT for _, f, w in rule_kept if f in FAMILY_NAMES)
    bar = candidate_bar if rule_score < 0.5 and not supported else WEAK_BAR
    cues = [
        h.reason()
        for h, f, w in sorted(kept, key=lambda t: -t[2])
        if f not in ("learned", "candidate") and w > 0
    ]
    return confirmed(ev, LABEL, Verdict(score, tuple(dict.fromkeys([*why, *cues]))[:5], strong, bar))


def _score(ev: Evidence, kept: list[tuple[Hit, str, float]], notes: list[str]) -> tuple[float, list[str]]:
    """The combined score of the kept evidence, with its dampers and boosts, and the notes to give."""
    notes = list(notes)
    by_family: dict[str, float] = {}
    for _, fam, weight in kept:
        fam = "learned" if fam == "candidate" else fam
        by_family[fam] = max(by_family.get(fam, 0.0), weight)
    weights = sorted(by_family.values(), reverse=True)
    rules = sorted((w for f, w in by_family.items() if f != "learned"), reverse=True)
    rule_pair = len(rules) > 1 and rules[1] >= 0.2
    distinct = {h.text for h, f, w in kept if w >= 0.45 and f not in ("learned", "candidate")}
    score = weights[0] + (0.1 if len(distinct) > 1 else 0)
    if len(weights) > 1 and weights[1] >= 0.2:
        score = max(score, min(0.97, weights[0] + 0.6 * weights[1] + 0.1 * (len(weights) > 2)))
        if score >= 0.5 and weights[0] < STRONG:
            notes.append(f"cues from {len(weights)} families together: {', '.join(by_family)}")
    now, minor = ev.of(f"{LABEL}.time"), ev.has(f"{LABEL}.minor")
    if rules and rules[0] >= 0.45 and (now or minor):
        score += 0.2
        notes.append(f"time marker: {quote(now[0].text)}" if now else "writer says they are a child")
    relapse = ev.has(f"{LABEL}.relapse")  # "back to cutting again after 6 months clean"
    # a wide-head candidate alone cannot lift a recovery story out of the damper ("ten years ago i
    # tried to end it all. today i'm a nurse")
    firm = score >= 0.97 and not any(f == "candidate" for _, f, _ in kept)
    if ev.has(f"{LABEL}.recovery") and not (now or rule_pair or relapse or firm):
        score *= 0.45  # "after my attempt last year, running my first 10k" is not a crisis
    if ev.has(f"{LABEL}.joking") and not rule_pair and score < 0.9:
        score *= 0.6
    if ev.author_is_org:
        score *= 0.5  # our own awareness posts and stories ("from self-harming at 15 to mentoring")
    return min(0.99, score), notes
