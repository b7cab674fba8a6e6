"""Replay N generated items through `scan` with the default classifier into SQLite.

Prints items/s and peak RSS, and RSS sampled as the run goes, to show memory stays flat
(items are streamed in pages and classified in batches).

    .venv/bin/python bench/pipeline.py [--items 100000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

# bench/classifiers.py would shadow the `classifiers` package: import from the project instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from monitor import config as config_mod  # noqa: E402
from monitor import pipeline  # noqa: E402
from monitor.store import open_store  # noqa: E402

# (text, weight): mostly ordinary chatter, as on a real charity's accounts.
PHRASES = [
    ("Thanks so much for the workshop on Saturday, really helped", 30),
    ("Lovely to see the hub open again 😊", 30),
    ("This bus is killing me, late again", 10),
    ("Great turnout at the coffee morning today", 12),
    ("How do I book a first appointment? Is there a waiting list?", 6),
    ("Is the building wheelchair accessible?", 3),
    ("Been on your waiting list for 5 months and nobody calls back. Disgraceful.", 3),
    ("you lot are a bunch of useless idiots", 2),
    ("I can't do this anymore, saying goodbye to everyone", 1),
    ("Saw Tom from work going into the counselling rooms on Tuesday", 1),
    ("WIN a free iPhone!!! click the link in bio 💸", 2),
]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def generate(path: Path, n: int) -> None:
    start = datetime(2026, 9, 1, tzinfo=UTC)
    rnd = random.Random(7)
    texts, weights = [t for t, _ in PHRASES], [w for _, w in PHRASES]
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            text = f"{rnd.choices(texts, weights)[0]} #{i}"
            record = {
                "external_id": f"bench_{i}",
                "platform": rnd.choice(["facebook", "instagram", "x", "bluesky"]),
                "kind": "comment",
                "text": text,
                "created_at": (start + timedelta(seconds=30 * i)).isoformat(),
                "post_id": f"post_{i // 50}",
                "author_handle": f"user{rnd.randrange(5000)}",
            }
            out.write(json.dumps(record) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="monitor-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    export = work / "items.jsonl"
    generate(export, args.items)
    (work / "monitor.toml").write_text(
        '[monitor]\nstate_dir = "state"\n[alerts]\nrecipients = ["md@example.org"]\n'
        '[[accounts]]\nname = "bench"\nplatform = "replay"\naccount_id = "bench"\npath = "items.jsonl"\n'
    )
    config = config_mod.load(work / "monitor.toml", environ={})
    store = open_store(config.database_url)
    ctx = pipeline.build_context(config, store)
    samples: list[tuple[int, float]] = []

    def progress(_account: str, count: int) -> None:
        if not samples or count - samples[-1][0] >= args.items // 10:
            samples.append((count, rss_mb()))

    base = rss_mb()
    t0 = time.perf_counter()
    report = pipeline.scan(ctx, progress=progress)
    elapsed = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    store.close()
    print(f"items fetched        {report.items_fetched:>10,}")
    print(f"items classified     {report.items_classified:>10,}")
    print(f"findings             {sum(report.findings.values()):>10,}  {dict(report.findings)}")
    print(f"alerts queued        {report.alerts_queued:>10,}")
    print(f"elapsed              {elapsed:>10.1f} s")
    print(
        f"throughput           {report.items_fetched / elapsed:>10,.0f} items/s (fetch+store+classify+decide+deliver)"
    )
    print(f"RSS before scan      {base:>10.0f} MB")
    print(f"peak RSS             {peak:>10.0f} MB")
    print("RSS while fetching   " + ", ".join(f"{n // 1000}k:{mb:.0f}MB" for n, mb in samples))
    print(f"work directory       {work}")


if __name__ == "__main__":
    main()
