"""alt-profanity-check's model, re-implemented over plain arrays (no scikit-learn at run time).

alt-profanity-check (MIT licence; a linear SVM over TF-IDF word unigrams trained on ~200k
labelled comments, calibrated with 5-fold sigmoid calibration) pins exact scikit-learn and
joblib versions and ships its model as joblib pickles, which break when scikit-learn moves.
``scripts/train_classifiers.py`` reads the installed package once and writes its vocabulary,
IDF weights, per-fold SVM weights and calibration parameters to ``models/profanity.npz``;
this module reproduces ``predict_proba`` exactly from those arrays. The learned offensive
score is then a blend of this and the TweetEval-trained model (weights in the same file).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["ProfanityModel"]

# scikit-learn's default token_pattern, lower-cased input (TfidfVectorizer defaults)
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


class ProfanityModel:
    def __init__(
        self,
        words: Sequence[str],
        idf: npt.NDArray[np.float64],
        coef: npt.NDArray[np.float64],
        intercept: npt.NDArray[np.float64],
        cal_a: npt.NDArray[np.float64],
        cal_b: npt.NDArray[np.float64],
        mix: npt.NDArray[np.float64],
    ) -> None:
        self.index = {w: i for i, w in enumerate(words)}
        self.idf = idf
        self.coef = coef  # (folds, vocabulary)
        self.intercept = intercept
        self.cal_a = cal_a
        self.cal_b = cal_b
        self.mix = mix  # [weight of this model's logit, bias] for the offensive blend

    @classmethod
    def load(cls, path: str) -> ProfanityModel:
        with np.load(path, allow_pickle=False) as d:
            return cls(
                [str(w) for w in d["words"]],
                d["idf"].astype(np.float64),
                d["coef"].astype(np.float64),
                d["intercept"].astype(np.float64),
                d["cal_a"].astype(np.float64),
                d["cal_b"].astype(np.float64),
                d["mix"].astype(np.float64),
            )

    def predict(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Probability of profanity for each text (alt-profanity-check's predict_proba)."""
        index = self.index
        docs: list[int] = []
        cols: list[int] = []
        tfs: list[int] = []
        for i, text in enumerate(texts):
            counts = Counter(t for t in _TOKEN.findall(text.lower()) if t in index)
            docs.extend([i] * len(counts))
            cols.extend(index[t] for t in counts)
            tfs.extend(counts.values())
        doc = np.array(docs, dtype=np.int64)
        col = np.array(cols, dtype=np.int64)
        vals = np.array(tfs, dtype=np.float64) * self.idf[col]
        norms = np.sqrt(np.bincount(doc, vals * vals, minlength=len(texts)))
        norms[norms == 0] = 1.0
        vals /= norms[doc]
        # (folds, texts): each fold's SVM decision value, then its sigmoid calibration
        d = np.stack([np.bincount(doc, c[col] * vals, minlength=len(texts)) for c in self.coef]).astype(
            np.float64
        )
        d += self.intercept[:, None]
        probs = 1.0 / (1.0 + np.exp(self.cal_a[:, None] * d + self.cal_b[:, None]))
        return np.asarray(probs.mean(axis=0), dtype=np.float64)

    def blend(self, own: npt.NDArray[np.float64], texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Blend the TweetEval offensive probabilities with this model's, in logit space."""
        prof = np.clip(self.predict(texts), 1e-6, 1 - 1e-6)
        own = np.clip(own, 1e-6, 1 - 1e-6)
        w, bias = float(self.mix[0]), float(self.mix[1])
        z = (1 - w) * np.log(own / (1 - own)) + w * np.log(prof / (1 - prof)) + bias
        return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)
