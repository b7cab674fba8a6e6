"""Train the default classifier's models: ``python scripts/train_classifiers.py [--data PATH] [--extra FILE]…``.

``--extra FILE`` (repeatable) adds labelled JSONL in the shape of ``classifiers/data/written_*.jsonl``
(e.g. ``monitor feedback export --output feedback.jsonl``: the false alarms your MD marked) to the
written comments the learned signals are trained on.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from classifiers.train import main

REQUIRED = ("id", "text", "labels")


def extras(argv: list[str]) -> tuple[list[Path], list[str]]:
    """Split off the --extra files (checked here: every line needs id, text and a labels list)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--extra", action="append", type=Path, default=[])
    known, rest = parser.parse_known_args(argv)
    for path in known.extra:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            row = json.loads(line)
            if not all(key in row for key in REQUIRED) or not isinstance(row["labels"], list):
                raise SystemExit(f"{path}:{number}: needs {', '.join(REQUIRED)} (labels a list)")
    return known.extra, rest


if __name__ == "__main__":
    files, rest = extras(sys.argv[1:])
    if files:
        # Kept to this script while the classifiers are being rewritten: the extra files join
        # the written sets that classifiers/train_risk.py reads (one tuple, read at training time).
        import classifiers.train_risk as train_risk

        train_risk.WRITTEN = (*train_risk.WRITTEN, *(p.resolve() for p in files))
    raise SystemExit(main(rest))
