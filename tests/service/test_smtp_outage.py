"""SMTP down for hours (fake clock) under the daemon's delivery job, then back: nothing lost."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from monitor import config as config_mod
from monitor.cli import cli
from monitor.service import Service
from monitor.store import alerts as store_alerts
from monitor.store import open_store
from monitor.store.schema import AlertRow
from tests.conftest import FakeClock
from tests.service.faults import Inbox
from tests.service.helpers import record, service

TEXTS = ("I will hurt you", "I want to end it all", "I will hurt you badly", "end it all tonight", "hurt you")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def setup(tmp_path: Path, clock: FakeClock) -> Iterator[tuple[Service, int]]:
    port = free_port()
    (tmp_path / "export.jsonl").write_text(
        "".join(f"{record(n, text, handle=f'@p{n}')}\n" for n, text in enumerate(TEXTS, start=1)),
        encoding="utf-8",
    )
    text = f"""[monitor]
state_dir = "state"

[alerts]
recipients = ["md@example.org"]
operator = ["ops@example.org"]
sender = "monitor@example.org"
escalate_after_minutes = 0

[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
allow_insecure = true
timeout_seconds = 2

[[accounts]]
name = "fb"
platform = "replay"
account_id = "fb"
path = "export.jsonl"
"""
    (tmp_path / "monitor.toml").write_text(text, encoding="utf-8")
    config = config_mod.load(tmp_path / "monitor.toml", environ={})
    store = open_store(config.database_url)  # the database `monitor status` reads too
    svc = service(config, store, clock)
    yield svc, port
    store.close()


def run_for(svc: Service, clock: FakeClock, hours: float) -> None:
    for _ in range(int(hours * 12)):  # the delivery job, every 5 fake minutes
        clock.advance(minutes=5)
        svc.deliver_job()


def smtp(port: int, inbox: Inbox) -> Any:
    from aiosmtpd.controller import Controller

    controller = Controller(inbox, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    return controller


def test_every_alert_is_delivered_after_hours_of_smtp_outage(
    setup: tuple[Service, int], clock: FakeClock
) -> None:
    svc, port = setup
    svc.poll_job("fb")  # five urgent alerts, SMTP unreachable
    run_for(svc, clock, 6)
    with svc.store.transaction() as s:
        rows = s.scalars(select(AlertRow).order_by(AlertRow.id)).all()
    assert [r.state for r in rows] == ["pending"] * 5
    # Urgent alerts retry every 5-10 min (backoff capped for urgency): kept trying, never hammered.
    # Only the head of the queue knocks on the closed door; the others wait behind it, in order.
    assert 6 * 6 - 2 <= rows[0].attempts <= 6 * 12, rows[0].attempts
    assert [r.attempts for r in rows[1:]] == [0, 0, 0, 0]
    assert len({r.next_attempt_at for r in rows}) == 1, "the queue resumes together"

    inbox = Inbox(delay=0)
    controller = smtp(port, inbox)
    try:
        run_for(svc, clock, 0.5)
    finally:
        controller.stop()
    with svc.store.transaction() as s:
        rows = s.scalars(select(AlertRow).order_by(AlertRow.id)).all()
    assert [r.state for r in rows] == ["sent"] * 5
    assert sorted(mid for mid, _ in inbox.messages) == sorted(r.message_id for r in rows)
    assert len(inbox.messages) == 5, "each alert once"


def test_after_an_outage_alerts_arrive_in_order(setup: tuple[Service, int], clock: FakeClock) -> None:
    svc, port = setup
    svc.poll_job("fb")
    run_for(svc, clock, 2)
    inbox = Inbox(delay=0)
    controller = smtp(port, inbox)
    try:
        run_for(svc, clock, 0.5)
    finally:
        controller.stop()
    with svc.store.transaction() as s:
        ids = [r.message_id for r in s.scalars(select(AlertRow).order_by(AlertRow.id))]
    assert [mid for mid, _ in inbox.messages] == ids


def test_giving_up_is_loud(
    setup: tuple[Service, int], clock: FakeClock, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    svc, _ = setup
    svc.poll_job("fb")
    with caplog.at_level(logging.CRITICAL):
        run_for(svc, clock, 49)  # give_up_after_hours = 48
    with svc.store.transaction() as s:
        alerts = s.scalars(select(AlertRow).where(AlertRow.kind == "alert")).all()
        notices = s.scalars(select(AlertRow).where(AlertRow.kind == "operator")).all()
    assert [a.state for a in alerts] == ["failed"] * 5
    assert notices, "the operator is told"
    assert sum("could not be delivered" in r.getMessage() for r in caplog.records) >= 5
    result = CliRunner().invoke(cli, ["-c", str(tmp_path / "monitor.toml"), "status"])
    assert result.exit_code == 1, result.output
    assert "could not be delivered" in result.output


def test_given_up_alerts_go_out_when_mail_works_again(setup: tuple[Service, int], clock: FakeClock) -> None:
    """An outage longer than give_up_after_hours: the failed alerts (urgent) still reach the MD."""
    svc, port = setup
    svc.poll_job("fb")
    run_for(svc, clock, 50)
    with svc.store.transaction() as s:
        assert {a.state for a in s.scalars(select(AlertRow).where(AlertRow.kind == "alert"))} == {"failed"}
    inbox = Inbox(delay=0)
    controller = smtp(port, inbox)
    try:
        run_for(svc, clock, 0.25)  # no `monitor alerts retry`: mail working again is enough
    finally:
        controller.stop()
    with svc.store.transaction() as s:
        alerts = s.scalars(select(AlertRow).where(AlertRow.kind == "alert").order_by(AlertRow.id)).all()
        assert [a.state for a in alerts] == ["sent"] * 5
        events = [e.action for e in store_alerts.events_of(s, alerts[0].id)]
    assert events.index("failed") < events.index("sent")
    delivered = {mid for mid, _ in inbox.messages}
    assert {a.message_id for a in alerts} <= delivered, "every urgent alert reached the MD"
