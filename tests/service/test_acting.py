"""`monitor run` with `[imap]` and `[web] enabled`: the daemon reads replies and serves the web inbox."""

from __future__ import annotations

import email
import email.policy
import threading
import urllib.request
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from alerts import escalate, outbox
from alerts.smtp import FileTransport
from monitor.store import Store
from monitor.store import alerts as store_alerts
from tests.alerts import imapserver
from tests.alerts.helpers import add_item, decide
from tests.conftest import FakeClock, make_config
from tests.service.helpers import service


def test_the_daemon_applies_a_reply_and_serves_the_web_inbox(
    dovecot: Any, sqlite_store: Store, tmp_path: Path, clock: FakeClock
) -> None:
    port = imapserver.free_port()
    config = make_config(
        tmp_path,
        f"[imap]\nhost = '127.0.0.1'\nport = {dovecot.port}\nsecurity = 'none'\nallow_insecure = true\n"
        f"username = '{imapserver.USER}'\npassword = {{ env = 'P' }}\nreply_to = 'monitor@example.org'\n"
        f"poll_seconds = 5\n[web]\nenabled = true\nbind = '127.0.0.1:{port}'\n",
        environ={"P": imapserver.PASSWORD},
    )
    item = add_item(sqlite_store, "c1", "I will hurt you", now=clock.now)
    decide(sqlite_store, config, item, ["threat"], clock.now)
    outbox.deliver_due(sqlite_store, config, clock.now, transport=FileTransport(tmp_path / "sent"))
    sent = email.message_from_bytes(
        next((tmp_path / "sent").glob("*.eml")).read_bytes(), policy=email.policy.default
    )
    svc = service(config, sqlite_store, clock)
    acted = threading.Event()
    svc.deliver_job = acted.set  # type: ignore[method-assign]  # the reply reader asks for a delivery
    svc.start_extras()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/signin", timeout=10) as page:
            assert page.status == 200 and "Content-Security-Policy" in page.headers
        reply = EmailMessage()
        reply["From"], reply["To"], reply["Message-ID"] = "md@example.org", str(sent["Reply-To"]), "<d@x>"
        reply.set_content("On it")
        dovecot.deliver(bytes(reply))
        assert acted.wait(30), dovecot.log()
    finally:
        svc._stop.set()
        svc.stop_extras()
    with sqlite_store.transaction() as session:
        row = store_alerts.get(session, 1)
        assert row is not None and row.state == "acknowledged"
    clock.advance(minutes=config.alerts.escalate_after_minutes)
    assert escalate.check(sqlite_store, config, clock.now) == 0
