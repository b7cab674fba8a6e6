"""Hugging Face backend: text- or token-classification models per label, by id or local path, on CPU.

Install with the ``transformers`` extra (torch + transformers). ``transformers`` is imported
lazily, so the default install never needs torch. Labels without a model fall back to the
default classifier, so every label (and ``offensive``) still gets a score and reasons.

Configuration (``[classifier]`` options)::

    models = {
      offensive = {model = "cardiffnlp/twitter-roberta-base-offensive", positive = ["offensive"]},
      hate = {model = "/opt/models/twitter-roberta-base-hate", positive = ["hate"]},
      negative_publicity = {model = "cardiffnlp/twitter-roberta-base-sentiment-latest",
                            positive = ["negative"]},
      confidentiality_risk = {model = "dslim/bert-base-NER", positive = ["PER"]},
    }
    device = "cpu"        batch_size = 32        max_length = 256     local_files_only = true

A model may also be given as a plain string (then the positive class is the one whose
name matches the label, else class 1 of a two-class model).

**Token-classification** models (named-entity recognisers; found from the model's
architecture, or ``task = "token-classification"``) name entity groups in ``positive``. Every
entity of those groups becomes a sensitive span, so alert excerpts mask the names the
default backend's gazetteer misses. For ``confidentiality_risk`` a person on its own is not a
risk (people sign their comments): the entity lifts the score to 0.8 x its confidence only
where the same text has health, therapy or client-relationship cues (``context = false``
turns that off). For any other label the score is the best entity's confidence.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from classifiers.confidentiality import is_own_name, name_words
from classifiers.cues import quote
from monitor.errors import ClassifierError
from monitor.types import LABELS, SCORE_ONLY, Classification, Span, TextInput

log = logging.getLogger(__name__)

__all__ = ["TransformersClassifier"]

ENTITY_TASK = "token-classification"
TEXT_TASK = "text-classification"
ENTITY_CHARS = 5000  # token models read the first 5,000 characters, like the default backend
CONTEXT_WEIGHT = 0.8  # a person beside health/therapy/client cues (the default backend's level)
_PERSON = frozenset({"per", "person", "pers"})  # entity groups that are people
_SPEC_KEYS = frozenset({"model", "positive", "task", "context"})
_BIO = ("b-", "i-", "e-", "s-", "l-", "u-")


@dataclass
class _LabelModel:
    label: str
    source: str
    tokenizer: Any
    model: Any
    task: str
    positive: tuple[int, ...] = ()  # text models: the classes that mean the label
    entities: frozenset[str] = frozenset()  # token models: the entity groups that count
    context: bool = False  # token models: an entity counts only beside confidentiality cues
    pipe: Any = None


@dataclass(frozen=True)
class _Entity:
    start: int
    end: int
    group: str
    score: float


class TransformersClassifier:
    name = "transformers"

    def __init__(
        self,
        models: Mapping[str, str | Mapping[str, Any]] | None = None,
        *,
        device: str = "cpu",
        batch_size: int = 32,
        max_length: int = 256,
        local_files_only: bool = True,
        thresholds: Mapping[str, float] | None = None,
        fallback: str = "default",
        organisation: str | None = None,
    ) -> None:
        try:
            import torch
            import transformers
        except ImportError as exc:
            raise ClassifierError(
                "the transformers backend needs the [transformers] extra "
                "(pip install 'torch==2.*' transformers)"
            ) from exc
        from classifiers.base import load

        self._torch = torch
        self._transformers = transformers
        self.device = device
        self.batch_size = max(1, int(batch_size))
        self.max_length = max(8, int(max_length))
        self.local_files_only = local_files_only
        self.thresholds = {label: 0.5 for label in (*LABELS, *SCORE_ONLY)}
        self.thresholds.update({k: float(v) for k, v in (thresholds or {}).items()})
        self.own_name = name_words(organisation)
        self.fallback = load(fallback, organisation=organisation) if fallback else None
        self.notices: tuple[str, ...] = tuple(getattr(self.fallback, "notices", ()))
        self.models = [self._load(label, spec) for label, spec in (models or {}).items()]
        if not self.models and self.fallback is None:
            raise ClassifierError("transformers backend: no models configured and no fallback")

    def _load(self, label: str, spec: str | Mapping[str, Any]) -> _LabelModel:
        if label not in self.thresholds:
            raise ClassifierError(f"transformers backend: unknown label {label!r}")
        spec = {"model": spec} if isinstance(spec, str) else dict(spec)
        unknown = sorted(set(spec) - _SPEC_KEYS)
        if unknown or "model" not in spec:
            raise ClassifierError(
                f"transformers backend: {label}: keys are {sorted(_SPEC_KEYS)} ('model' required), got {sorted(spec)}"
            )
        source = str(spec["model"])
        wanted = tuple(str(p) for p in spec.get("positive", ()))
        hf = self._transformers
        try:
            config = hf.AutoConfig.from_pretrained(source, local_files_only=self.local_files_only)
            token_arch = any(str(a).endswith("ForTokenClassification") for a in config.architectures or ())
            task = str(spec.get("task") or (ENTITY_TASK if token_arch else TEXT_TASK))
            if task not in (TEXT_TASK, ENTITY_TASK):
                raise ClassifierError(
                    f"transformers backend: {label}: task must be {TEXT_TASK} or {ENTITY_TASK}"
                )
            auto = (
                hf.AutoModelForTokenClassification
                if task == ENTITY_TASK
                else hf.AutoModelForSequenceClassification
            )
            tok = hf.AutoTokenizer.from_pretrained(source, local_files_only=self.local_files_only)
            mdl = auto.from_pretrained(source, local_files_only=self.local_files_only)
        except (OSError, ValueError) as exc:
            raise ClassifierError(f"transformers backend: cannot load {source!r}: {exc}") from exc
        mdl.to(self.device)
        mdl.eval()
        if task == TEXT_TASK:
            return _LabelModel(label, source, tok, mdl, task, positive=_positive(mdl, label, wanted))
        tok.model_max_length = min(int(getattr(tok, "model_max_length", self.max_length)), self.max_length)
        pipe = hf.pipeline(
            ENTITY_TASK,
            model=mdl,
            tokenizer=tok,
            aggregation_strategy="simple",
            device=self.device,
            stride=max(1, self.max_length // 8),  # long texts are read in overlapping windows
        )
        return _LabelModel(
            label,
            source,
            tok,
            mdl,
            task,
            entities=_entity_groups(mdl, label, wanted),
            context=bool(spec.get("context", label == "confidentiality_risk")),
            pipe=pipe,
        )

    def classify(self, inputs: Sequence[TextInput]) -> list[Classification]:
        base = (
            self.fallback.classify(inputs)
            if self.fallback
            else [Classification((), {k: 0.0 for k in self.thresholds}) for _ in inputs]
        )
        texts = [_clean(i.text) for i in inputs]
        scores = [dict(c.scores) for c in base]
        reasons = [{k: tuple(v) for k, v in c.reasons.items()} for c in base]
        spans = [list(c.spans) for c in base]
        for lm in self.models:
            short = lm.source.rstrip("/").rsplit("/", 1)[-1]
            if lm.task == TEXT_TASK:
                for i, p in enumerate(self._predict(lm, texts)):
                    scores[i][lm.label] = round(p, 4)
                    reasons[i][lm.label] = (f"model {short} score {p:.2f}",)
                continue
            for i, found in enumerate(self._entities(lm, texts)):
                # the organisation's own name is not a person ("Thank you One Step")
                found = [e for e in found if not is_own_name(texts[i][e.start : e.end], self.own_name)]
                if not found:
                    continue
                spans[i].extend(Span(e.start, e.end, _span_kind(e.group)) for e in found)
                best = max(e.score for e in found)
                who = ", ".join(_initials(texts[i][e.start : e.end]) for e in found[:3])
                why = [f"model {short} found {_span_kind(found[0].group)} ({who})"]
                if lm.context:
                    cue = _context_reason(inputs[i])
                    if cue is None:
                        continue  # a name alone is not a confidentiality risk
                    best *= CONTEXT_WEIGHT
                    if best <= scores[i].get(lm.label, 0.0):
                        continue
                    why.append(cue)
                scores[i][lm.label] = round(best, 4)
                reasons[i][lm.label] = (f"{why[0]} score {best:.2f}", *why[1:])
        out: list[Classification] = []
        for s, r, sp in zip(scores, reasons, spans, strict=True):
            labels = tuple(label for label in LABELS if s.get(label, 0.0) >= self.thresholds[label])
            out.append(
                Classification(
                    labels,
                    s,
                    {k: r[k] for k in labels if k in r}
                    | {k: ("combined evidence",) for k in labels if k not in r},
                    tuple(sorted(set(sp), key=lambda x: (x.start, x.end, x.kind))),
                )
            )
        return out

    def _predict(self, lm: _LabelModel, texts: list[str]) -> list[float]:
        torch = self._torch
        out: list[float] = []
        for start in range(0, len(texts), self.batch_size):
            chunk = texts[start : start + self.batch_size]
            try:
                enc = lm.tokenizer(
                    chunk, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
                )
                enc = {k: v.to(self.device) for k, v in enc.items()}
                with torch.inference_mode():
                    logits = lm.model(**enc).logits
                probs = torch.softmax(logits.float(), dim=-1)[:, list(lm.positive)].sum(dim=-1)
                out.extend(float(p) for p in probs.cpu())
            except Exception:  # a hostile text must not kill the batch
                log.exception("transformers backend: model %s failed on a batch", lm.source)
                out.extend(0.0 for _ in chunk)
        return out

    def _entities(self, lm: _LabelModel, texts: list[str]) -> list[list[_Entity]]:
        out: list[list[_Entity]] = []
        for start in range(0, len(texts), self.batch_size):
            chunk = [t[:ENTITY_CHARS] for t in texts[start : start + self.batch_size]]
            try:
                results = lm.pipe(chunk, batch_size=self.batch_size)
            except Exception:  # a hostile text must not kill the batch
                log.exception("transformers backend: model %s failed on a batch", lm.source)
                results = [[] for _ in chunk]
            for found in results:
                out.append(
                    [
                        _Entity(
                            int(e["start"]), int(e["end"]), _group(str(e["entity_group"])), float(e["score"])
                        )
                        for e in found
                        if e.get("start") is not None and _group(str(e["entity_group"])) in lm.entities
                    ]
                )
        return out


def _positive(model: Any, label: str, wanted: Sequence[str]) -> tuple[int, ...]:
    id2label = {int(k): str(v).lower() for k, v in model.config.id2label.items()}
    names = [w.lower() for w in wanted] or [label.lower()]
    found = tuple(i for i, n in id2label.items() if n in names)
    if found:
        return found
    if len(id2label) == 2 and not wanted:
        return (1,)
    raise ClassifierError(f"transformers backend: {label}: none of {names} in the model's labels {id2label}")


def _group(name: str) -> str:
    name = name.lower()
    return name[2:] if name.startswith(_BIO) else name


def _entity_groups(model: Any, label: str, wanted: Sequence[str]) -> frozenset[str]:
    groups = {_group(str(v)) for v in model.config.id2label.values()} - {"o"}
    if wanted:
        names = {w.lower() for w in wanted}
    elif label == "confidentiality_risk":
        names = set(_PERSON)
    else:
        raise ClassifierError(
            f"transformers backend: {label}: name the entity groups that count in positive "
            f"(the model has {sorted(groups)})"
        )
    if not names & groups:
        raise ClassifierError(
            f"transformers backend: {label}: none of {sorted(names)} in the model's entity groups {sorted(groups)}"
        )
    return frozenset(names & groups)


def _span_kind(group: str) -> str:
    return "name" if group in _PERSON else group


def _context_reason(item: TextInput) -> str | None:
    """The first health, therapy or client cue in the text, as a reason; None if there is none."""
    from classifiers.labels.confidentiality_risk import context_cues
    from classifiers.normalise import normalise

    health, therapy, client = context_cues(
        normalise(_clean(item.text)[:ENTITY_CHARS]), author_is_org=item.author_is_org
    )
    for what, hits in (("health detail", health), ("therapy context", therapy), ("client cue", client)):
        if hits:
            return f"{what}: {quote(hits[0].text)}"
    return None


def _initials(name: str) -> str:
    parts = [p for p in name.split() if p[:1].isalpha()]
    return ".".join(p[0].upper() for p in parts) + "." if parts else "?"


def _clean(text: object) -> str:
    s = text if isinstance(text, str) else str(text)
    s = s[:20_000].replace("\x00", " ")
    return s.encode("utf-8", "replace").decode("utf-8") or " "
