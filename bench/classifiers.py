"""Print every classifier target metric on the validation splits, and the speed figures.

    python bench/classifiers.py [--data /work/shared/data] [--classifier default] [--no-encoder]

Quality: TweetEval offensive (scores.offensive >= 0.5) and hate (label hate) macro-F1,
airline negative_publicity vs sentiment negative macro-F1, counselling dev per-label P/R/F1
and the hard-negative flag rate; **ordinary posts**: urgent flags (risk to life, threat,
confidentiality) per 1,000 and the share with any label, on TweetEval sentiment validation
(positive and neutral) and airline validation (positive and neutral); per-label P/R/F1 on the
bundled demo comments (labelled independently; used for error analysis), on the writers' dev
sets ``dev6a``/``dev6b`` (``--writers``; used for tuning) and on the held-out 30% of this round's
independently written corpora (by family: see ``--families``; per-family tables at any revision:
``bench/dev_sets.py``).
Speed: items/s on one core, load time, peak RSS (each in a fresh subprocess), with and without
the sentence encoder and the Hyperscan prefilter.
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifiers.base import load  # noqa: E402
from classifiers.train import read_airline, read_counselling, read_tweeteval  # noqa: E402
from classifiers.train_risk import written_rows  # noqa: E402
from monitor.types import LABELS, TextInput  # noqa: E402

BATCH = 500
URGENT = ("risk_to_life", "threat", "confidentiality_risk")
TARGETS = {
    "risk_to_life": "R>=0.95 P>=0.80",
    "confidentiality_risk": "R>=0.90 P>=0.85",
    "threat": "R>=0.90",
    "negative_publicity": "F1>=0.85",
    "engagement": "F1>=0.85",
}


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


def run(clf: Any, inputs: list[TextInput]) -> list[Any]:
    out: list[Any] = []
    for i in range(0, len(inputs), BATCH):
        out.extend(clf.classify(inputs[i : i + BATCH]))
    return out


def item(d: dict[str, Any]) -> TextInput:
    return TextInput(str(d["text"]), d.get("platform"), d.get("kind"), bool(d.get("author_is_org")))


def ordinary(data: Path) -> dict[str, list[str]]:
    """Ordinary posts: positive and neutral tweets (TweetEval sentiment val) and airline tweets (val)."""
    folder = data / "tweeteval" / "sentiment"
    texts = (folder / "val_text.txt").read_text(encoding="utf-8").splitlines()
    labels = (folder / "val_labels.txt").read_text(encoding="utf-8").split()
    with (data / "airline-complaints" / "val.csv").open(encoding="utf-8") as fh:
        airline = [r["text"] for r in csv.DictReader(fh) if r["sentiment"] != "negative"]
    return {
        "TweetEval sentiment val": [t for t, y in zip(texts, labels, strict=True) if y in ("1", "2")],
        "airline val": airline,
    }


def label_rows(
    rows: list[tuple[str, str, str, str]], prefix: str, gold_rows: list[dict[str, Any]], res: list[Any]
) -> None:
    for label in LABELS:
        gold = [label in d["labels"] for d in gold_rows]
        got = [label in c.labels for c in res]
        p, r, f, n = prf(gold, got)
        if n:
            rows.append(
                (f"{prefix} {label}", f"P={p:.2f} R={r:.2f} F1={f:.2f}", TARGETS.get(label, ""), f"gold={n}")
            )
        elif any(got):
            rows.append((f"{prefix} {label}", f"flagged {sum(got)}", "(no gold items)", ""))


def speed(
    name: str, data: Path, cache: Path, *, prefilter: bool = True, encoder: bool = True
) -> dict[str, float]:
    """Load time, items/s and peak RSS in a fresh process pinned to one core."""
    code = f"""
import json, resource, sys, time
sys.path.insert(0, {str(ROOT)!r})
t = time.perf_counter()
from classifiers.base import load
from classifiers.train import read_tweeteval
from monitor.types import TextInput
clf = load({name!r}, encoder={encoder!r})
loaded = time.perf_counter() - t
if not {prefilter!r}:
    clf.searcher.use_prefilter(False)
texts = read_tweeteval(__import__('pathlib').Path({str(data)!r}), 'offensive', 'val').texts
items = [TextInput(x) for x in (texts * 3)[:3000]]
t = time.perf_counter()
for i in range(0, len(items), {BATCH}):
    clf.classify(items[i:i + {BATCH}])
rate = len(items) / (time.perf_counter() - t)
# VmHWM is this process's own peak; ru_maxrss would include the bench's memory from before exec
try:
    rss = [int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')][0] / 1024
except (OSError, IndexError):
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
on = getattr(clf, 'encoder', None) is not None
print(json.dumps({{"load_s": loaded, "items_per_s": rate, "peak_rss_mb": rss, "encoder": on}}))
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
    parser.add_argument("--writers", type=Path, default=Path("/work/writers"), help="dev6a/dev6b.jsonl")
    parser.add_argument("--no-encoder", action="store_true", help="the first stage alone")
    parser.add_argument("--families", action="store_true", help="also print per-family held-out figures")
    parser.add_argument("--no-speed", action="store_true")
    args = parser.parse_args()
    options = {"encoder": False} if args.no_encoder else {}
    clf: Any = load(args.classifier, **options)
    rows: list[tuple[str, str, str, str]] = []

    off = read_tweeteval(args.data, "offensive", "val")
    pred = [int(c.scores["offensive"] >= 0.5) for c in run(clf, [TextInput(t) for t in off.texts])]
    rows.append(
        (
            "TweetEval offensive val macro-F1",
            f"{macro_f1(list(off.labels), pred):.3f}",
            ">= 0.77",
            f"n={len(pred)}",
        )
    )
    hate = read_tweeteval(args.data, "hate", "val")
    pred = [int("hate" in c.labels) for c in run(clf, [TextInput(t) for t in hate.texts])]
    rows.append(
        (
            "TweetEval hate val macro-F1",
            f"{macro_f1(list(hate.labels), pred):.3f}",
            ">= 0.60",
            f"n={len(pred)}",
        )
    )
    air = read_airline(args.data, "val")
    res = run(clf, [TextInput(t, platform="x", kind="mention") for t in air.texts])
    pred = [int("negative_publicity" in c.labels) for c in res]
    rows.append(
        (
            "Airline negative_publicity val macro-F1",
            f"{macro_f1(list(air.labels), pred):.3f}",
            ">= 0.81",
            f"n={len(pred)}",
        )
    )

    total = urgent_total = any_total = not_eng_total = 0
    for name, texts in ordinary(args.data).items():
        ctx = {"platform": "x", "kind": "mention"} if name.startswith("airline") else {}
        res = run(clf, [TextInput(t, **ctx) for t in texts])  # type: ignore[arg-type]
        urgent = sum(bool(set(c.labels) & set(URGENT)) for c in res)
        anyl = sum(bool(c.labels) for c in res)
        # questions to the account are engagement by the product's definition: both ways
        not_eng = sum(bool(set(c.labels) - {"engagement"}) for c in res)
        total, urgent_total, any_total = total + len(res), urgent_total + urgent, any_total + anyl
        not_eng_total += not_eng
        rows.append(
            (
                f"ordinary: {name} urgent",
                f"{1000 * urgent / len(res):.1f} per 1,000 ({urgent})",
                "<= 1 per 1,000",
                f"n={len(res)}",
            )
        )
        rows.append((f"ordinary: {name} any label", f"{anyl / len(res):.1%}", "<= 3%", f"n={len(res)}"))
        rows.append(
            (f"ordinary: {name} any but engagement", f"{not_eng / len(res):.1%}", "", "questions not counted")
        )
    rows.append(
        (
            "ordinary: both urgent",
            f"{1000 * urgent_total / total:.1f} per 1,000 ({urgent_total})",
            "<= 1 per 1,000",
            f"n={total}",
        )
    )
    rows.append(("ordinary: both any label", f"{any_total / total:.1%}", "<= 3%", f"n={total}"))
    rows.append(
        ("ordinary: both any but engagement", f"{not_eng_total / total:.1%}", "", "questions not counted")
    )

    dev = read_counselling(args.data)
    res = run(clf, [item(d) for d in dev])
    label_rows(rows, "counselling dev", dev, res)
    hard = [c for d, c in zip(dev, res, strict=True) if str(d["note"]).startswith("hard neg")]
    rate = sum(bool(c.labels) for c in hard) / max(1, len(hard))
    rows.append(("counselling dev hard negatives flagged", f"{rate:.1%}", "<= 5%", f"n={len(hard)}"))

    demo_path = ROOT / "monitor" / "demo" / "comments.jsonl"
    demo = [json.loads(line) for line in demo_path.read_text(encoding="utf-8").splitlines() if line]
    demo = [d for d in demo if "labels" in d]
    # as the demo runs it: the classifier knows the demo organisation's name (pipeline.build_context)
    from monitor.config import load_demo

    demo_clf: Any = load(args.classifier, organisation=load_demo().organisation, **options)
    label_rows(rows, "demo set", demo, run(demo_clf, [item(d) for d in demo]))

    for name in ("dev6a", "dev6b"):  # the writers' dev sets of this round, where present
        path = args.writers / f"{name}.jsonl"
        if path.is_file():
            dev6 = [
                json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
            ]
            res6 = run(clf, [item(d) for d in dev6])
            label_rows(rows, f"writers {name}", dev6, res6)
            negs6 = [c for d, c in zip(dev6, res6, strict=True) if not d["labels"]]
            rows.append(
                (
                    f"writers {name}: unlabelled flagged",
                    f"{sum(bool(c.labels) for c in negs6) / max(1, len(negs6)):.1%}",
                    "<= 5%",
                    f"n={len(negs6)}",
                )
            )

    held = [r for r in written_rows() if r["_held_out"]]
    res = run(clf, [item(r) for r in held])
    stats_path = ROOT / "classifiers" / "models" / "risk_stats.json"
    in_sample = stats_path.is_file() and json.loads(stats_path.read_text(encoding="utf-8")).get(
        "held_out_included"
    )
    prefix = "held-out written (heads trained on them)" if in_sample else "held-out written"
    label_rows(rows, prefix, held, res)
    negs = [c for r, c in zip(held, res, strict=True) if not r["labels"]]
    rows.append(
        (
            "held-out written: unlabelled flagged",
            f"{sum(bool(c.labels) for c in negs) / max(1, len(negs)):.1%}",
            "<= 5%",
            f"n={len(negs)}",
        )
    )

    if not args.no_speed:
        with tempfile.TemporaryDirectory(prefix="bench-cache-") as tmp:
            cold = speed(args.classifier, args.data, Path(tmp))  # compiles the prefilter
            sp = speed(args.classifier, args.data, Path(tmp))
            first = speed(args.classifier, args.data, Path(tmp), encoder=False)
            plain = speed(args.classifier, args.data, Path(tmp), prefilter=False)
        enc = "with encoder" if sp["encoder"] else "encoder not installed"
        rows.append(
            ("speed (one core)", f"{sp['items_per_s']:,.0f} items/s", ">= 1,000", f"batches of 500, {enc}")
        )
        rows.append(("speed, first stage only", f"{first['items_per_s']:,.0f} items/s", "", "no encoder"))
        rows.append(("speed without Hyperscan", f"{plain['items_per_s']:,.0f} items/s", "", "re gates only"))
        rows.append(("load time", f"{sp['load_s']:.2f} s", "<= 2 s", f"fresh process, incl. imports, {enc}"))
        rows.append(("load time, first stage only", f"{first['load_s']:.2f} s", "<= 2 s", "no encoder"))
        rows.append(
            (
                "load time, first start",
                f"{cold['load_s']:.2f} s",
                "(once)",
                "compiles and caches the prefilter",
            )
        )
        rows.append(("peak RSS", f"{sp['peak_rss_mb']:.0f} MB", "<= 300 MB", f"fresh process, {enc}"))
        rows.append(
            ("peak RSS, first stage only", f"{first['peak_rss_mb']:.0f} MB", "<= 300 MB", "no encoder")
        )

    width = max(len(r[0]) for r in rows)
    print(f"{'metric':<{width}}  {'value':<28}  {'target':<18}  note")
    print("-" * (width + 62))
    for name, value, target, note in rows:
        print(f"{name:<{width}}  {value:<28}  {target:<18}  {note}")

    if args.families:
        print(
            "\nheld-out written corpora by family (30% of the corpora of the last two rounds, never trained on)"
        )
        fams: dict[tuple[str, str], list[tuple[dict[str, Any], Any]]] = collections.defaultdict(list)
        for r, c in zip(held, res, strict=True):
            fams[(str(r["_source"])[8:-6], str(r.get("family")))].append((r, c))
        for (src, fam), pairs in sorted(fams.items()):
            parts = []
            for label in LABELS:
                g = [label in r["labels"] for r, _ in pairs]
                p = [label in c.labels for _, c in pairs]
                tp = sum(a and b for a, b in zip(g, p, strict=True))
                fp = sum(b and not a for a, b in zip(g, p, strict=True))
                if any(g):
                    parts.append(f"{label} {tp}/{sum(g)}" + (f" (+{fp} false)" if fp else ""))
                elif fp:
                    parts.append(f"{label} +{fp} false")
            print(f"  {src:10} {fam:17} n={len(pairs):3}  " + "; ".join(parts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
