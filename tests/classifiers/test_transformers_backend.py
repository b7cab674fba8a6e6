from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch", reason="transformers backend needs torch (extra [transformers])")
pytest.importorskip("transformers", reason="transformers backend needs transformers")

from classifiers.base import load
from classifiers.confidentiality import mask
from monitor.errors import ClassifierError
from monitor.types import TextInput
from tests.classifiers.tiny_model import build_tiny_model, build_tiny_ner


def test_loads_local_model_and_scores_every_label(tmp_path: Path) -> None:
    path = build_tiny_model(tmp_path)
    clf = load(
        "transformers",
        models={"offensive": {"model": str(path), "positive": ["offensive"]}, "harassment": str(path)},
        batch_size=2,
        max_length=16,
    )
    texts = [TextInput(t) for t in ["you are an idiot", "thanks", "x" * 50_000, "", "\ud800\x00"]]
    out = clf.classify(texts)
    assert len(out) == len(texts)
    for c in out:
        assert 0.0 <= c.scores["offensive"] <= 1.0
        assert 0.0 <= c.scores["harassment"] <= 1.0
        if "harassment" in c.labels:
            assert "tiny-bert" in c.reasons["harassment"][0]


def test_threshold_zero_flags_everything(tmp_path: Path) -> None:
    path = build_tiny_model(tmp_path)
    clf = load("transformers", models={"harassment": str(path)}, thresholds={"harassment": 0.0})
    assert all("harassment" in c.labels for c in clf.classify([TextInput("a"), TextInput("b")]))


def test_multiclass_model_needs_positive_names(tmp_path: Path) -> None:
    path = build_tiny_model(tmp_path, labels=("negative", "neutral", "positive"))
    with pytest.raises(ClassifierError):
        load("transformers", models={"negative_publicity": str(path)})
    clf = load("transformers", models={"negative_publicity": {"model": str(path), "positive": ["negative"]}})
    assert 0.0 <= clf.classify([TextInput("bad")])[0].scores["negative_publicity"] <= 1.0


def test_missing_model_is_a_classifier_error(tmp_path: Path) -> None:
    with pytest.raises(ClassifierError):
        load("transformers", models={"hate": str(tmp_path / "nope")})


# ------------------------------------------------------------------ token classification


def test_a_token_model_finds_names_the_gazetteer_misses(tmp_path: Path) -> None:
    path = build_tiny_ner(tmp_path)
    clf = load("transformers", models={"confidentiality_risk": str(path)})
    text = "Zorbina has depression and is seeing a therapist"
    default = load("default", encoder=False).classify([TextInput(text)])[0]
    # the gazetteer does not know the name (the learned head may still flag the text)
    assert not any("person identified" in r for r in default.reasons.get("confidentiality_risk", ()))
    [c] = clf.classify([TextInput(text)])
    assert "confidentiality_risk" in c.labels
    assert c.scores["confidentiality_risk"] == pytest.approx(0.8, abs=0.01)
    why = " ".join(c.reasons["confidentiality_risk"])
    assert "tiny-ner found name (Z.)" in why and "health detail" in why
    assert "Zorbina" not in why  # reasons carry initials, never the name
    assert mask(text, c.spans).startswith("[name] has")


def test_a_name_without_health_or_therapy_context_is_masked_but_not_flagged(tmp_path: Path) -> None:
    path = build_tiny_ner(tmp_path)
    clf = load("transformers", models={"confidentiality_risk": str(path)})
    [c] = clf.classify([TextInput("hi quillon, you won the raffle")])
    assert "confidentiality_risk" not in c.labels
    assert [s.kind for s in c.spans] == ["name"]
    assert mask("hi quillon, you won the raffle", c.spans) == "hi [name], you won the raffle"


def test_without_context_any_entity_scores_the_label(tmp_path: Path) -> None:
    path = build_tiny_ner(tmp_path)
    clf = load(
        "transformers",
        models={"threat": {"model": str(path), "positive": ["PER"], "task": "token-classification"}},
    )
    named, plain = clf.classify([TextInput("quillon won"), TextInput("the raffle")])
    assert "threat" in named.labels and named.scores["threat"] > 0.9
    assert plain.scores["threat"] < 0.5


def test_token_model_survives_hostile_and_long_input(tmp_path: Path) -> None:
    path = build_tiny_ner(tmp_path)
    clf = load("transformers", models={"confidentiality_risk": str(path)}, batch_size=2, max_length=32)
    long = "the raffle " * 400 + "zorbina has depression"  # many windows, inside 5,000 chars
    texts = ["", "\ud800\x00", "😀" * 100, "x" * 1_000_000, long]
    out = clf.classify([TextInput(t) for t in texts])
    assert len(out) == len(texts)
    assert "confidentiality_risk" in out[-1].labels
    assert all(s.end <= len(long) for s in out[-1].spans)


def test_token_model_entity_groups_are_checked(tmp_path: Path) -> None:
    path = build_tiny_ner(tmp_path)
    with pytest.raises(ClassifierError, match="entity groups"):
        load("transformers", models={"confidentiality_risk": {"model": str(path), "positive": ["LOC"]}})
    with pytest.raises(ClassifierError, match="name the entity groups"):
        load("transformers", models={"threat": str(path)})


def test_a_misspelt_model_key_is_an_error(tmp_path: Path) -> None:
    path = build_tiny_model(tmp_path)
    with pytest.raises(ClassifierError, match="postive"):
        load("transformers", models={"offensive": {"model": str(path), "postive": ["offensive"]}})


def test_the_documented_configuration_shape_loads(tmp_path: Path) -> None:
    from classifiers.base import load as load_backend
    from monitor import config as config_mod

    text_model, ner = build_tiny_model(tmp_path), build_tiny_ner(tmp_path)
    path = tmp_path / "monitor.toml"
    path.write_text(
        f"""
[monitor]
state_dir = "state"
[alerts]
recipients = ["md@example.org"]
sender = "monitor@example.org"
[classifier]
backend = "transformers"
[classifier.options]
device = "cpu"
batch_size = 32
max_length = 256
local_files_only = true
[classifier.options.models]
offensive = {{model = "{text_model}", positive = ["offensive"]}}
confidentiality_risk = {{model = "{ner}", positive = ["PER"]}}
""",
        encoding="utf-8",
    )
    cfg = config_mod.load(path, environ={})
    clf = load_backend(cfg.classifier.backend, **dict(cfg.classifier.options))
    [c] = clf.classify([TextInput("Zorbina has depression and is seeing a therapist")])
    assert "confidentiality_risk" in c.labels
