"""The default classifier: local, fast, explained. No torch, no downloads.

For each text: normalise (evasion-resistant views) -> learned linear scores (offensive,
hate, complaint; weights shipped in ``classifiers/models/linear.npz``) -> cue tables
(risk to life, confidentiality, threat, insults, identity attacks, complaints, engagement,
spam) -> combination rules -> a score in [0, 1] for every label plus ``offensive``, the
labels at or above their threshold (0.5 unless overridden), reasons and sensitive spans.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

from classifiers import confidentiality, lexicon, risk, rules
from classifiers.features import LinearModels, prepare
from classifiers.lexicon import Hit, find, quote
from classifiers.normalise import Normalised, normalise
from classifiers.profanity import ProfanityModel
from monitor.errors import ClassifierError
from monitor.types import LABELS, SCORE_ONLY, Classification, TextInput

log = logging.getLogger(__name__)

__all__ = ["MAX_CHARS", "DefaultClassifier"]

MAX_CHARS = 5000
TRUNCATED_NOTE = "text truncated for scoring (first 5,000 characters scored)"
_PRAISE = re.compile(
    r"(?<![a-z])(?:proud|brilliant|class|amazing|loved|lovely|great|best|thank|thanks|"
    r"fab|fantastic|legend|superstar|gorgeous|beautiful|helped|smashing|saved|shout ?out|ace)"
    r"(?![a-z])"
)
_ORG_TARGET = re.compile(
    r"(?<![a-z])(?:you|u|ur|your|you lot|yous|staff|counsellors?|therapists?|receptionist|ceo|"
    r"manager|volunteers|service|hub|rooms|waiting list|sessions?|booking|the page|this page|"
    r"harbour lane|management|trustees|they|them|their)(?![a-z])|@[\w.]+"
)


# words about the service itself: a complaint is about the service, not the writer's life
_SERVICE = re.compile(
    r"(?<![a-z])(?:service|staff|customer|customers|wait|waiting|waited|hours?|phone|call|calls|"
    r"called|hold|booking|booked|book|cancel\w*|delay\w*|refund\w*|fees?|charg\w+|emails?|"
    r"repl\w+|respon\w+|answer\w*|support|team|app|website|site|system|appointments?|"
    r"queue|manager|complaint|policy|sessions?|counsell\w+|therapist|reception\w*|letter|"
    r"money|paid|pay|price|cost|flights?|bags?|luggage|seats?|crew|agent|gate|help|helpful|"
    r"unhelpful|ticket|rebook\w*|hung up|lost|late|never|again|still|worst|terrible|awful)"
    r"(?![a-z])"
)


# Without a complaint cue, the airline-trained complaint model must clear 0.5 by this much:
# out of its domain it reads thanks, jokes and other bodies' failings as complaints.
NO_CUE_MARGIN = 0.3

# A learned score this high flags by itself (heads trained by train_risk.py on the written
# corpora; 5-fold CV figures in the model card). Harassment asks for more: short friendly
# replies and banter share its words.
LEARNED_AT: dict[str, float] = {
    "threat": 0.6,
    "spam": 0.5,
    "harassment": 0.7,
    "identity_hate": 0.5,
    "confidential": 0.6,
    "negative_publicity": 0.55,
    "engagement": 0.6,
}
LEARNED_HEADS = frozenset(LEARNED_AT)
LEARNED_WEAK_WITH_CUE = 0.3  # a learned score that flags together with one rule cue
LEARNED_MIN_WORDS = 6  # a short reply ("you've got this 💪") is too little evidence for a learned flag


class DefaultClassifier:
    """Rules + linear models over normalised text. Options: ``thresholds={label: t}``."""

    name = "default"

    def __init__(self, thresholds: Mapping[str, float] | None = None, **options: Any) -> None:
        if options:
            raise ClassifierError(f"default classifier: unknown options {sorted(options)}")
        self.thresholds = {label: 0.5 for label in (*LABELS, *SCORE_ONLY)}
        for label, value in (thresholds or {}).items():
            if label not in self.thresholds or not 0.0 <= float(value) <= 1.0:
                raise ClassifierError(f"default classifier: bad threshold {label}={value!r}")
            self.thresholds[label] = float(value)
        try:
            path = resources.files("classifiers").joinpath("models/linear.npz")
            with resources.as_file(path) as real:
                self.models = LinearModels.load(str(real))
            risk_path = resources.files("classifiers").joinpath("models/risk.npz")
            if risk_path.is_file():
                with resources.as_file(risk_path) as real:
                    self.models = self.models.merged(LinearModels.load(str(real)))
            prof = resources.files("classifiers").joinpath("models/profanity.npz")
            self.profanity: ProfanityModel | None = None
            if prof.is_file():
                with resources.as_file(prof) as real:
                    self.profanity = ProfanityModel.load(str(real))
        except (OSError, ValueError, KeyError) as exc:
            raise ClassifierError(f"default classifier: cannot load models: {exc}") from exc
        self.prefilter = lexicon.use_prefilter()  # one Hyperscan pass before the cue tables

    def classify(self, inputs: Sequence[TextInput]) -> list[Classification]:
        views: list[Normalised] = []
        truncated: list[bool] = []
        for item in inputs:
            text = _safe_text(item.text)
            truncated.append(len(text) > MAX_CHARS)
            views.append(normalise(text[:MAX_CHARS]))
        prepared = [prepare(v.match) for v in views]
        learned = self.models.predict(prepared)
        if self.profanity is not None and "offensive" in self.models.names:
            col = self.models.names.index("offensive")
            learned[:, col] = self.profanity.blend(learned[:, col], prepared)
        out: list[Classification] = []
        for item, view, cut, row in zip(inputs, views, truncated, learned, strict=True):
            ml = {name: float(row[i]) for i, name in enumerate(self.models.names)}
            try:
                out.append(self._one(item, view, cut, ml))
            except Exception:  # never let one hostile text kill a batch
                log.exception("default classifier failed on one item; scoring it as empty")
                out.append(_empty())
        return out

    def _one(self, item: TextInput, view: Normalised, cut: bool, ml: dict[str, float]) -> Classification:
        text = view.match
        if len(text.split()) < LEARNED_MIN_WORDS:  # the learned heads need a few words to go on
            ml = {k: (0.0 if k in LEARNED_HEADS else v) for k, v in ml.items()}
        scores: dict[str, float] = {}
        why: dict[str, list[str]] = {label: [] for label in (*LABELS, *SCORE_ONLY)}

        # spam first: it silences contact-detail confidentiality and engagement
        spam_hits = _distinct(find(rules.SPAM, text))
        url = rules.URL.search(view.lower) is not None
        money = rules.MONEY.search(text) is not None
        # a scam steers people somewhere: a link, money, or a private channel
        contact = _PRIVATE_CHANNEL.search(text) is not None
        spam = min(0.99, 0.3 * len(spam_hits) + (0.2 if url or contact else 0) + (0.1 if money else 0))
        if len(spam_hits) == 1 and not (url or money or contact):
            spam = min(spam, 0.3)
        learned_spam = ml.get("spam", 0.0)  # trained on our written corpus (train_risk.py)
        # one rule cue and a middling learned score are two weak voices that agree
        if learned_spam >= LEARNED_AT["spam"] or (spam_hits and learned_spam >= LEARNED_WEAK_WITH_CUE):
            spam = max(spam, 0.55)
        if item.author_is_org:
            spam = 0.02  # the organisation's own account does not spam itself
        scores["spam"] = spam
        why["spam"] = (
            [h.reason() for h in spam_hits[:3]]
            + (["contains a link"] if url else [])
            + (
                [f"learned spam score {learned_spam:.2f}"]
                if spam >= 0.55 and learned_spam >= LEARNED_WEAK_WITH_CUE
                else []
            )
        )

        r = risk.assess(text, learned=ml.get("risk"))
        scores["risk_to_life"] = r.score
        why["risk_to_life"] = list(r.reasons)

        conf = confidentiality.assess(view, author_is_org=item.author_is_org, spam_like=spam >= 0.5)
        scores["confidentiality_risk"] = conf.score
        why["confidentiality_risk"] = list(conf.reasons)
        # our own posts: a learned score alone would raise a staff-breach alarm on event notices
        own_needs_rules = item.author_is_org and conf.score < 0.3
        _learned_lift(
            scores, why, ml, "confidentiality_risk", "confidential", spam < 0.5 and not own_needs_rules
        )

        threat_hits = find(rules.THREAT, text)
        threat = max((h.weight for h in threat_hits), default=0.02)
        if len(_distinct(threat_hits)) > 1:
            threat = min(0.99, threat + 0.15)  # two implied cues ("found his address" + "tick tock")
        learned_threat = ml.get("threat", 0.0)
        if learned_threat >= LEARNED_AT["threat"]:
            threat = max(threat, 0.55 if learned_threat < 0.8 else 0.7)
        if (
            (threat_hits or learned_threat >= LEARNED_AT["threat"])
            and rules.THREAT_JOKE.search(text)
            and threat < 0.95
        ):
            threat *= 0.4
        scores["threat"] = threat
        why["threat"] = [h.reason() for h in _distinct(threat_hits)[:3]] + (
            [f"learned threat score {learned_threat:.2f}"] if learned_threat >= LEARNED_AT["threat"] else []
        )

        hate_hits = find(rules.HATE, text)
        hate_rule = max((h.weight for h in hate_hits), default=0.0)
        identity = rules.HATE_GATE.search(text) is not None
        hate_ml = ml.get("hate", 0.0)
        hate = max(hate_rule, hate_ml if identity else hate_ml * 0.5)
        learned_hate = ml.get("identity_hate", 0.0)
        if learned_hate >= LEARNED_AT["identity_hate"]:
            hate = max(hate, 0.55)
            hate_rule = max(hate_rule, 0.55)  # identity-based hate is harassment too
        scores["hate"] = hate
        why["hate"] = (
            [h.reason() for h in hate_hits[:2]]
            + (
                [f"learned identity-hate score {learned_hate:.2f}"]
                if learned_hate >= LEARNED_AT["identity_hate"]
                else []
            )
        ) or [f"hate-speech model score {hate_ml:.2f}"]

        insults = find(rules.INSULT, text)
        named = any(s.kind in ("name", "handle") for s in conf.spans)
        targeted = rules.TARGET.search(text) is not None or (named and not item.author_is_org)
        praise = _PRAISE.search(text) is not None
        offensive = ml.get("offensive", 0.0)
        if insults and targeted:
            offensive = max(offensive, 0.6)
        scores["offensive"] = offensive
        why["offensive"] = [f"offensive-language model score {ml.get('offensive', 0):.2f}"]

        harass = 0.02
        if insults:
            harass = max(h.weight for h in insults) + (0.1 if targeted else -0.35)
            if praise and not targeted:
                harass *= 0.5
        if targeted and ml.get("offensive", 0) >= 0.8 and not praise:
            harass = max(harass, 0.55)
        if praise and not any(h.weight >= 0.8 for h in insults):
            harass = min(harass, 0.45)
        # a joking tone with no insult or only mild ones ("you muppet 😂", "I will find whoever
        # made these brownies 😂") is banter
        joking = all(h.cue.what == "mild insult" for h in insults) and rules.JOKING.search(text) is not None
        if insults and joking:
            harass = min(harass, 0.45)
        learned_insult = ml.get("harassment", 0.0)
        # the learned score counts unless the text is banter or praise with no insult ("the
        # lady who runs the group is lovely"), where only a confident score does
        learned_counts = learned_insult >= LEARNED_AT["harassment"] and (
            learned_insult >= 0.9 or not (joking or (praise and not insults))
        )
        if learned_counts and not (praise and not targeted) and not item.author_is_org:
            harass = max(harass, 0.55)
        harass = max(harass, threat * 0.95, hate_rule)
        scores["harassment"] = min(harass, 0.99)
        why["harassment"] = (
            [h.reason() for h in _distinct(insults)[:3]]
            + (["aimed at a person or the organisation"] if targeted and insults else [])
            + why["threat"][:1]
            + [h.reason() for h in hate_hits[:1]]
            + ([f"learned harassment score {learned_insult:.2f}"] if learned_counts else [])
        ) or [f"offensive-language model score {ml.get('offensive', 0):.2f}, aimed at someone"]

        scores["negative_publicity"], why["negative_publicity"] = _negative_publicity(
            text, ml.get("complaint", 0.0), r.score, harass, item.author_is_org, spam
        )
        _learned_lift(
            scores, why, ml, "negative_publicity", "negative_publicity", not item.author_is_org and spam < 0.5
        )
        scores["engagement"], why["engagement"] = _engagement(
            text, scores["negative_publicity"], harass, spam, item.author_is_org, r.score
        )
        _learned_lift(
            scores,
            why,
            ml,
            "engagement",
            "engagement",
            not item.author_is_org and spam < 0.5 and harass < 0.5,
        )

        scores = {k: round(min(1.0, max(0.0, v)), 4) for k, v in scores.items()}
        flagged = tuple(label for label in LABELS if scores[label] >= self.thresholds[label])
        reasons = {
            label: tuple(why[label] or ["combined evidence"]) + ((TRUNCATED_NOTE,) if cut else ())
            for label in flagged
        }
        return Classification(labels=flagged, scores=scores, reasons=reasons, spans=conf.spans)


_LEARNED_NAMES = {
    "confidential": "confidentiality",
    "negative_publicity": "complaint",
    "engagement": "enquiry",
}


def _learned_lift(
    scores: dict[str, float],
    why: dict[str, list[str]],
    ml: dict[str, float],
    label: str,
    head: str,
    allowed: bool,
) -> None:
    """Let a learned head flag ``label`` on its own (just over the line) when ``allowed``."""
    learned = ml.get(head, 0.0)
    if allowed and learned >= LEARNED_AT[head] and scores[label] < 0.55:
        scores[label] = 0.55
        why[label].append(f"learned {_LEARNED_NAMES[head]} score {learned:.2f}")


def _negative_publicity(
    text: str, complaint_ml: float, risk_score: float, harass: float, org: bool, spam: float
) -> tuple[float, list[str]]:
    if org:
        return 0.02, []
    hits = find(rules.COMPLAINT, text)
    at_org = _ORG_TARGET.search(text) is not None
    # The complaint model's score counts in full only when the text addresses someone, and
    # without a complaint cue it needs NO_CUE_MARGIN more; otherwise it grades the complaint
    # and evaluation cues. A text that opens by addressing an account ("@airline …") is aimed
    # at it, and the model's own score stands.
    direct = text.startswith("@") or text.startswith(".@")
    margin = 0.0 if hits or direct else NO_CUE_MARGIN
    score = complaint_ml - margin if at_org else complaint_ml * 0.6
    evaluation = find(rules.EVALUATION, text) if at_org else []
    if evaluation and _SERVICE.search(text):
        score = max(score, max(h.weight for h in evaluation) * (0.3 + 0.6 * complaint_ml))
        hits = hits + evaluation
    complaint_hits = [h for h in hits if h.cue.what != "negative evaluation"]
    if complaint_hits:
        cue = max(h.weight for h in complaint_hits) * (0.65 + 0.5 * complaint_ml)
        score = max(score, cue + (0.1 if len(_distinct(complaint_hits)) > 1 else 0.0))
    if harass >= 0.5 and complaint_ml >= 0.8 and at_org:
        score = max(score, 0.55)
    elif harass >= 0.5 and not hits:
        score = min(score, 0.45)  # abuse alone is harassment, not a complaint
    if harass >= 0.5 and find(rules.COMPETENCE, text):
        score = max(score, 0.6)  # abuse that attacks the service's competence
    if not complaint_hits and (rules.JOKING.search(text) or _PRAISE.search(text)):
        score *= 0.6
    if not hits and "?" in text:
        score *= 0.75  # a plain question is engagement unless it carries a complaint
    if spam >= 0.5:
        score *= 0.3
    if rules.PRAISE_COMPLAINT.search(text) or rules.SCAM_WARNING.search(text):
        score *= 0.3
    if rules.ELSEWHERE.search(text) and not re.search(r"(?<![a-z])(?:you|your|ur)(?![a-z])", text):
        score *= 0.4
    if risk_score >= 0.5 and not complaint_hits:
        score *= 0.5  # distress about one's own life is not a complaint; a named complaint still is
    elif direct and complaint_ml >= 0.6 and spam < 0.5:
        score = max(score, complaint_ml - 0.05)  # a clear complaint addressed to the account
    why = [h.reason() for h in _distinct(hits)[:3]] + [f"complaint model score {complaint_ml:.2f}"]
    return min(score, 0.99), why


def _engagement(
    text: str, negpub: float, harass: float, spam: float, org: bool, risk_score: float
) -> tuple[float, list[str]]:
    if org or spam >= 0.5:
        return 0.02, []
    # "why is it always…?" is rhetorical, not a question for the organisation
    q = [h for h in find(rules.ENGAGE_QUESTION, text) if not text[: h.start].endswith("why ")]
    # a topic word ("cost", "sliding scale") asks something only in a question or a request
    asking = "?" in text or _REQUEST.search(text) is not None
    q = [h for h in q if asking or h.cue.what != "question or request for the organisation"]
    q += find(rules.ENGAGE_ASK, text)
    offer = find(rules.ENGAGE_OFFER, text)
    if negpub >= 0.5:
        offer = [h for h in offer if "donat" not in h.text]  # "don't donate a penny" is a boycott
    praise = find(rules.ENGAGE_PRAISE, text)
    hits = q + offer + praise
    if not hits:
        return 0.02, []
    score = max(h.weight for h in hits)
    specific = any(h.weight >= 0.75 for h in q) or offer or praise
    if risk_score >= 0.5 and not q:
        score *= 0.5  # a farewell "thank you" is not an invitation to reply
    if negpub >= 0.5 and not specific:
        score *= 0.5
    if harass >= 0.5:
        score *= 0.4
    return score, [h.reason() for h in _distinct(hits)[:3]]


_PRIVATE_CHANNEL = re.compile(
    r"(?<![a-z])(?:message|text|contact|add) (?:me|him|her|us)(?: on| via| at)? (?:whatsapp|telegram|"
    r"signal)|whatsapp|telegram|wa\.me|t\.me"
)
_REQUEST = re.compile(
    r"(?<![a-z])(?:please|pls|can i|could i|can we|could we|can you|could you|would you|"
    r"how do i|how can i|wondering|let me know|i'?d like to|looking for|what (?:do|should|can) i "
    r"do|who do i|where do i|who (?:should|can) i)(?![a-z])"
)


def _distinct(hits: Sequence[Hit]) -> list[Hit]:
    seen: dict[str, Hit] = {}
    for h in sorted(hits, key=lambda h: -h.weight):
        seen.setdefault(h.text, h)
    return list(seen.values())


def _safe_text(text: object) -> str:
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    # lone surrogates and NUL survive normalise(); this only guards against non-str input
    return text


def _empty() -> Classification:
    scores = {label: 0.0 for label in (*LABELS, *SCORE_ONLY)}
    return Classification(labels=(), scores=scores, reasons={}, spans=())


_ = quote  # re-exported helper for callers formatting reasons
