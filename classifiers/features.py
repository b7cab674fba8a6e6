"""Hashed word and character n-gram features, computed with numpy only.

The same function builds the features at training time (``scripts/train_classifiers.py``)
and at run time, and the hash is defined here (a polynomial over code points in wrapping
uint64 arithmetic, then a multiplicative mix), not borrowed from a library, so a
scikit-learn or numpy upgrade cannot change which column a feature lands in. The learned
weights ship as plain arrays in ``classifiers/models/linear.npz``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from scipy import sparse

__all__ = ["N_FEATURES", "LinearModels", "featurise", "prepare", "row"]

N_FEATURES = 1 << 19
_MASK = np.uint64(N_FEATURES - 1)
_P = np.uint64(1_000_003)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_SHIFT = np.uint64(29)
CHAR_NGRAMS = (2, 3, 4, 5)
_URL = re.compile(r"https?://\S+|www\.\S+|\b\S+\.(?:com|co\.uk|org|net|uk|ly|io)/\S*")
_MENTION = re.compile(r"@[\w.]+")
_SPACE = re.compile(r"\s+")
_TOKEN = re.compile(r"[a-z0-9']+|[^\sa-z0-9']")


def prepare(match_view: str) -> str:
    """Replace URLs and @mentions by placeholders, squeeze white space (as TweetEval does)."""
    text = _URL.sub(" url ", match_view)
    text = _MENTION.sub(" @user ", text)
    return _SPACE.sub(" ", text).strip()


def _hash_codes(codes: npt.NDArray[np.uint64], salt: int) -> npt.NDArray[np.uint64]:
    mixed = (codes ^ np.uint64(salt)) * _MIX
    return (mixed >> _SHIFT) & _MASK


def _indices(text: str) -> npt.NDArray[np.uint64]:
    padded = " " + text + " "
    cps = np.frombuffer(padded.encode("utf-32-le", "replace"), dtype=np.uint32).astype(np.uint64)
    out: list[npt.NDArray[np.uint64]] = []
    with np.errstate(over="ignore"):
        for n in CHAR_NGRAMS:
            if len(cps) < n:
                break
            h = cps[: len(cps) - n + 1].copy()
            for k in range(1, n):
                h = h * _P + cps[k : len(cps) - n + 1 + k]
            out.append(_hash_codes(h, n))
        tokens = _TOKEN.findall(text)
        if tokens:
            tok = np.array([_str_code(t) for t in tokens], dtype=np.uint64)
            out.append(_hash_codes(tok, 101))
            if len(tok) > 1:
                out.append(_hash_codes(tok[:-1] * _P + tok[1:] * np.uint64(31), 102))
    if not out:
        return np.zeros(0, dtype=np.uint64)
    return np.concatenate(out)


def _str_code(token: str) -> int:
    h = 1469598103934665603
    for ch in token:
        h = ((h ^ ord(ch)) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def row(text: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Column indices and values of one L2-normalised, sublinear (1 + log tf) row."""
    uniq, counts = np.unique(_indices(text).astype(np.int64), return_counts=True)
    weights = 1.0 + np.log(counts.astype(np.float64))
    norm = float(np.sqrt((weights * weights).sum())) or 1.0
    return uniq, weights / norm


def featurise(texts: Sequence[str]) -> sparse.csr_matrix:
    """A scipy CSR matrix of :func:`row` for every text (training time only)."""
    from scipy import sparse

    indptr = [0]
    cols: list[npt.NDArray[np.int64]] = []
    vals: list[npt.NDArray[np.float64]] = []
    for text in texts:
        uniq, weights = row(text)
        cols.append(uniq)
        vals.append(weights)
        indptr.append(indptr[-1] + len(uniq))
    data = np.concatenate(vals) if vals else np.zeros(0)
    indices = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    return sparse.csr_matrix(
        (data, indices, np.array(indptr, dtype=np.int64)), shape=(len(texts), N_FEATURES)
    )


class LinearModels:
    """Logistic models sharing one feature space: ``weights`` is (N_FEATURES, n_models)."""

    def __init__(
        self,
        names: Sequence[str],
        weights: npt.NDArray[np.float32],
        bias: npt.NDArray[np.float32],
    ) -> None:
        if weights.shape != (N_FEATURES, len(names)) or bias.shape != (len(names),):
            raise ValueError("model arrays do not match the feature space")
        self.names = tuple(names)
        self.weights = weights
        self.bias = bias

    @classmethod
    def load(cls, path: str) -> LinearModels:
        with np.load(path, allow_pickle=False) as data:
            names = [str(n) for n in data["names"]]
            return cls(names, data["weights"].astype(np.float32), data["bias"].astype(np.float32))

    def merged(self, other: LinearModels) -> LinearModels:
        """One model set with ``other``'s columns appended (features are computed once)."""
        weights = np.ascontiguousarray(np.hstack([self.weights, other.weights]))
        return LinearModels((*self.names, *other.names), weights, np.concatenate([self.bias, other.bias]))

    def save(self, path: str) -> None:
        np.savez_compressed(path, names=np.array(self.names), weights=self.weights, bias=self.bias)

    def predict(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Probabilities, shape (len(texts), n_models)."""
        logits = np.zeros((len(texts), len(self.names)))
        for i, text in enumerate(texts):
            cols, vals = row(text)
            logits[i] = vals @ self.weights[cols] + self.bias
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30))), dtype=np.float64)
