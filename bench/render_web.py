"""Screenshot the web inbox at a phone's and a laptop's width, over the bundled demo data.

    .venv/bin/python bench/render_web.py [--out out/screenshots] [--widths 390 1280]

Loads the demo into a throwaway state directory, serves the web inbox with waitress on a free
loopback port, signs in as the demo MD and drives Debian's Chromium (Playwright,
`executable_path=/usr/bin/chromium`) through the pages: sign-in, alerts, one alert, the
confirm page behind an email's button, a draft check, connections, digests. Writes
<out>/<page>-<width>.png (full pages). Look at them: labels, focus, contrast, nothing cut off.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import re
import socket
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

# bench/ holds other scripts (e.g. bench/classifiers.py) that would shadow the packages.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from monitor import config as config_mod  # noqa: E402
from monitor import pipeline  # noqa: E402
from monitor.store import open_store  # noqa: E402
from monitor.store import web as store_web  # noqa: E402
from monitor.web import SIGNIN_TTL, create_app, server  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
DRAFT = (
    "So proud of Tom Baker from our Tuesday group, sober 6 months after his wife left. "
    "Ring him on 07700 900123 to hear his story!"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "screenshots")
    parser.add_argument("--widths", type=int, nargs="+", default=[390, 1280])
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as state:
        config = config_mod.load_demo(Path(state))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        store = open_store(config.database_url)
        ctx = pipeline.build_context(config, store)
        pipeline.scan(ctx, since=datetime.now(UTC) - timedelta(days=60), deliver=True, one_shot=True)
        running = server.start(create_app(config, store, base_url=base), f"127.0.0.1:{port}")
        button = _button(Path(state))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
                for width in args.widths:
                    page = browser.new_page(viewport={"width": width, "height": 900 if width > 600 else 844})
                    shot = lambda name, w=width, p=page: p.screenshot(  # noqa: E731
                        path=str(args.out / f"{name}-{w}.png"), full_page=True
                    )
                    page.goto(f"{base}/signin")
                    shot("signin")
                    if button:
                        page.goto(button.replace("http://127.0.0.1:8080", base))
                        shot("confirm")
                    with store.transaction() as session:
                        token = store_web.mint_signin(
                            session, "md@elmfield.example", datetime.now(UTC), SIGNIN_TTL
                        )
                    page.goto(f"{base}/s/{token}")
                    page.get_by_role("button", name="Sign in").click()
                    page.wait_for_load_state()
                    shot("alerts")
                    page.locator(".cardlink").first.click()
                    page.wait_for_load_state()
                    shot("alert")
                    page.goto(f"{base}/check")
                    page.get_by_label("Your draft").fill(DRAFT)
                    page.get_by_role("button", name="Check it").click()
                    page.wait_for_load_state()
                    shot("check")
                    page.goto(f"{base}/connections")
                    shot("connections")
                    page.goto(f"{base}/erasure")
                    shot("erasure")
                    page.close()
                browser.close()
        finally:
            running.stop()
            store.close()
    for path in sorted(args.out.glob("*.png")):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


def _button(state: Path) -> str | None:
    """The "I'm dealing with it" link of the first urgent demo alert, as its email has it."""
    for path in sorted((state / "outbox").glob("*-urgent-*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        found = re.search(r"(http://127\.0\.0\.1:8080/a/\d+/ack\?t=[0-9a-f]+)", text)
        if found:
            return found.group(1)
    return None


if __name__ == "__main__":
    raise SystemExit(main())
