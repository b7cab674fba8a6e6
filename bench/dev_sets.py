"""Per-family recall and precision on the tuning sets, at any git revision, with or without the encoder.

    python bench/dev_sets.py dump --out /tmp/now.jsonl                      # the work tree, encoder as installed
    python bench/dev_sets.py dump --out /tmp/first.jsonl --no-encoder       # the first stage alone
    python bench/dev_sets.py dump --rev efd79f0 --out /tmp/before.jsonl      # an older revision
    python bench/dev_sets.py table /tmp/before.jsonl /tmp/first.jsonl /tmp/now.jsonl [--markdown]
    python bench/dev_sets.py misses /tmp/now.jsonl --label risk_to_life [--set dev6a]

The sets (none of them blind, none a held-back test split): the held-out 30% of this round's
written corpora (``classifiers.train_risk.held_out``, never trained on), the writers' dev sets
``dev6a.jsonl`` and ``dev6b.jsonl`` in ``--writers`` (when present), the counselling dev split,
and the ordinary posts of ``bench/classifiers.py`` (positive and neutral TweetEval sentiment and
airline validation tweets). ``--rev`` runs that revision's classifier from a ``git archive``
export with this interpreter; the rows are always chosen by the work tree's code, so every
revision is scored on the same texts.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.classifiers import ordinary  # noqa: E402
from bench.compare_classifiers import source_tree  # noqa: E402
from classifiers.train import read_counselling  # noqa: E402
from classifiers.train_risk import written_rows  # noqa: E402
from monitor.types import LABELS  # noqa: E402

URGENT = ("risk_to_life", "threat", "confidentiality_risk")
TABLE_LABELS = ("risk_to_life", "threat", "confidentiality_risk", "negative_publicity", "engagement")


def rows(data: Path, writers: Path) -> list[dict[str, Any]]:
    """Every scored row: {"key", "set", "family", "text", context…, "gold"} (gold None for ordinary posts)."""
    out: list[dict[str, Any]] = []

    def add(set_: str, key: str, d: dict[str, Any], family: str, gold: list[str] | None) -> None:
        out.append(
            {
                "key": f"{set_}:{key}",
                "set": set_,
                "family": family,
                "text": str(d["text"]),
                "platform": d.get("platform"),
                "kind": d.get("kind"),
                "author_is_org": bool(d.get("author_is_org")),
                "gold": gold,
            }
        )

    for r in written_rows():
        if r["_held_out"]:
            add("held-out", str(r["id"]), r, str(r.get("family") or "-"), list(r["labels"]))  # type: ignore[call-overload]
    for name in ("dev6a", "dev6b"):
        path = writers / f"{name}.jsonl"
        if path.is_file():
            for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
                if line.strip():
                    d = json.loads(line)
                    fam = str(d.get("family") or "-")
                    fam = "-" if fam.startswith("thread") else fam  # dev6b: whole threads, not families
                    add(name, str(d.get("id", i)), d, fam, list(d.get("labels") or []))
    for d in read_counselling(data):
        add("dev", str(d["id"]), d, "-", list(d["labels"]))
    for name, texts in ordinary(data).items():
        ctx = {"platform": "x", "kind": "mention"} if name.startswith("airline") else {}
        set_ = "ordinary-airline" if name.startswith("airline") else "ordinary-tweets"
        for i, t in enumerate(texts):
            add(set_, str(i), {"text": t, **ctx}, "-", None)
    return out


_RUNNER = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from classifiers.base import load
from monitor.types import TextInput
rows = [json.loads(line) for line in open(sys.argv[2], encoding="utf-8")]
clf = load("default", **json.loads(sys.argv[4]))
with open(sys.argv[3], "w", encoding="utf-8") as out:
    for lo in range(0, len(rows), 500):
        chunk = rows[lo:lo + 500]
        res = clf.classify([TextInput(r["text"], r["platform"], r["kind"], r["author_is_org"]) for r in chunk])
        for r, c in zip(chunk, res):
            r = dict(r, labels=sorted(c.labels), reasons={k: list(v) for k, v in c.reasons.items()},
                     scores={k: c.scores[k] for k in c.scores})
            out.write(json.dumps(r, ensure_ascii=False) + "\n")
"""


def dump(rev: str | None, data: Path, writers: Path, out: Path, encoder: bool | None) -> None:
    with tempfile.TemporaryDirectory(prefix="dev-sets-") as tmp:
        src = source_tree(rev, Path(tmp))
        inputs = Path(tmp) / "inputs.jsonl"
        inputs.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows(data, writers)), "utf-8"
        )
        options = {} if encoder is None else {"encoder": encoder}
        subprocess.run(
            [sys.executable, "-c", _RUNNER, str(src), str(inputs), str(out), json.dumps(options)],
            check=True,
            cwd=src,
        )


def _load(path: Path) -> dict[str, dict[str, Any]]:
    return {r["key"]: r for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())}


def _pr(pairs: list[dict[str, Any]], label: str) -> str:
    tp = sum(label in r["gold"] and label in r["labels"] for r in pairs)
    fp = sum(label not in r["gold"] and label in r["labels"] for r in pairs)
    gold = sum(label in r["gold"] for r in pairs)
    if not gold:
        return f"+{fp}" if fp else ""
    p = f"{tp / (tp + fp):.2f}" if tp + fp else "-"
    return f"{p}/{tp / gold:.2f}"


def table(paths: list[Path], markdown: bool) -> None:
    runs = [_load(p) for p in paths]
    names = [p.stem for p in paths]
    keys = [k for k in runs[0] if all(k in r for r in runs)]
    sets = list(dict.fromkeys(runs[0][k]["set"] for k in keys))
    sep = " | " if markdown else "  "

    def line(cells: list[str]) -> str:
        return ("| " + sep.join(cells) + " |") if markdown else sep.join(f"{c:<22}" for c in cells)

    print(line(["set / label (P/R)", *names]))
    if markdown:
        print("|" + "---|" * (len(names) + 1))
    for s in sets:
        ks = [k for k in keys if runs[0][k]["set"] == s]
        if runs[0][ks[0]]["gold"] is None:
            for what, sel in (("urgent per 1,000", URGENT), ("any label", LABELS)):
                cells = []
                for run in runs:
                    n = sum(bool(set(run[k]["labels"]) & set(sel)) for k in ks)
                    cells.append(
                        f"{1000 * n / len(ks):.1f} ({n})"
                        if what.startswith("urgent")
                        else f"{n / len(ks):.1%}"
                    )
                print(line([f"{s} {what} (n={len(ks)})", *cells]))
            continue
        for label in TABLE_LABELS:
            cells = [_pr([run[k] for k in ks], label) for run in runs]
            if any(cells):
                print(line([f"{s} {label}", *cells]))
        negs = [k for k in ks if not runs[0][k]["gold"]]
        cells = [f"{sum(bool(run[k]['labels']) for k in negs)}/{len(negs)}" for run in runs]
        print(line([f"{s} unlabelled flagged", *cells]))
        fams = sorted({runs[0][k]["family"] for k in ks} - {"-"})
        for fam in fams:
            fk = [k for k in ks if runs[0][k]["family"] == fam]
            for label in TABLE_LABELS:
                g = [k for k in fk if label in runs[0][k]["gold"]]
                fp = [
                    [k for k in fk if label in run[k]["labels"] and label not in run[k]["gold"]]
                    for run in runs
                ]
                if not g and not (label in URGENT and any(fp)):
                    continue
                cells = []
                for run, f in zip(runs, fp, strict=True):
                    cell = f"{sum(label in run[k]['labels'] for k in g)}/{len(g)}" if g else ""
                    cells.append((cell + (f" +{len(f)} false" if f else "")).strip())
                print(line([f"  {s} {fam} {label}", *cells]))
            if not any(runs[0][k]["gold"] for k in fk):
                cells = [f"{sum(bool(run[k]['labels']) for k in fk)}/{len(fk)} any label" for run in runs]
                print(line([f"  {s} {fam}", *cells]))


def misses(path: Path, label: str, set_: str | None, false: bool) -> None:
    for r in _load(path).values():
        if r["gold"] is None and not false:
            continue
        if set_ and r["set"] != set_:
            continue
        gold = label in (r["gold"] or [])
        if (gold and label not in r["labels"] and not false) or (false and not gold and label in r["labels"]):
            why = r["reasons"].get(label, [])
            print(
                f"{r['key']:28} {r['family']:18} {r['scores'][label]:.2f} {json.dumps(r['text'][:220], ensure_ascii=False)} {why}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--rev", default=None)
    d.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    d.add_argument("--writers", type=Path, default=Path("/work/writers"))
    d.add_argument("--out", type=Path, required=True)
    d.add_argument("--no-encoder", action="store_true")
    t = sub.add_parser("table")
    t.add_argument("dumps", type=Path, nargs="+")
    t.add_argument("--markdown", action="store_true")
    m = sub.add_parser("misses")
    m.add_argument("dump", type=Path)
    m.add_argument("--label", required=True)
    m.add_argument("--set", default=None)
    m.add_argument("--false", action="store_true", help="false flags instead of misses")
    args = parser.parse_args()
    if args.cmd == "dump":
        dump(args.rev, args.data, args.writers, args.out, False if args.no_encoder else None)
    elif args.cmd == "table":
        table(args.dumps, args.markdown)
    else:
        misses(args.dump, args.label, args.set, args.false)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
