"""The web inbox in a real browser: Debian's Chromium driven by Playwright, against the app
served by waitress on loopback (one browser for the whole session, a new context per test)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alerts import escalate
from monitor.store import Store, feedback
from monitor.store import alerts as store_alerts
from monitor.web import server
from tests.alerts.imapserver import free_port
from tests.conftest import FakeClock
from tests.web.conftest import PEOPLE, Site, build, people_config

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As the machine's notes require: no sandbox as root, and nothing that reaches the network.
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install chromium; .ci/run does it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the [test] extra")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


class Live:
    def __init__(self, site: Site, base: str, browser: Any) -> None:
        self.site, self.base = site, base
        self.context = browser.new_context(viewport={"width": 390, "height": 844})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def sign_in(self, role: str) -> None:
        page = self.page
        page.goto(f"{self.base}/signin")
        page.get_by_label("Your email address").fill(PEOPLE[role])
        page.get_by_role("button", name="Email me a sign-in link").click()
        page.get_by_role("heading", name="Check your email").wait_for()
        page.goto(self.site.mail.signin_links(PEOPLE[role])[-1])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()


@pytest.fixture
def live(browser: Any, tmp_path: Path, sqlite_store: Store, clock: FakeClock) -> Iterator[Live]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    site = build(tmp_path, sqlite_store, clock, people_config(tmp_path, base))
    running = server.start(site.app, f"127.0.0.1:{port}")
    shown = Live(site, base, browser)
    try:
        yield shown
    finally:
        shown.context.close()
        running.stop()
    assert shown.errors == []  # no CSP violations, no missing files


def state(site: Site, alert_id: int = 1) -> str:
    with site.store.transaction() as session:
        row = store_alerts.get(session, alert_id)
        return row.state if row else "missing"


def trail(site: Site, alert_id: int = 1) -> list[tuple[str, str | None]]:
    with site.store.transaction() as session:
        return [(e.action, e.note) for e in store_alerts.events_of(session, alert_id)]


def test_sign_in_by_link_opens_the_page_asked_for(live: Live) -> None:
    live.site.urgent_alert()
    page = live.page
    page.goto(f"{live.base}/alerts/1")
    assert page.url == f"{live.base}/signin"
    live.sign_in("md")
    assert page.url == f"{live.base}/alerts/1"
    assert page.get_by_role("heading", level=1).inner_text().endswith("Confidentiality risk")
    assert "[name]" in page.locator("blockquote").first.inner_text()


def test_acknowledge_from_the_email_button_and_escalation_stops(live: Live) -> None:
    site = live.site
    site.urgent_alert(1)
    site.urgent_alert(2)
    email = next(m for m in site.mail.messages() if m["Subject"] and "Confidentiality" in str(m["Subject"]))
    html = email.get_body(("html",)).get_content()  # type: ignore[union-attr]
    button = re.search(r'href="([^"]+/a/1/ack\?t=[0-9a-f]+)"[^>]*>I’m dealing with it', html)
    assert button, html
    page = live.page
    page.goto(button.group(1))  # tap 1: the button in the email, not signed in
    assert state(site) == "sent"
    page.get_by_role("button", name="Yes, I’m dealing with it").click()  # tap 2
    page.get_by_role("heading", name="Done: alert 1 is being dealt with").wait_for()
    assert state(site) == "acknowledged"
    site.clock.advance(minutes=site.config.alerts.escalate_after_minutes)
    assert escalate.check(site.store, site.config, site.clock.now) == 1  # only alert 2
    assert state(site, 2) == "pending"


def test_resolve_with_a_note(live: Live) -> None:
    live.site.urgent_alert()
    live.sign_in("deputy")
    page = live.page
    page.goto(f"{live.base}/alerts/1")
    page.get_by_label("What was done").fill("Hidden the comment and messaged the author privately.")
    page.get_by_role("button", name="Resolved").click()
    page.get_by_role("status").filter(has_text="Saved").wait_for()
    assert state(live.site) == "resolved"
    assert trail(live.site)[-1] == ("resolved", "Hidden the comment and messaged the author privately.")
    assert "messaged the author privately" in page.locator("table.trail").inner_text()


def test_mark_a_false_alarm(live: Live) -> None:
    live.site.urgent_alert(1, text="You absolute legend, I could kill for one of your cakes", label="threat")
    live.sign_in("md")
    page = live.page
    page.goto(f"{live.base}/alerts/1")
    page.get_by_text("Mark as false alarm", exact=True).first.click()
    page.get_by_role("checkbox", name="Threat").check()
    page.get_by_role("radio", name="A joke or banter, not meant that way").check()
    page.get_by_label("Note", exact=False).last.fill("A regular at the cake stall")
    page.get_by_role("button", name="Mark as false alarm").click()
    page.get_by_role("status").filter(has_text="Saved").wait_for()
    assert state(live.site) == "dismissed"
    with live.site.store.transaction() as session:
        [corrected] = feedback.corrected(session)
    assert (corrected.flagged, corrected.wrong, corrected.reasons) == (("threat",), ("threat",), ("banter",))
    live.site.clock.advance(minutes=live.site.config.alerts.escalate_after_minutes)
    assert escalate.check(live.site.store, live.site.config, live.site.clock.now) == 0


def test_check_a_draft_highlights_what_to_change(live: Live) -> None:
    live.sign_in("staff")
    page = live.page
    assert page.url == f"{live.base}/check"
    page.get_by_label("Your draft").fill(
        "So proud of Tom Baker from our Tuesday group, sober 6 months after his wife left. "
        "Ring him on 07700 900123!"
    )
    page.get_by_role("button", name="Check it").click()
    page.get_by_role("heading", name="This draft must change before it is posted").wait_for()
    marked = page.locator("mark").all_inner_texts()
    assert any("Tom Baker" in m for m in marked) and any("07700 900123" in m for m in marked)
    assert page.get_by_role("link", name="Alerts").count() == 0  # staff see no alerts


def test_keyboard_reaches_everything_in_order(live: Live) -> None:
    live.site.urgent_alert()
    live.sign_in("md")
    page = live.page
    page.goto(f"{live.base}/alerts")
    seen: list[str] = []
    while len(seen) < 20 and not (seen and "Confidentiality risk" in seen[-1]):
        page.keyboard.press("Tab")
        seen.append(page.evaluate("document.activeElement.textContent.trim().replace(/\\s+/g, ' ')"))
    assert seen[0] == "Skip to content"
    names = ["Alerts", "Check a draft", "Connections", "Digests", "Erasure request"]
    assert [s for s in seen if s in names] == names, seen
    assert seen[-1].startswith("urgent Confidentiality risk"), seen  # after the header, the first alert
    page.keyboard.press("Enter")  # the keyboard opens it
    page.wait_for_url(f"{live.base}/alerts/1")
    page.keyboard.press("Tab")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"  # focus visible
