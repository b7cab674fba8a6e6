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

__all__ = ["N_FEATURES", "LinearModels", "featurise", "prepare", "row", "rows"]

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
_CHUNK = 256  # texts per weight gather in LinearModels.predict


def prepare(match_view: str) -> str:
    """Replace URLs and @mentions by placeholders, squeeze white space (as TweetEval does)."""
    text = _URL.sub(" url ", match_view)
    text = _MENTION.sub(" @user ", text)
    return _SPACE.sub(" ", text).strip()


def _hash_codes(codes: npt.NDArray[np.uint64], salt: int) -> npt.NDArray[np.uint64]:
    mixed = (codes ^ np.uint64(salt)) * _MIX
    return (mixed >> _SHIFT) & _MASK


# Token codes repeat across texts: a bounded cache saves the per-character Python loop.
_CODES: dict[str, int] = {}
_CODES_MAX = 200_000


def _str_code(token: str) -> int:
    code = _CODES.get(token)
    if code is None:
        h = 1469598103934665603
        for ch in token:
            h = ((h ^ ord(ch)) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
        if len(_CODES) >= _CODES_MAX:
            _CODES.clear()
        code = _CODES[token] = h
    return code


def _windows(docs: npt.NDArray[np.int64], n: int) -> npt.NDArray[np.bool_]:
    """Which length-``n`` windows lie inside one text (``docs`` is -1 on separators)."""
    first, last = docs[: len(docs) - n + 1], docs[n - 1 :]
    return np.asarray((first == last) & (first >= 0))


def _batch_indices(texts: Sequence[str]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(text number, hashed column) of every n-gram of every text, computed in one pass.

    The texts are joined (each padded with a space, a separator between them) so that numpy
    hashes the character n-grams of the whole batch at once; windows that cross a separator
    are dropped, so each text gets exactly the n-grams it would get on its own.
    """
    padded = [" " + t + " " for t in texts]
    lengths = np.array([len(p) for p in padded], dtype=np.int64)
    joined = "\n".join(padded)
    cps = np.frombuffer(joined.encode("utf-32-le", "replace"), dtype=np.uint32).astype(np.uint64)
    # a text number per position, -1 on the separators
    docs = np.repeat(np.arange(len(texts), dtype=np.int64), lengths + 1)[: len(cps)]
    ends = np.cumsum(lengths + 1)[:-1] - 1
    docs[ends] = -1
    out_docs: list[npt.NDArray[np.int64]] = []
    out_cols: list[npt.NDArray[np.uint64]] = []
    with np.errstate(over="ignore"):
        for n in CHAR_NGRAMS:
            if len(cps) < n:
                break
            h = cps[: len(cps) - n + 1].copy()
            for k in range(1, n):
                h = h * _P + cps[k : len(cps) - n + 1 + k]
            keep = _windows(docs, n)
            out_cols.append(_hash_codes(h[keep], n))
            out_docs.append(docs[: len(docs) - n + 1][keep])
        tokens: list[int] = []
        tok_docs: list[int] = []
        for i, text in enumerate(texts):
            found = _TOKEN.findall(text)
            tokens.extend(_str_code(t) for t in found)
            tok_docs.extend([i] * len(found))
        if tokens:
            tok = np.array(tokens, dtype=np.uint64)
            tdocs = np.array(tok_docs, dtype=np.int64)
            out_cols.append(_hash_codes(tok, 101))
            out_docs.append(tdocs)
            pair = tdocs[:-1] == tdocs[1:]
            out_cols.append(_hash_codes((tok[:-1] * _P + tok[1:] * np.uint64(31))[pair], 102))
            out_docs.append(tdocs[:-1][pair])
    if not out_cols:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(out_docs), np.concatenate(out_cols).astype(np.int64)


def rows(
    texts: Sequence[str],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """CSR parts (indptr, columns, values) of L2-normalised, sublinear (1 + log tf) rows."""
    docs, cols = _batch_indices(texts)
    keys, counts = np.unique(docs * N_FEATURES + cols, return_counts=True)
    kdocs = keys // N_FEATURES
    weights = 1.0 + np.log(counts.astype(np.float64))
    norms = np.sqrt(np.bincount(kdocs, weights * weights, minlength=len(texts)))
    norms[norms == 0] = 1.0
    indptr = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.bincount(kdocs, minlength=len(texts)), out=indptr[1:])
    return indptr, keys % N_FEATURES, weights / norms[kdocs]


def row(text: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Column indices and values of one L2-normalised, sublinear (1 + log tf) row."""
    _, cols, vals = rows([text])
    return cols, vals


def featurise(texts: Sequence[str]) -> sparse.csr_matrix:
    """A scipy CSR matrix of :func:`rows` (training time only)."""
    from scipy import sparse

    indptr, cols, vals = rows(texts)
    return sparse.csr_matrix((vals, cols, indptr), shape=(len(texts), N_FEATURES))


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
        for lo in range(0, len(texts), _CHUNK):  # chunks bound the gathered weights' memory
            indptr, cols, vals = rows(texts[lo : lo + _CHUNK])
            # every text has at least one n-gram (the padding), so no segment is empty
            contrib = self.weights[cols] * vals[:, None].astype(np.float32)
            logits[lo : lo + len(indptr) - 1] = np.add.reduceat(contrib, indptr[:-1], axis=0)
        logits += self.bias
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30))), dtype=np.float64)
