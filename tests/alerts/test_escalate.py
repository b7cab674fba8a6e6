"""Escalation with a fake clock: unacknowledged urgent alerts are re-sent, also to the deputies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

from alerts import escalate, outbox
from monitor.store import Store
from monitor.store import alerts as store_alerts
from monitor.store.schema import AlertRow
from tests.alerts.helpers import add_item, decide
from tests.conftest import FakeClock, make_config


class Recorder:
    description = "recorder"

    def __init__(self) -> None:
        self.sent: list[tuple[EmailMessage, tuple[str, ...]]] = []

    def send(self, message: EmailMessage, *, sender: str, recipients: Sequence[str], name: str) -> None:
        self.sent.append((message, tuple(recipients)))


def the_alert(store: Store) -> AlertRow:
    with store.transaction() as session:
        [row] = store_alerts.listing(session, kinds=("alert",))
        return row


def run(store: Store, config: object, now: datetime, transport: Recorder) -> int:
    escalated = escalate.check(store, config, now)  # type: ignore[arg-type]
    outbox.deliver_due(store, config, now, transport=transport)  # type: ignore[arg-type]
    return escalated


def test_unacknowledged_urgent_alert_is_resent_to_deputies(
    store: Store, tmp_path: Path, clock: FakeClock
) -> None:
    config = make_config(tmp_path, 'deputies = ["deputy@example.org"]\nmax_escalations = 2\n')
    decide(store, config, add_item(store, "c1", "I will hurt you", now=clock.now), ["threat"], clock.now)
    mail = Recorder()
    assert run(store, config, clock.now, mail) == 0
    original, to_md = mail.sent[0]
    assert to_md == ("md@example.org",)
    assert run(store, config, clock.advance(minutes=119), mail) == 0
    assert run(store, config, clock.advance(minutes=1), mail) == 1
    again, recipients = mail.sent[1]
    assert recipients == ("md@example.org", "deputy@example.org")
    assert again["Cc"] == "deputy@example.org"
    assert again["Subject"].startswith("[URGENT, NOT ACKNOWLEDGED] Threat")
    assert again["Message-ID"] != original["Message-ID"]
    assert again["In-Reply-To"] == original["Message-ID"]
    assert "Not yet acknowledged" in again.get_body(("html",)).get_content()  # type: ignore[union-attr]
    row = the_alert(store)
    assert (row.state, row.escalations, row.last_escalated_at) == ("sent", 1, clock.now)
    assert run(store, config, clock.advance(minutes=120), mail) == 1
    assert run(store, config, clock.advance(minutes=120), mail) == 0  # max_escalations = 2
    assert len(mail.sent) == 3


def test_acknowledged_alerts_are_not_escalated(store: Store, tmp_path: Path, clock: FakeClock) -> None:
    config = make_config(tmp_path)
    decide(store, config, add_item(store, "c1", now=clock.now), ["risk_to_life"], clock.now)
    mail = Recorder()
    run(store, config, clock.now, mail)
    with store.transaction() as session:
        row = store_alerts.get(session, the_alert(store).id)
        assert row is not None
        store_alerts.acknowledge(session, row, clock.advance(minutes=30), "md", "replied with signposting")
    assert run(store, config, clock.advance(hours=5), mail) == 0
    assert len(mail.sent) == 1
    with store.transaction() as session:
        events = [(e.actor, e.action, e.note) for e in store_alerts.events_of(session, row.id)]
    assert ("md", "acknowledged", "replied with signposting") in events


def test_high_alerts_are_never_escalated(store: Store, tmp_path: Path, clock: FakeClock) -> None:
    config = make_config(tmp_path)
    decide(store, config, add_item(store, "c1", now=clock.now), ["harassment"], clock.now)
    mail = Recorder()
    run(store, config, clock.advance(minutes=5), mail)
    assert run(store, config, clock.advance(hours=6), mail) == 0
    assert len(mail.sent) == 1
