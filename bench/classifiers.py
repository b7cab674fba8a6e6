"""Print every classifier target metric on the validation splits, and the speed figures.

    python bench/classifiers.py [--data /work/shared/data] [--classifier default]

Quality: TweetEval offensive (scores.offensive >= 0.5) and hate (label hate) macro-F1,
airline negative_publicity vs sentiment negative macro-F1, counselling dev per-label P/R/F1
and the hard-negative flag rate, then per-label P/R/F1 on the bundled demo comments
(``monitor/demo/comments.jsonl``, labelled independently; used for error analysis). Speed: items/s on one core, load time, peak RSS (measured
in a fresh subprocess so that the quality runs do not inflate it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifiers.base import load  # noqa: E402
from classifiers.train import read_airline, read_counselling, read_tweeteval  # noqa: E402
from monitor.types import LABELS, TextInput  # noqa: E402

BATCH = 500


def macro_f1(gold: list[int], pred: list[int]) -> float:
    out = []
    for cls in (0, 1):
        tp = sum(g == cls and p == cls for g, p in zip(gold, pred, strict=True))
        fp = sum(g != cls and p == cls for g, p in zip(gold, pred, strict=True))
        fn = sum(g == cls and p != cls for g, p in zip(gold, pred, strict=True))
        out.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(out) / 2


def prf(gold: list[bool], pred: list[bool]) -> tuple[float, float, float, int]:
    tp = sum(g and p for g, p in zip(gold, pred, strict=True))
    fp = sum(p and not g for g, p in zip(gold, pred, strict=True))
    fn = sum(g and not p for g, p in zip(gold, pred, strict=True))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0), tp + fn


def run(clf: object, inputs: list[TextInput]) -> list[object]:
    out: list[object] = []
    for i in range(0, len(inputs), BATCH):
        out.extend(clf.classify(inputs[i : i + BATCH]))  # type: ignore[attr-defined]
    return out


def speed(name: str, data: Path, cache: Path, *, prefilter: bool = True) -> dict[str, float]:
    """Load time, items/s and peak RSS in a fresh process pinned to one core.

    ``cache`` is the prefilter's cache directory (an empty one measures the first start after
    an install); ``prefilter=False`` measures the re-only path used where Hyperscan is missing.
    """
    code = f"""
import json, resource, sys, time
sys.path.insert(0, {str(ROOT)!r})
t = time.perf_counter()
from classifiers.base import load
from classifiers.train import read_tweeteval
from monitor.types import TextInput
clf = load({name!r})
loaded = time.perf_counter() - t
if not {prefilter!r}:
    from classifiers import lexicon
    lexicon.use_prefilter(False)
texts = read_tweeteval(__import__('pathlib').Path({str(data)!r}), 'offensive', 'val').texts
items = [TextInput(x) for x in (texts * 3)[:3000]]
t = time.perf_counter()
for i in range(0, len(items), {BATCH}):
    clf.classify(items[i:i + {BATCH}])
rate = len(items) / (time.perf_counter() - t)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"load_s": loaded, "items_per_s": rate, "peak_rss_mb": rss}}))
"""
    env = dict(
        os.environ,
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        MONITOR_CACHE_DIR=str(cache),
    )
    cmd = ["taskset", "-c", "0", sys.executable, "-c", code]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    except (FileNotFoundError, subprocess.CalledProcessError):
        res = subprocess.run(cmd[3:], capture_output=True, text=True, env=env, check=True)
    return dict(json.loads(res.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    parser.add_argument("--classifier", default="default")
    args = parser.parse_args()
    clf = load(args.classifier)
    rows: list[tuple[str, str, str, str]] = []

    off = read_tweeteval(args.data, "offensive", "val")
    res = run(clf, [TextInput(t) for t in off.texts])
    pred = [int(c.scores["offensive"] >= 0.5) for c in res]  # type: ignore[attr-defined]
    rows.append(
        (
            "TweetEval offensive val macro-F1",
            f"{macro_f1(list(off.labels), pred):.3f}",
            ">= 0.82",
            f"n={len(pred)}",
        )
    )

    hate = read_tweeteval(args.data, "hate", "val")
    res = run(clf, [TextInput(t) for t in hate.texts])
    pred = [int("hate" in c.labels) for c in res]  # type: ignore[attr-defined]
    rows.append(
        (
            "TweetEval hate val macro-F1",
            f"{macro_f1(list(hate.labels), pred):.3f}",
            ">= 0.56",
            f"n={len(pred)}",
        )
    )

    air = read_airline(args.data, "val")
    res = run(clf, [TextInput(t, platform="x", kind="mention") for t in air.texts])
    pred = [int("negative_publicity" in c.labels) for c in res]  # type: ignore[attr-defined]
    rows.append(
        (
            "Airline negative_publicity val macro-F1",
            f"{macro_f1(list(air.labels), pred):.3f}",
            ">= 0.90",
            f"n={len(pred)}",
        )
    )

    dev = read_counselling(args.data)
    inputs = [
        TextInput(
            str(d["text"]),
            platform=str(d.get("platform")),
            kind=str(d.get("kind")),
            author_is_org=bool(d.get("author_is_org")),
        )
        for d in dev
    ]
    res = run(clf, inputs)
    targets = {"risk_to_life": "R>=0.95 P>=0.75", "confidentiality_risk": "R>=0.90 P>=0.80"}
    for label in LABELS:
        gold = [label in d["labels"] for d in dev]  # type: ignore[operator]
        got = [label in c.labels for c in res]  # type: ignore[attr-defined]
        p, r, f, n = prf(gold, got)
        if n == 0:
            rows.append((f"counselling dev {label}", f"flagged {sum(got)}", "(no gold items)", ""))
            continue
        rows.append(
            (
                f"counselling dev {label}",
                f"P={p:.2f} R={r:.2f} F1={f:.2f}",
                targets.get(label, "F1>=0.85"),
                f"gold={n}",
            )
        )
    hard = [c for d, c in zip(dev, res, strict=True) if str(d["note"]).startswith("hard neg")]
    rate = sum(bool(c.labels) for c in hard) / max(1, len(hard))  # type: ignore[attr-defined]
    rows.append(("counselling dev hard negatives flagged", f"{rate:.1%}", "<= 10%", f"n={len(hard)}"))

    demo_path = ROOT / "monitor" / "demo" / "comments.jsonl"
    if demo_path.is_file():
        # labelled independently of the rules, but used for error analysis: not an unseen set
        demo = [json.loads(line) for line in demo_path.read_text(encoding="utf-8").splitlines() if line]
        demo = [d for d in demo if "labels" in d]
        res = run(
            clf,
            [
                TextInput(
                    str(d["text"]),
                    platform=str(d.get("platform")),
                    kind=str(d.get("kind")),
                    author_is_org=bool(d.get("author_is_org")),
                )
                for d in demo
            ],
        )
        for label in LABELS:
            gold = [label in d["labels"] for d in demo]
            got = [label in c.labels for c in res]  # type: ignore[attr-defined]
            p, r, f, n = prf(gold, got)
            if n:
                rows.append(
                    (f"demo set {label}", f"P={p:.2f} R={r:.2f} F1={f:.2f}", "(error analysis)", f"gold={n}")
                )

    with tempfile.TemporaryDirectory(prefix="bench-cache-") as tmp:
        cold = speed(args.classifier, args.data, Path(tmp))  # compiles the prefilter
        sp = speed(args.classifier, args.data, Path(tmp))
        plain = speed(args.classifier, args.data, Path(tmp), prefilter=False)
    rows.append(("speed (one core)", f"{sp['items_per_s']:,.0f} items/s", ">= 1,000", "batches of 500"))
    rows.append(
        (
            "speed without Hyperscan",
            f"{plain['items_per_s']:,.0f} items/s",
            "(re gates only)",
            "batches of 500",
        )
    )
    rows.append(("load time", f"{sp['load_s']:.2f} s", "<= 2 s", "fresh process, incl. imports"))
    rows.append(
        ("load time, first start", f"{cold['load_s']:.2f} s", "(once)", "compiles and caches the prefilter")
    )
    rows.append(("peak RSS", f"{sp['peak_rss_mb']:.0f} MB", "<= 300 MB", "fresh process"))

    width = max(len(r[0]) for r in rows)
    print(f"{'metric':<{width}}  {'value':<26}  {'target':<18}  note")
    print("-" * (width + 60))
    for name, value, target, note in rows:
        print(f"{name:<{width}}  {value:<26}  {target:<18}  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
