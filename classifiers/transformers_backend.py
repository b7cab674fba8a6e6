"""Hugging Face backend: any text-classification model per label, by id or local path, on CPU.

Install with the ``transformers`` extra (torch + transformers). ``transformers`` is imported
lazily, so the default install never needs torch. Labels without a model fall back to the
default classifier, so every label (and ``offensive``) still gets a score and reasons.

Configuration (``[classifier]`` options)::

    models = {
      offensive = {model = "cardiffnlp/twitter-roberta-base-offensive", positive = ["offensive"]},
      hate = {model = "/opt/models/twitter-roberta-base-hate", positive = ["hate"]},
      negative_publicity = {model = "cardiffnlp/twitter-roberta-base-sentiment-latest",
                            positive = ["negative"]},
    }
    device = "cpu"        batch_size = 32        max_length = 256     local_files_only = true

A model may also be given as a plain string (then the positive class is the one whose
name matches the label, else class 1 of a two-class model).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.errors import ClassifierError
from monitor.types import LABELS, SCORE_ONLY, Classification, TextInput

log = logging.getLogger(__name__)

__all__ = ["TransformersClassifier"]


@dataclass
class _LabelModel:
    label: str
    source: str
    tokenizer: Any
    model: Any
    positive: tuple[int, ...]


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
        self.device = device
        self.batch_size = max(1, int(batch_size))
        self.max_length = max(8, int(max_length))
        self.thresholds = {label: 0.5 for label in (*LABELS, *SCORE_ONLY)}
        self.thresholds.update({k: float(v) for k, v in (thresholds or {}).items()})
        self.fallback = load(fallback) if fallback else None
        self.models: list[_LabelModel] = []
        for label, spec in (models or {}).items():
            if label not in self.thresholds:
                raise ClassifierError(f"transformers backend: unknown label {label!r}")
            source, positive = (
                (spec, ()) if isinstance(spec, str) else (str(spec["model"]), tuple(spec.get("positive", ())))
            )
            try:
                tok = transformers.AutoTokenizer.from_pretrained(source, local_files_only=local_files_only)
                mdl = transformers.AutoModelForSequenceClassification.from_pretrained(
                    source, local_files_only=local_files_only
                )
            except (OSError, ValueError) as exc:
                raise ClassifierError(f"transformers backend: cannot load {source!r}: {exc}") from exc
            mdl.to(device)
            mdl.eval()
            self.models.append(_LabelModel(label, source, tok, mdl, _positive(mdl, label, positive)))
        if not self.models and self.fallback is None:
            raise ClassifierError("transformers backend: no models configured and no fallback")

    def classify(self, inputs: Sequence[TextInput]) -> list[Classification]:
        base = (
            self.fallback.classify(inputs)
            if self.fallback
            else [Classification((), {k: 0.0 for k in self.thresholds}) for _ in inputs]
        )
        texts = [_clean(i.text) for i in inputs]
        scores = [dict(c.scores) for c in base]
        reasons = [{k: tuple(v) for k, v in c.reasons.items()} for c in base]
        for lm in self.models:
            probs = self._predict(lm, texts)
            for i, p in enumerate(probs):
                scores[i][lm.label] = round(p, 4)
                reasons[i][lm.label] = (f"model {lm.source.rsplit('/', 1)[-1]} score {p:.2f}",)
        out: list[Classification] = []
        for c, s, r in zip(base, scores, reasons, strict=True):
            labels = tuple(label for label in LABELS if s.get(label, 0.0) >= self.thresholds[label])
            out.append(
                Classification(
                    labels,
                    s,
                    {k: r[k] for k in labels if k in r}
                    | {k: ("combined evidence",) for k in labels if k not in r},
                    c.spans,
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


def _positive(model: Any, label: str, wanted: Sequence[str]) -> tuple[int, ...]:
    id2label = {int(k): str(v).lower() for k, v in model.config.id2label.items()}
    names = [w.lower() for w in wanted] or [label.lower()]
    found = tuple(i for i, n in id2label.items() if n in names)
    if found:
        return found
    if len(id2label) == 2 and not wanted:
        return (1,)
    raise ClassifierError(f"transformers backend: {label}: none of {names} in the model's labels {id2label}")


def _clean(text: object) -> str:
    s = text if isinstance(text, str) else str(text)
    s = s[:20_000].replace("\x00", " ")
    return s.encode("utf-8", "replace").decode("utf-8") or " "
