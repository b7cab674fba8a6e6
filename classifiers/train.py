"""Train the default backend's linear models from ../shared/data and write a model card.

Run ``python scripts/train_classifiers.py [--data PATH]``. Needs scikit-learn (training
only; the shipped models are plain numpy arrays read without it). Hyper-parameters and
decision thresholds are chosen on the validation splits only; the held-back test splits
are never read. The datasets themselves are never copied into the repository.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from classifiers.features import N_FEATURES, LinearModels, featurise, prepare
from classifiers.normalise import normalise

log = logging.getLogger(__name__)

DEFAULT_DATA = Path("/work/shared/data")
MODELS_DIR = Path(__file__).parent / "models"
C_GRID = (0.5, 1.0, 2.0, 4.0, 8.0)
# Unrelated tweets teach the complaint model that text not about a service is no complaint.
# At weight 0.1 airline validation macro-F1 rises from 0.81 to 0.83, but on the counselling
# comments the model then reads thanks, tags and questions as complaints (dev precision for
# negative publicity 0.93 -> 0.71): full weight, for the charity's sake.
COMPLAINT_BACKGROUND = 1.0


@dataclass(frozen=True)
class Split:
    texts: list[str]
    labels: npt.NDArray[np.int64]
    weights: npt.NDArray[np.float64] | None = None  # per-example training weight


@dataclass(frozen=True)
class Task:
    """One binary model: what it is called, its data, and a line for the model card."""

    name: str
    train: Split
    val: Split
    source: str
    licence: str
    # NB-SVM (Wang & Manning 2012): scale each feature by its smoothed log-count ratio before the
    # fit (None: plain logistic regression). The scaled weights fold back into one weight vector.
    nb_alpha: float | None = None


def read_tweeteval(data: Path, task: str, split: str) -> Split:
    folder = data / "tweeteval" / task
    texts = (folder / f"{split}_text.txt").read_text(encoding="utf-8").splitlines()
    labels = (folder / f"{split}_labels.txt").read_text(encoding="utf-8").split()
    if len(texts) != len(labels):
        raise ValueError(f"{folder}: {split} texts and labels differ in length")
    return Split(texts, np.array([int(x) for x in labels]))


def read_airline(data: Path, split: str) -> Split:
    """Airline tweets: 1 when the sentiment is negative (a complaint), else 0."""
    with (data / "airline-complaints" / f"{split}.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return Split([r["text"] for r in rows], np.array([int(r["sentiment"] == "negative") for r in rows]))


def read_counselling(data: Path) -> list[dict[str, object]]:
    path = data / "counselling-comments" / "dev.jsonl"
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def model_text(text: str) -> str:
    """Exactly what the run-time classifier feeds the linear models."""
    return prepare(normalise(text[:5000]).match)


def macro_f1(gold: npt.NDArray[np.int64], pred: npt.NDArray[np.int64]) -> float:
    scores = []
    for cls in (0, 1):
        tp = int(((pred == cls) & (gold == cls)).sum())
        fp = int(((pred == cls) & (gold != cls)).sum())
        fn = int(((pred != cls) & (gold == cls)).sum())
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores))


def best_threshold(gold: npt.NDArray[np.int64], probs: npt.NDArray[np.float64]) -> float:
    grid = np.arange(0.20, 0.81, 0.01)
    f1s = [macro_f1(gold, (probs >= t).astype(np.int64)) for t in grid]
    # prefer the middle of the best plateau over its edge (more robust than the argmax)
    best = max(f1s)
    near = [t for t, f in zip(grid, f1s, strict=True) if f >= best - 0.002]
    return float(np.median(near))


def nb_ratio(x: Any, labels: npt.NDArray[np.int64], alpha: float) -> npt.NDArray[np.float64]:
    """Log-count ratio of each feature's presence in positives vs negatives, smoothed by ``alpha``."""
    present = x.copy()
    present.data = np.ones_like(present.data)
    pos = alpha + np.asarray(present[labels == 1].sum(axis=0)).ravel()
    neg = alpha + np.asarray(present[labels == 0].sum(axis=0)).ravel()
    return np.asarray(np.log((pos / pos.sum()) / (neg / neg.sum())), dtype=np.float64)


def fit_task(task: Task) -> tuple[npt.NDArray[np.float32], float, dict[str, float]]:
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    x_train = featurise([model_text(t) for t in task.train.texts])
    x_val = featurise([model_text(t) for t in task.val.texts])
    ratio = np.ones(N_FEATURES)
    if task.nb_alpha is not None:
        ratio = nb_ratio(x_train, task.train.labels, task.nb_alpha)
        x_train, x_val = x_train @ sparse.diags(ratio), x_val @ sparse.diags(ratio)
    best: tuple[float, float, float, LogisticRegression] | None = None
    for c in C_GRID:
        clf = LogisticRegression(C=c, max_iter=2000, solver="liblinear", class_weight="balanced")
        clf.fit(x_train, task.train.labels, sample_weight=task.train.weights)
        probs = clf.predict_proba(x_val)[:, 1]
        thr = best_threshold(task.val.labels, probs)
        f1 = macro_f1(task.val.labels, (probs >= thr).astype(np.int64))
        log.info("%s C=%s threshold=%.2f val macro-F1=%.4f", task.name, c, thr, f1)
        if best is None or f1 > best[0]:
            best = (f1, c, thr, clf)
    assert best is not None
    f1, c, thr, clf = best
    coef = (clf.coef_[0] * ratio).astype(np.float32)  # the NB scaling folded into the weights
    # Move the tuned threshold to 0.5 so that every shipped score reads "flag at >= 0.5".
    bias = float(clf.intercept_[0]) - float(np.log(thr / (1 - thr)))
    return coef, bias, {"C": c, "threshold": thr, "val_macro_f1": f1}


def build_tasks(data: Path) -> list[Task]:
    tweeteval = "TweetEval (Barbieri et al. 2020)"
    return [
        Task(
            "offensive",
            read_tweeteval(data, "offensive", "train"),
            read_tweeteval(data, "offensive", "val"),
            f"{tweeteval} offensive = OLID / OffensEval 2019, train split (NB-SVM scaling)",
            "OLID: licence per its authors (research use)",
            # validation macro-F1 alone 0.725 -> 0.749, blended 0.755 -> 0.762; no gain for the
            # complaint model (0.808 -> 0.802), so it stays a plain logistic regression
            nb_alpha=0.5,
        ),
        Task(
            "hate",
            read_tweeteval(data, "hate", "train"),
            read_tweeteval(data, "hate", "val"),
            f"{tweeteval} hate = HatEval 2019, train split",
            "HatEval terms of use (research use)",
        ),
        Task(
            "complaint",
            _with_background(
                read_airline(data, "train"), read_tweeteval(data, "offensive", "train"), COMPLAINT_BACKGROUND
            ),
            read_airline(data, "val"),
            "Twitter US Airline Sentiment train split (negative vs neutral/positive), plus the "
            "OLID train tweets as background non-complaints (so that text which is not about a "
            "service is not read as a complaint)",
            "CC BY-NC-SA 4.0 (Figure Eight 'Data for Everyone'); OLID as above",
        ),
    ]


def _with_background(task: Split, background: Split, weight: float) -> Split:
    """Add unrelated tweets as negatives (label 0), each counting ``weight`` of an example."""
    return Split(
        task.texts + background.texts,
        np.concatenate([task.labels, np.zeros(len(background.texts), dtype=np.int64)]),
        np.concatenate([np.ones(len(task.texts)), np.full(len(background.texts), weight)]),
    )


def write_card(
    path: Path,
    tasks: Sequence[Task],
    stats: dict[str, dict[str, float]],
    blend: dict[str, float] | None = None,
) -> None:
    rows = "\n".join(
        f"| `{t.name}` | {t.source} | {len(t.train.texts):,} | {len(t.val.texts):,} | "
        f"{stats[t.name]['C']} | {stats[t.name]['threshold']:.2f} | "
        f"{stats[t.name]['val_macro_f1']:.3f} |"
        for t in tasks
    )
    licences = "\n".join(f"- `{t.name}`: {t.licence}" for t in tasks)
    blend_text = (
        "**Offensive blend** (`profanity.npz`): alt-profanity-check 1.9.1's model (MIT licence; "
        "linear SVM on TF-IDF word unigrams, ~200k labelled comments), converted to arrays and "
        "re-implemented in numpy (checked equal to its `predict_proba`), blended in logit space "
        f"with the `offensive` model above: weight {blend['weight']:.1f}, threshold "
        f"{blend['threshold']:.2f}, OLID validation macro-F1 **{blend['val_macro_f1']:.3f}**."
        if blend
        else "alt-profanity-check was not installed at training time: no offensive blend."
    )
    path.write_text(
        f"""# Model card: default backend linear models (`linear.npz`)

Generated by `scripts/train_classifiers.py` on {dt.date.today().isoformat()}.

**What**: one L2-regularised logistic regression per score, over {N_FEATURES:,} hashed
features (word uni/bi-grams and character 2-5-grams of the normalised text, see
`classifiers/features.py`; URLs and @mentions replaced by placeholders). `offensive` is an
NB-SVM (Wang & Manning 2012): each feature scaled by its log-count ratio in the training
split (smoothing 0.5) before the fit, the scaling folded back into the weights. Weights are stored
as float32 numpy arrays (`names`, `weights`, `bias`), readable without scikit-learn.
The decision threshold tuned on the validation split has been folded into the bias, so
every score is flagged at >= 0.5.

**Used for**: `offensive` (score only, OffensEval sense), `hate` (with identity-term rules),
`complaint` (an input to `negative_publicity`, combined with rules about the organisation).
Each label's module (`classifiers/labels/`) combines its cue families with these scores and the
learned heads below (see `docs/classifiers.md`).

| model | training data | train | val | C | threshold | val macro-F1 |
|---|---|---|---|---|---|---|
{rows}

{blend_text}

C and the threshold were chosen on the validation split (grid {list(C_GRID)}); the
held-back test splits were never read. Validation figures are therefore optimistic;
HatEval's test split is known to differ in distribution from train/val.

**Licences of the training data** (the data is not shipped, only weights learned from it):
{licences}

The airline data is CC BY-NC-SA 4.0: the derived weights are used non-commercially by
a Community Interest Company; check the licence before any commercial redistribution.

{learned_section(path.parent)}

**Whole-classifier figures** (rules + these models, every target metric, speed): run
`python bench/classifiers.py`; the last recorded table is in `docs/classifiers.md`.

**Limits**: English tweets from 2013-2019; US-centric airline complaints; weak on
sarcasm, dialect and reclaimed slurs; non-English text gets low, uninformative scores.
Never use a score alone to take action about a person: it is a triage signal for a human.
""",
        encoding="utf-8",
    )


def refresh_card(path: Path) -> None:
    """Rewrite the learned-signal and encoder part of an existing model card."""
    card = path.read_text(encoding="utf-8")
    start, end = card.index("**Learned signals**"), card.index("**Whole-classifier figures**")
    path.write_text(card[:start] + learned_section(path.parent) + "\n\n" + card[end:], encoding="utf-8")


def learned_section(models: Path) -> str:
    """The model card's part on ``risk.npz`` and the encoder heads, from the figures written beside them."""
    from classifiers.encoder import FEATURE_LAYERS
    from classifiers.labels import confidentiality_risk as conf
    from classifiers.labels import risk_to_life as risk
    from classifiers.labels import threat
    from classifiers.train_risk import HEAD_LABELS, WIDE_HEADS

    def bars(module: Any) -> str:
        rows = module.CANDIDATE_BARS
        return ", ".join(
            f"{b:g}"
            + (f" from a calibrated {at:g}" if at else "")
            + (f" {'and' if at else 'from'} a wide {wide:g}" if wide else "")
            + (" otherwise" if not (at or wide) and len(rows) > 1 else "")
            for at, wide, b in rows
        )

    layers = ", ".join(map(str, FEATURE_LAYERS[:-1])) + f" and {FEATURE_LAYERS[-1]}"
    head_labels = {**HEAD_LABELS, **{w: HEAD_LABELS[h] + " (wide)" for w, h in WIDE_HEADS.items()}}

    def load(name: str) -> dict[str, Any]:
        path = models / name
        return dict(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else {}

    def curve(rel: list[list[float]]) -> str:
        return " ".join(f"{p:.2f}→{o:.2f} ({n})" for p, o, n in rel if n >= 5)

    stats, enc = load("risk_stats.json"), load("encoder_stats.json")
    held = (
        "30% of this round's three corpora were held out to measure on, then added to the shipped fit; "
        "the figures below are from the fit with them"
        if stats.get("held_out_included")
        else "30% of this round's three corpora held out"
    )
    rows = "\n".join(
        f"| `{head}` | {label} | {s.get('positives', 0):,} / {s.get('written', 0):,} + {s.get('background', 0):,} | "
        + " | ".join(
            f"{s.get(f'recall_at_{t}', 0):.2f} / {s.get(f'written_false_alarm_at_{t}', 0):.3f} / "
            f"{s.get(f'background_false_alarm_at_{t}', 0):.4f}"
            for t in (0.5, 0.9)
        )
        + " |"
        for head, label in head_labels.items()
        if (s := stats.get(head, {}))
    )
    reliab = "\n".join(
        f"- `{head}`: {curve(s.get('reliability', []))}" for head in head_labels if (s := stats.get(head, {}))
    )
    enc_rows = "\n".join(
        f"| {label} | {s['positives']:,} / {s['items']:,} | "
        + f"{s.get('confirm_at', 0):.3f} ({s.get('confirm_false_alarm', 0):.0%}) | "
        + " | ".join(f"{s[f'recall_at_{t}']:.2f} / {s[f'false_alarm_at_{t}']:.3f}" for t in (0.1, 0.2, 0.5))
        + f" | {curve(s['reliability'])} |"
        for label, s in enc.items()
    )
    return f"""**Learned signals** (`risk.npz`, written by `classifiers/train_risk.py`): the same
features, one logistic regression (C=16) per head, trained on comments written for this purpose
and no real person's words (`classifiers/data/README.md`; {held}), with real posts from the TweetEval offensive and hate and airline train splits as background
negatives: the urgent heads (`risk`, `threat`, `confidential`) against all of them (about 31,000)
at full weight; their **wide** twins (`risk_wide`, `threat_wide`, `confidential_wide`), the
permissive first stage's candidate heads, against the same posts at weight 0.3; the others against
10,000 at weight 0.3 (airline tweets are not negatives for the complaint and enquiry heads). A wide
head's calibration is to a training mix in which ordinary posts count 0.3 each, so its probability
overstates risk on a real feed: it only nominates candidates. Every head is **calibrated** (Platt scaling fitted on five-fold
out-of-fold scores, folded into the shipped weights), so a score reads as a probability.
Out-of-fold figures (optimistic: one writer's phrasing appears in several folds): recall / false
alarms on written negatives / false alarms on ordinary posts, at 0.5 and 0.9:

| head | label | positives / written + background | at 0.5 | at 0.9 |
|---|---|---|---|---|
{rows}

Reliability (out of fold; mean predicted → observed rate (items), bins of 0.1 with 5+ items):
{reliab}

How the label modules use them (`classifiers/labels/`, docs/classifiers.md "First stage and
second opinion"; the figures here are read from the modules when the card is written): a
calibrated score flags an urgent label alone, and stands without the encoder, only when confident:
risk to life from {risk.LEARNED_ALONE:g} in a text of {risk.LEARNED_ALONE_WORDS} words or more that is
not thanks (from {risk.LEARNED_WITH_CUE:g} it adds to a rule cue), threat from {threat.LEARNED_ALONE:g}
(not beside well-wishing with no threat cue), confidentiality from {conf.LEARNED_ALONE:g} (where the
text mentions someone it could be about). A wide head's score makes a *candidate* (risk from
{risk.WIDE_AT:g}, threat {threat.WIDE_AT:g}, confidentiality {conf.WIDE_AT:g}, in six words or more, and only where
it holds with the everyday words left out): where the encoder is installed a candidate stands only
if the encoder's calibrated score reaches the module's `CANDIDATE_BARS` (risk {bars(risk)};
threat {bars(threat)}; confidentiality {bars(conf)}), and a flag on one weak risk cue needs
{risk.WEAK_BAR:g}; without the encoder every candidate stands, except threat candidates under a wide
{threat.LOW_WIDE:g}, which exist only for the encoder. Non-urgent heads flag alone at the calibrated
equivalents of their earlier raw thresholds (spam 0.88, harassment 0.82, hate 0.7, complaints
0.61, enquiries 0.66).

**Sentence encoder heads** (`encoder_heads.npz`, `classifiers/train_encoder.py`): all-MiniLM-L6-v2
(Apache-2.0, revision 1110a243, hashes pinned in `classifiers/encoder.py`): the output of its
layers {layers}, each mean pooled and L2-normalised, side by side ({384 * len(FEATURE_LAYERS):,}
features); one logistic regression per urgent label (balanced classes, C=4) on the same written
comments and every ordinary train-split post (about 31,000), Platt-calibrated on out-of-fold
scores. The **confirmation bar** of each head is the score that keeps 97% of the written positives
out of fold: a flag that rests on one weak cue stands only above it (a wide-head candidate needs
its module's own bar). Bar (and the share of negatives
above it), recall / false alarms at 0.1, 0.2 and 0.5, then reliability:

| label | positives / items | confirmation bar | at 0.1 | at 0.2 | at 0.5 | reliability |
|---|---|---|---|---|---|---|
{enc_rows or "| (not trained: encoder not installed) | | | | | | |"}"""


def convert_profanity_check(data: Path, out: Path) -> dict[str, float] | None:
    """Write alt-profanity-check's model as arrays and tune its blend on OLID validation."""
    try:
        import joblib
        from profanity_check import profanity_check as pc
    except ImportError:
        log.warning("alt-profanity-check not installed: offensive score uses one model only")
        return None
    from classifiers.profanity import ProfanityModel

    folder = Path(pc.__file__).parent / "data"
    vec = joblib.load(folder / "vectorizer.joblib")
    model = joblib.load(folder / "model.joblib")
    vocab = sorted(vec.vocabulary_.items(), key=lambda kv: kv[1])
    words = np.array([w for w, _ in vocab])
    cc = model.calibrated_classifiers_
    arrays = {
        "words": words,
        "idf": vec.idf_.astype(np.float32),
        "coef": np.stack([c.estimator.coef_[0] for c in cc]).astype(np.float32),
        "intercept": np.array([c.estimator.intercept_[0] for c in cc], dtype=np.float64),
        "cal_a": np.array([c.calibrators[0].a_ for c in cc], dtype=np.float64),
        "cal_b": np.array([c.calibrators[0].b_ for c in cc], dtype=np.float64),
    }
    val = read_tweeteval(data, "offensive", "val")
    texts = [model_text(t) for t in val.texts]
    own = LinearModels.load(str(out / "linear.npz"))
    own_p = own.predict(texts)[:, own.names.index("offensive")]
    prof = ProfanityModel(
        **{k: v for k, v in arrays.items() if k != "words"}, words=list(words), mix=np.array([0.0, 0.0])
    )
    check = model.predict_proba(vec.transform(val.texts[:200]))[:, 1]
    assert np.allclose(prof.predict(val.texts[:200]), check, atol=1e-6), "re-implementation differs"
    best = (0.0, 0.0, 0.0)
    for w in (0.0, 0.2, 0.3, 0.4, 0.5, 0.6):
        prof.mix = np.array([w, 0.0])
        blended = prof.blend(own_p, texts)
        thr = best_threshold(val.labels, blended)
        f1 = macro_f1(val.labels, (blended >= thr).astype(np.int64))
        log.info("offensive blend w=%.1f threshold=%.2f val macro-F1=%.4f", w, thr, f1)
        if f1 > best[0]:
            best = (f1, w, thr)
    f1, w, thr = best
    np.savez_compressed(out / "profanity.npz", mix=np.array([w, -np.log(thr / (1 - thr))]), **arrays)
    return {"weight": w, "threshold": thr, "val_macro_f1": f1}


def labelled_file(value: str) -> Path:
    """An --extra file: every line needs id, text and a labels list (checked before training)."""
    path = Path(value)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"{path}: {exc.strerror}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{path}:{number}: not JSON ({exc})") from None
        if not isinstance(row, dict) or not all(k in row for k in ("id", "text", "labels")):
            raise argparse.ArgumentTypeError(f"{path}:{number}: needs id, text and labels")
        if not isinstance(row["labels"], list):
            raise argparse.ArgumentTypeError(f"{path}:{number}: labels must be a list")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder")
    parser.add_argument("--out", type=Path, default=MODELS_DIR, help="where to write models")
    parser.add_argument("--only-risk", action="store_true", help="retrain risk.npz only")
    parser.add_argument("--skip-risk", action="store_true", help="keep risk.npz, retrain the rest")
    parser.add_argument("--only-encoder", action="store_true", help="retrain encoder_heads.npz only")
    parser.add_argument(
        "--only-heads",
        default="",
        help="with --only-risk: refit these heads (comma-separated) and keep the others of risk.npz",
    )
    parser.add_argument(
        "--extra",
        action="append",
        type=labelled_file,
        default=[],
        metavar="FILE",
        help="more labelled JSONL in the shape of classifiers/data/written_*.jsonl, e.g. "
        "`monitor feedback export` (repeatable)",
    )
    parser.add_argument(
        "--include-held-out",
        action="store_true",
        help="fit the learned heads on the held-out 30%% of this round's corpora too (after measuring on them)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    started = time.perf_counter()
    from classifiers.encoder import find_model
    from classifiers.train_encoder import train_encoder
    from classifiers.train_risk import train_risk

    if not (args.skip_risk or args.only_encoder):
        only = tuple(h for h in args.only_heads.split(",") if h)
        train_risk(args.data, args.out, include_held_out=args.include_held_out, only=only, extra=args.extra)
    if find_model() is not None and not args.only_risk:
        train_encoder(args.data, args.out, extra=args.extra)
    elif not args.only_risk:
        log.warning(
            "sentence encoder not installed: encoder_heads.npz not retrained (see classifiers/encoder.py)"
        )
    if args.only_risk or args.only_encoder:
        refresh_card(args.out / "MODEL_CARD.md")
        return 0
    tasks = build_tasks(args.data)
    weights = np.zeros((N_FEATURES, len(tasks)), dtype=np.float32)
    bias = np.zeros(len(tasks), dtype=np.float32)
    stats: dict[str, dict[str, float]] = {}
    for i, task in enumerate(tasks):
        coef, b, stats[task.name] = fit_task(task)
        weights[:, i] = coef
        bias[i] = b
    args.out.mkdir(parents=True, exist_ok=True)
    LinearModels([t.name for t in tasks], weights, bias).save(str(args.out / "linear.npz"))
    blend = convert_profanity_check(args.data, args.out)
    write_card(args.out / "MODEL_CARD.md", tasks, stats, blend)
    log.info("wrote %s in %.0f s", args.out, time.perf_counter() - started)
    return 0
