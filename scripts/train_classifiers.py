"""Train the default classifier's models: ``python scripts/train_classifiers.py [--data PATH] [--extra FILE]…``.

``--extra FILE`` (repeatable) adds labelled JSONL in the shape of ``classifiers/data/written_*.jsonl``
(e.g. ``monitor feedback export --output feedback.jsonl``: the false alarms your MD marked) to the
written comments the learned signals are trained on. ``--help`` lists every option.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from classifiers.train import main

if __name__ == "__main__":
    raise SystemExit(main())
