"""Dump the labels a classifier gives a fixed set of texts, and diff two dumps.

    python bench/compare_classifiers.py dump --rev HEAD --out /tmp/before.jsonl
    python bench/compare_classifiers.py dump --out /tmp/after.jsonl          # the work tree
    python bench/compare_classifiers.py diff /tmp/before.jsonl /tmp/after.jsonl [--markdown]

The fixed set (10,190 texts): every validation split in ``--data`` (TweetEval offensive, hate
and sentiment, airline), the first 4,000 airline train tweets (more ordinary posts addressed to an
account), the counselling dev set and the bundled demo comments.

``--rev`` exports that git revision with ``git archive`` into a temporary folder and runs
its classifier there with this interpreter (nothing in the work tree or its branches changes).
``diff`` groups the changed classifications by the label gained or lost and, for the new side,
by the first reason given, with counts and examples.
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BATCH = 500


def texts(data: Path) -> list[dict[str, object]]:
    """The fixed comparison set: {"key", "text", "platform", "kind", "author_is_org"}."""
    out: list[dict[str, object]] = []

    def add(key: str, text: str, **ctx: object) -> None:
        out.append({"key": key, "text": text, **ctx})

    for task in ("offensive", "hate", "sentiment"):
        path = data / "tweeteval" / task / "val_text.txt"
        for i, t in enumerate(path.read_text(encoding="utf-8").splitlines()):
            add(f"tweeteval-{task}-val-{i}", t)
    with (data / "airline-complaints" / "val.csv").open(encoding="utf-8") as fh:
        for i, r in enumerate(csv.DictReader(fh)):
            add(f"airline-val-{i}", r["text"], platform="x", kind="mention")
    with (data / "airline-complaints" / "train.csv").open(encoding="utf-8") as fh:
        for i, r in enumerate(csv.DictReader(fh)):
            if i >= 4000:
                break
            add(f"airline-train-{i}", r["text"], platform="x", kind="mention")
    for path in (data / "counselling-comments" / "dev.jsonl", ROOT / "monitor" / "demo" / "comments.jsonl"):
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            if line.strip():
                d = json.loads(line)
                add(
                    f"{path.parent.name}-{d.get('id', i)}",
                    str(d["text"]),
                    platform=d.get("platform"),
                    kind=d.get("kind"),
                    author_is_org=bool(d.get("author_is_org")),
                )
    return out


_RUNNER = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from classifiers.base import load
from monitor.types import TextInput
rows = [json.loads(line) for line in open(sys.argv[2], encoding="utf-8")]
clf = load("default")
with open(sys.argv[3], "w", encoding="utf-8") as out:
    for lo in range(0, len(rows), 500):
        chunk = rows[lo:lo + 500]
        res = clf.classify([TextInput(str(r["text"]), r.get("platform"), r.get("kind"),
                                      bool(r.get("author_is_org"))) for r in chunk])
        for r, c in zip(chunk, res):
            out.write(json.dumps({"key": r["key"], "text": r["text"], "labels": sorted(c.labels),
                                  "reasons": {k: list(v) for k, v in c.reasons.items()}},
                                 ensure_ascii=False) + "\n")
"""


def source_tree(rev: str | None, tmp: Path) -> Path:
    """This work tree, or revision `rev` exported into `tmp/src` (`git archive`)."""
    if not rev:
        return ROOT
    src = tmp / "src"
    src.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive.stdout, check=True)
    return src


def dump(rev: str | None, data: Path, out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="compare-") as tmp:
        src = source_tree(rev, Path(tmp))
        inputs = Path(tmp) / "inputs.jsonl"
        inputs.write_text("".join(json.dumps(t, ensure_ascii=False) + "\n" for t in texts(data)), "utf-8")
        subprocess.run([sys.executable, "-c", _RUNNER, str(src), str(inputs), str(out)], check=True, cwd=src)


def diff(before: Path, after: Path, markdown: bool) -> None:
    a = {r["key"]: r for r in map(json.loads, before.read_text(encoding="utf-8").splitlines())}
    b = {r["key"]: r for r in map(json.loads, after.read_text(encoding="utf-8").splitlines())}
    groups: dict[tuple[str, str], list[tuple[str, str]]] = collections.defaultdict(list)
    changed = 0
    for key, new in b.items():
        old = a.get(key)
        if old is None or old["labels"] == new["labels"]:
            continue
        changed += 1
        for label in sorted(set(new["labels"]) - set(old["labels"])):
            why = (new["reasons"].get(label) or ["?"])[0]
            groups[(f"+{label}", _family(why))].append((key, new["text"]))
        for label in sorted(set(old["labels"]) - set(new["labels"])):
            why = (old["reasons"].get(label) or ["?"])[0]
            groups[(f"-{label}", "was: " + _family(why))].append((key, new["text"]))
    print(f"{changed} of {len(b)} texts changed labels\n")
    for (label, why), items in sorted(groups.items(), key=lambda kv: (kv[0][0], -len(kv[1]))):
        sources = collections.Counter(k.rsplit("-", 1)[0] for k, _ in items)
        head = f"{label} ({why}): {len(items)}  [{', '.join(f'{s} {n}' for s, n in sources.most_common())}]"
        print(("- " if markdown else "") + head)
        for _, text in items[:3]:
            print(
                ("    - " if markdown else "    ")
                + json.dumps(" ".join(text.split())[:140], ensure_ascii=False)
            )


def _family(reason: str) -> str:
    """A reason without its quoted evidence or score digits, so that reasons group."""
    import re

    reason = re.sub(r'"[^"]*"', '"…"', reason)
    return re.sub(r"\d+\.\d+", "N", reason)[:90]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--rev", default=None, help="git revision (default: the work tree)")
    d.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    d.add_argument("--out", type=Path, required=True)
    f = sub.add_parser("diff")
    f.add_argument("before", type=Path)
    f.add_argument("after", type=Path)
    f.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    if args.cmd == "dump":
        dump(args.rev, args.data, args.out)
    else:
        diff(args.before, args.after, args.markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
