"""Render the digest for the bundled demo to HTML and screenshot it in headless Chromium.

    .venv/bin/python bench/render_digest.py [--out out/] [--week 2026-W47] [--empty]

Scans the demo (60 days) into a throwaway state directory, builds last week's digest,
writes digest.html (charts as data: URIs), digest.eml (the email) and digest.txt, then
takes a full-page screenshot digest.png with Chromium if it is installed
(`apt-get install -y chromium`). `--empty` renders a week with nothing in it instead.
Prints timings: gather, charts, render.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alerts import charts, digest, digest_render  # noqa: E402
from monitor import config as config_mod  # noqa: E402
from monitor import pipeline  # noqa: E402
from monitor.store import open_store  # noqa: E402


def screenshot(html: Path, png: Path, height: int) -> bool:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        print("no chromium found: skipping the screenshot (apt-get install -y chromium)")
        return False
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--screenshot={png}",
                f"--window-size=800,{height}",
                html.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "out")
    parser.add_argument("--week", help="ISO week (default: last complete week)")
    parser.add_argument("--empty", action="store_true", help="render an empty week")
    parser.add_argument("--height", type=int, default=3700)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="digest-demo-") as tmp:
        config = config_mod.load_demo(state_dir=Path(tmp))
        store = open_store(config.database_url)
        try:
            if not args.empty:
                started = time.perf_counter()
                report = pipeline.scan(
                    pipeline.build_context(config, store), since=pipeline.utcnow().replace(year=now.year - 1)
                )
                print(f"demo scan: {report.items_new} items in {time.perf_counter() - started:.1f}s")
            now = datetime.now(UTC)
            window = (
                digest.iso_week(args.week, config.tz)
                if args.week
                else digest.last_complete_week(config.tz, now)
            )
            t0 = time.perf_counter()
            data = digest.gather(store, config, window, now)
            t1 = time.perf_counter()
            drawn = charts.build(data)
            t2 = time.perf_counter()
            html = digest_render.render_html(data, config, drawn)
            t3 = time.perf_counter()
            message = digest_render.build_email(data, config)
        finally:
            store.close()
    name = "digest-empty" if args.empty else "digest"
    (args.out / f"{name}.html").write_text(html, encoding="utf-8")
    (args.out / f"{name}.eml").write_bytes(bytes(message))
    (args.out / f"{name}.txt").write_text(digest_render.render_text(data, config), encoding="utf-8")
    sizes = ", ".join(f"{c.name} {len(c.png) / 1024:.0f} KB" for c in drawn)
    print(
        f"{window.label} ({window.title}): {data.this.items_total} items, {data.this.flagged_items} flagged"
    )
    print(f"gather {t1 - t0:.2f}s, charts {t2 - t1:.2f}s ({sizes or 'none'}), render {t3 - t2:.3f}s")
    print(f"email {len(bytes(message)) / 1024:.0f} KB; wrote {args.out / name}.html/.eml/.txt")
    if screenshot(args.out / f"{name}.html", args.out / f"{name}.png", args.height):
        print(f"screenshot: {args.out / name}.png")


if __name__ == "__main__":
    main()
