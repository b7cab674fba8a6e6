"""Soak: kill -9 the daemon at random moments for many poll/alert cycles; print the figures.

    .venv/bin/python bench/soak.py [--iterations 40] [--per-iteration 25] [--database URL]

A real daemon process (tests/service/daemon_main.py) polls a replay platform that grows
between runs and delivers to a real aiosmtpd server on 127.0.0.1; each run is killed
with SIGKILL after a random 0.3–4 s; the last run is left to finish. Exit status 1 if
an item or an alert was lost, or a duplicate carried a Message-ID of its own.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.service import faults


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--iterations", type=int, default=40)
    parser.add_argument("--per-iteration", type=int, default=25)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database", help="e.g. postgresql+psycopg://postgres@127.0.0.1:5432/soak (default: SQLite)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="monitor-soak-") as folder:
        figures = faults.run(
            Path(folder),
            iterations=args.iterations,
            per_iteration=args.per_iteration,
            seed=args.seed,
            database=args.database,
            settle_timeout=300,
        )
    for key, value in figures.__dict__.items():
        print(f"{key:>22}: {value}")
    bad = figures.items_lost or figures.alerts_lost or figures.foreign_message_ids
    bad = bad or figures.duplicates > figures.kills
    print(
        "RESULT:",
        "FAIL" if bad else "ok (no item lost, no alert lost, duplicates only as same-Message-ID resends)",
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
