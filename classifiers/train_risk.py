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

__all__ = ["CONDUCT", "CORPUS", "FAMILY_CASES", "HEADS", "SYNTHETIC", "train_risk"]

SYNTHETIC = Path(__file__).resolve().parent / "data" / "risk_synthetic.jsonl"
# 1,440 comments written independently for training (CC0; see classifiers/data/README.md):
# 520 risk of every kind, 420 risk hard negatives, and threats, insults and spam as negatives.
CORPUS = Path(__file__).resolve().parent / "data" / "risk_corpus.jsonl"
# 1,605 comments by a second independent writer (CC0): threats, insults, identity-based hate,
# confidentiality risks (third parties named with therapy context, staff posts about clients),
# complaints, and hard negatives for each.
CONDUCT = Path(__file__).resolve().parent / "data" / "conduct_corpus.jsonl"
FAMILY_CASES = (
    Path(__file__).resolve().parent.parent / "tests" / "data" / "classifiers" / "risk_families.jsonl"
)
C = 16.0
BACKGROUND_WEIGHT = 0.3
BACKGROUND_TWEETS = 6000
BACKGROUND_AIRLINE = 4000


HEADS = ("risk", "threat", "spam", "insult", "identity_hate", "confidential")  # in risk.npz


def train_risk(data: Path, out: Path) -> dict[str, float]:
    """Fit and save ``risk.npz`` (heads: risk, threat, spam); return 5-fold CV figures per head."""
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    from classifiers.train import model_text, read_airline, read_tweeteval

    rows = [
        json.loads(line) | {"_source": path.name}
        for path in (SYNTHETIC, CORPUS, CONDUCT, FAMILY_CASES)
        if path.is_file()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line
    ]
    xs = featurise([model_text(str(r["text"])) for r in rows])
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

    stats: dict[str, float] = {}
    weights = np.zeros((N_FEATURES, len(HEADS)), dtype=np.float32)
    bias = np.zeros(len(HEADS), dtype=np.float32)
    for col, head in enumerate(HEADS):
        # The conduct corpus was not labelled for risk (its writer notes a few unmarked risk
        # cues), so it must not teach the risk head what "no risk" looks like.
        use = np.array([not (head == "risk" and r["_source"] == CONDUCT.name) for r in rows])
        x_head = xs[np.flatnonzero(use)]
        ys = np.array([int(r.get(head, 0)) for r, keep in zip(rows, use) if keep])
        probs = np.zeros(len(ys))
        for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(x_head, ys):
            probs[test] = fit(x_head[train], ys[train]).predict_proba(x_head[test])[:, 1]
        for t in (0.5, 0.7, 0.9):
            stats[f"{head}_cv_recall_at_{t}"] = float(
                ((probs >= t) & (ys == 1)).sum() / max(1, (ys == 1).sum())
            )
            stats[f"{head}_cv_false_alarm_at_{t}"] = float(
                ((probs >= t) & (ys == 0)).sum() / max(1, (ys == 0).sum())
            )
        model = fit(x_head, ys)
        weights[:, col] = model.coef_[0].astype(np.float32)
        bias[col] = model.intercept_[0]
        log.info("%s: %d positives of %d written items, %d background", head, ys.sum(), len(ys), len(yb))
    out.mkdir(parents=True, exist_ok=True)
    LinearModels(list(HEADS), weights, bias).save(str(out / "risk.npz"))
    log.info("learned signals: %s", {k: round(v, 3) for k, v in stats.items()})
    return stats
