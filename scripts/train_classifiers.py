"""Train the default classifier's models: ``python scripts/train_classifiers.py [--data PATH]``."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from classifiers.train import main

if __name__ == "__main__":
    raise SystemExit(main())
