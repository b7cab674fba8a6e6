"""The default classifier: local, fast, explained. No torch, no downloads.

For each text: normalise (evasion-resistant views) -> learned linear scores (shipped in
``classifiers/models/*.npz``) -> the hits of every cue table (one Hyperscan pass rules most
tables out) -> one frozen :class:`~classifiers.evidence.Evidence` -> each label module of
:data:`classifiers.labels.MODULES` in turn decides its label. Where the sentence encoder is
installed (:mod:`classifiers.encoder`), items that an urgent label flags or nearly flags are
decided once more with its second opinion.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from importlib import resources
from typing import Any

import numpy as np

from classifiers import labels, sensitive
from classifiers.confidentiality import find_people, health_spans, name_words
from classifiers.cues import Searcher
from classifiers.encoder import (
    ENCODER_MISSING,
    ENCODER_OFF,
    ENCODER_REFUSED,
    EncoderHeads,
    find_model,
    load_encoder,
)
from classifiers.evidence import Evidence, Verdict
from classifiers.features import LinearModels, prepare
from classifiers.normalise import Normalised, normalise
from classifiers.profanity import ProfanityModel
from monitor.errors import ClassifierError
from monitor.types import LABELS, SCORE_ONLY, Classification, Span, TextInput

log = logging.getLogger(__name__)

__all__ = ["MAX_CHARS", "TRUNCATED_NOTE", "DefaultClassifier"]

MAX_CHARS = 5000
TRUNCATED_NOTE = "text truncated for scoring (first 5,000 characters scored)"
LEARNED_MIN_WORDS = 6  # a short reply ("you've got this 💪") is too little for the written-corpus heads
# heads trained on the written corpora (models/risk.npz): zeroed in texts under LEARNED_MIN_WORDS
WRITTEN_HEADS = frozenset(
    {
        "risk",
        "threat",
        "spam",
        "harassment",
        "identity_hate",
        "confidential",
        "negative_publicity",
        "engagement",
        "risk_wide",
        "threat_wide",
        "confidential_wide",
    }
)
WIDE_HEADS = ("risk_wide", "threat_wide", "confidential_wide")
# No single everyday word may carry risk: a wide head's score is also taken with these words
# left out, and the lower of the two counts ("Got tomorrow off, not going to digi tonight").
EVERYDAY = re.compile(
    r"(?<![a-z0-9])(?:tomorrow|tmrw|tmr|tonight|tonite|today|watch|watching|going|gonna|may|might|"
    r"next|soon|weekend|later)(?![a-z0-9])"
)
EVERYDAY_FROM = 0.25  # wide scores from here are checked without the everyday words


class DefaultClassifier:
    """Label modules over normalised text.

    Options: ``thresholds={label: t}``; ``encoder``: ``true`` (default: the sentence encoder's
    second opinion where it is installed), ``false`` (first stage only) or ``"required"``
    (refuse to start without it, or with a model file whose hash differs); ``organisation``:
    the organisation's name, whose words are never taken for a person's name (the pipeline
    passes ``[monitor] organisation``).
    """

    name = "default"

    def __init__(
        self,
        thresholds: Mapping[str, float] | None = None,
        encoder: bool | str = True,
        organisation: str | None = None,
        **options: Any,
    ) -> None:
        # the organisation's own name is never a person ("Thank you One Step 💚"); the pipeline
        # passes [monitor] organisation
        self.own_name = name_words(organisation)
        if options:
            raise ClassifierError(f"default classifier: unknown options {sorted(options)}")
        self.thresholds = {label: 0.5 for label in (*LABELS, *SCORE_ONLY)}
        for label, value in (thresholds or {}).items():
            if label not in self.thresholds or not 0.0 <= float(value) <= 1.0:
                raise ClassifierError(f"default classifier: bad threshold {label}={value!r}")
            self.thresholds[label] = float(value)
        try:
            self.models = _load_linear("linear.npz")
            if resources.files("classifiers").joinpath("models/risk.npz").is_file():
                self.models = self.models.merged(_load_linear("risk.npz"))
            prof = resources.files("classifiers").joinpath("models/profanity.npz")
            self.profanity: ProfanityModel | None = None
            if prof.is_file():
                with resources.as_file(prof) as real:
                    self.profanity = ProfanityModel.load(str(real))
        except (OSError, ValueError, KeyError) as exc:
            raise ClassifierError(f"default classifier: cannot load models: {exc}") from exc
        self.modules = labels.MODULES
        self.searcher = Searcher(labels.all_tables())
        self.urgent = tuple(m.LABEL for m in self.modules if m.URGENT)
        if encoder not in (True, False, "required"):
            raise ClassifierError(
                f"default classifier: encoder must be true, false or 'required', not {encoder!r}"
            )
        self.encoder: EncoderHeads | None = load_encoder(required=encoder == "required") if encoder else None
        # what an operator must know about this classifier (check-config and the daemon's start log)
        self.notices: tuple[str, ...] = ()
        if not encoder:
            self.notices = (ENCODER_OFF,)
        elif self.encoder is None:
            self.notices = (ENCODER_MISSING if find_model() is None else ENCODER_REFUSED,)

    def classify(self, inputs: Sequence[TextInput]) -> list[Classification]:
        views: list[Normalised] = []
        truncated: list[bool] = []
        for item in inputs:
            text = item.text if isinstance(item.text, str) else str(item.text or "")
            truncated.append(len(text) > MAX_CHARS)
            views.append(normalise(text[:MAX_CHARS]))
        learned = self._learned(views)
        out: list[Classification] = []
        evidence: list[Evidence | None] = []
        for item, view, row in zip(inputs, views, learned, strict=True):
            try:
                ev = self._evidence(item, view, row)
                ev = self._decide(ev)
            except Exception:  # never let one hostile text kill a batch
                log.exception("default classifier failed on one item; scoring it as empty")
                ev = None
            evidence.append(ev)
        if self.encoder is not None:
            evidence = self._second_opinion(evidence)
        for ev, cut in zip(evidence, truncated, strict=True):
            out.append(_empty() if ev is None else self._verdict(ev, cut))
        return out

    def _learned(self, views: Sequence[Normalised]) -> list[dict[str, float]]:
        prepared = [prepare(v.match) for v in views]
        scores = self.models.predict(prepared)
        if self.profanity is not None and "offensive" in self.models.names:
            col = self.models.names.index("offensive")
            scores[:, col] = self.profanity.blend(scores[:, col], prepared)
        wide = [self.models.names.index(n) for n in WIDE_HEADS if n in self.models.names]
        if wide:  # the wide heads again without the everyday words, where they could matter
            todo = [i for i, row in enumerate(scores) if row[wide].max() >= EVERYDAY_FROM]
            if todo:
                again = self.models.predict([EVERYDAY.sub(" ", prepared[i]) for i in todo])
                for i, row in zip(todo, again, strict=True):
                    scores[i, wide] = np.minimum(scores[i, wide], row[wide])
        rows = []
        for view, row in zip(views, scores, strict=True):
            short = len(view.match.split()) < LEARNED_MIN_WORDS
            rows.append(
                {
                    n: 0.0 if short and n in WRITTEN_HEADS else float(row[i])
                    for i, n in enumerate(self.models.names)
                }
            )
        return rows

    def _evidence(self, item: TextInput, view: Normalised, learned: dict[str, float]) -> Evidence:
        return Evidence(
            view=view,
            kind=item.kind,
            platform=item.platform,
            author_is_org=item.author_is_org,
            hits=self.searcher.search(view.match),
            learned=learned,
            people=find_people(view, self.own_name),
            second_opinion=self.encoder is not None,
        )

    def _decide(self, ev: Evidence) -> Evidence:
        ev = replace(ev, decided={})
        for module in self.modules:
            ev = ev.with_verdict(module.LABEL, module.decide(ev))
        return ev

    def _second_opinion(self, evidence: list[Evidence | None]) -> list[Evidence | None]:
        """Decide again, with the encoder's scores, every item an urgent label flags or nearly flags."""
        assert self.encoder is not None
        todo = [
            i
            for i, ev in enumerate(evidence)
            if ev is not None and any(ev.decided[label].wants_encoder for label in self.urgent)
        ]
        if not todo:
            return evidence
        try:
            probs = self.encoder.predict([evidence[i].view.match for i in todo])  # type: ignore[union-attr]
        except Exception:  # the second opinion must never cost the first
            log.exception("sentence encoder failed; urgent labels stand on the first stage alone")
            return evidence
        out = list(evidence)
        for i, row in zip(todo, probs, strict=True):
            ev = evidence[i]
            assert ev is not None
            out[i] = self._decide(replace(ev, encoder=row))
        return out

    def _verdict(self, ev: Evidence, cut: bool) -> Classification:
        decided: dict[str, Verdict] = dict(ev.decided)
        scores = {k: round(min(1.0, max(0.0, decided[k].score)), 4) for k in (*LABELS, *SCORE_ONLY)}
        flagged = tuple(label for label in LABELS if scores[label] >= self.thresholds[label])
        reasons = {
            label: (decided[label].reasons or ("combined evidence",)) + ((TRUNCATED_NOTE,) if cut else ())
            for label in flagged
        }
        return Classification(labels=flagged, scores=scores, reasons=reasons, spans=_spans(ev, flagged))


def _spans(ev: Evidence, flagged: tuple[str, ...]) -> tuple[Span, ...]:
    """What an excerpt must hide: people and contact details; where the text carries a
    confidentiality finding (or is our own post, as a draft for check-post) every other name, and
    with a finding the health details too (the spans of ``confidentiality.sensitive_spans``)."""
    spans = ev.people.spans(ev.view)
    if "confidentiality_risk" in flagged or ev.author_is_org:  # an excerpt or a draft to mask
        spans += sensitive.name_spans(ev.view)
    if "confidentiality_risk" in flagged:
        spans += health_spans(ev.view)
    unique = set(spans)  # a span inside another of the same kind adds nothing ("Megan" in "Megan Price")
    inner = {
        a
        for a in unique
        for b in unique
        if a != b and a.kind == b.kind and b.start <= a.start and a.end <= b.end
    }
    return tuple(sorted(unique - inner, key=lambda s: (s.start, s.end, s.kind)))


def _load_linear(name: str) -> LinearModels:
    with resources.as_file(resources.files("classifiers").joinpath(f"models/{name}")) as real:
        return LinearModels.load(str(real))


def _empty() -> Classification:
    scores = {label: 0.0 for label in (*LABELS, *SCORE_ONLY)}
    return Classification(labels=(), scores=scores, reasons={}, spans=())
