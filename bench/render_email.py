"""Render sample alert emails to HTML and screenshot them as a phone would show them.

    .venv/bin/python bench/render_email.py [--out out/email] [--width 420] [CATEGORY ...]

Writes <out>/<category>.html, .txt and .eml for each sample alert and, when Chromium is
installed (`apt-get install chromium`), <out>/<category>.png at a phone's width.
Look at the PNGs: the first screen must say what happened and the next three actions.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# bench/ holds other scripts (e.g. bench/classifiers.py) that would shadow the packages.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from alerts import guidance, render  # noqa: E402
from alerts.view import sample, sample_notice  # noqa: E402
from monitor.config import Config  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "email")
    parser.add_argument("--width", type=int, default=420)
    parser.add_argument("--height", type=int, default=1600)
    parser.add_argument("--escalated", action="store_true", help="render as a second, unacknowledged send")
    parser.add_argument(
        "categories",
        nargs="*",
        default=["risk_to_life", "threat", "staff_breach", "confidentiality_risk", "negative_publicity"],
    )
    args = parser.parse_args()
    config = Config(path=None, organisation="One Step Counselling and Therapies C.I.C")
    args.out.mkdir(parents=True, exist_ok=True)
    env = render.Envelope(
        sender="monitor@onestep.example", to=("md@onestep.example",), message_id="<sample@onestep.example>"
    )
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    for name in [*args.categories, "operator"]:
        if name == "operator":
            msg = render.render_notice(sample_notice(config), config, env)
        else:
            if name not in guidance.GUIDANCE:
                parser.error(f"unknown category {name!r} (one of {', '.join(guidance.GUIDANCE)})")
            severity = (
                "urgent"
                if name in ("risk_to_life", "threat", "confidentiality_risk", "staff_breach")
                else "high"
            )
            view = sample(name, severity, config, escalations=1 if args.escalated else 0)
            msg = render.render_alert(view, config, env)
        html_part, text_part = msg.get_body(("html",)), msg.get_body(("plain",))
        assert text_part is not None
        (args.out / f"{name}.eml").write_bytes(bytes(msg))
        (args.out / f"{name}.txt").write_text(text_part.get_content(), encoding="utf-8")
        print(f"{name}: {msg['Subject']}")
        if html_part is None:
            continue
        page = args.out / f"{name}.html"
        page.write_text(html_part.get_content(), encoding="utf-8")
        if chromium:
            shot = args.out / f"{name}.png"
            with tempfile.TemporaryDirectory() as profile:
                subprocess.run(
                    [
                        chromium,
                        "--headless",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                        "--no-first-run",
                        "--hide-scrollbars",
                        f"--user-data-dir={profile}",
                        f"--screenshot={shot}",
                        f"--window-size={args.width},{args.height}",
                        page.resolve().as_uri(),
                    ],
                    check=True,
                    capture_output=True,
                    timeout=120,
                )
            print(f"  {shot}")
    if not chromium:
        print("chromium not found: wrote HTML only", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
