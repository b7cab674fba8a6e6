"""Train the learned risk-to-life signal (``classifiers/models/risk.npz``); training time only.

Data: ``classifiers/data/risk_synthetic.jsonl`` and ``tests/data/classifiers/risk_families.jsonl``,
short comments WE WROTE for this purpose (positives of every risk kind and hard negatives in the
same counselling register; the second file also drives the rule tests), plus real
tweets from the TweetEval offensive and airline train splits as down-weighted background
negatives so that ordinary social-media text stays low. No dev, demo or blind item is used.
The score is one input to :func:`classifiers.risk.assess`, never a verdict on its own: a
model fitted on a couple of hundred sentences from one writer learns that writer's words.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from classifiers.features import N_FEATURES, LinearModels, featurise

log = logging.getLogger(__name__)

__all__ = ["FAMILY_CASES", "SYNTHETIC", "train_risk"]

SYNTHETIC = Path(__file__).resolve().parent / "data" / "risk_synthetic.jsonl"
FAMILY_CASES = (
    Path(__file__).resolve().parent.parent / "tests" / "data" / "classifiers" / "risk_families.jsonl"
)
C = 16.0
BACKGROUND_WEIGHT = 0.3
BACKGROUND_TWEETS = 6000
BACKGROUND_AIRLINE = 4000


def train_risk(data: Path, out: Path) -> dict[str, float]:
    """Fit and save ``risk.npz``; returns 5-fold cross-validated recall/false-alarm figures."""
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    from classifiers.train import model_text, read_airline, read_tweeteval

    rows = [
        json.loads(line)
        for path in (SYNTHETIC, FAMILY_CASES)
        if path.is_file()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line
    ]
    xs = featurise([model_text(str(r["text"])) for r in rows])
    ys = np.array([int(r["risk"]) for r in rows])
    background = (
        read_tweeteval(data, "offensive", "train").texts[:BACKGROUND_TWEETS]
        + read_airline(data, "train").texts[:BACKGROUND_AIRLINE]
    )
    xb = featurise([model_text(t) for t in background])
    yb = np.zeros(xb.shape[0], dtype=np.int64)

    def fit(rows_x: object, rows_y: np.ndarray) -> LogisticRegression:
        x = sparse.vstack([rows_x, xb])
        y = np.concatenate([rows_y, yb])
        w = np.concatenate([np.ones(len(rows_y)), np.full(len(yb), BACKGROUND_WEIGHT)])
        return LogisticRegression(C=C, max_iter=3000).fit(x, y, sample_weight=w)

    probs = np.zeros(len(ys))
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(xs, ys):
        probs[test] = fit(xs[train], ys[train]).predict_proba(xs[test])[:, 1]
    stats = {
        f"cv_recall_at_{t}": float(((probs >= t) & (ys == 1)).sum() / max(1, (ys == 1).sum()))
        for t in (0.5, 0.7)
    } | {
        f"cv_false_alarm_at_{t}": float(((probs >= t) & (ys == 0)).sum() / max(1, (ys == 0).sum()))
        for t in (0.5, 0.7)
    }
    model = fit(xs, ys)
    weights = np.zeros((N_FEATURES, 1), dtype=np.float32)
    weights[:, 0] = model.coef_[0].astype(np.float32)
    bias = np.array([model.intercept_[0]], dtype=np.float32)
    out.mkdir(parents=True, exist_ok=True)
    LinearModels(["risk"], weights, bias).save(str(out / "risk.npz"))
    log.info("risk model: %d synthetic items, %d background; %s", len(ys), len(yb), stats)
    return stats
