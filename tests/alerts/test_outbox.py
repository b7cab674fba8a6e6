"""The transactional outbox: .eml files, retries with backoff, give-up, poison messages, crashes."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from alerts import outbox
from alerts.smtp import MessageRefused, SmtpTransport
from monitor import health
from monitor.config import SmtpConfig
from monitor.errors import TransientDeliveryError
from monitor.store import Store
from monitor.store import alerts as store_alerts
from monitor.store.schema import AlertRow
from tests.alerts.helpers import Handler, add_item, decide, start_server
from tests.conftest import FakeClock, make_config


class Flaky:
    """A transport that fails with `error` for the given alert names, and records the rest."""

    description = "test transport"

    def __init__(self, error: Exception | None = None, failing: Sequence[str] = ("",)) -> None:
        self.error, self.failing = error, failing
        self.sent: list[tuple[str, EmailMessage, tuple[str, ...]]] = []
        self.calls = 0

    def send(self, message: EmailMessage, *, sender: str, recipients: Sequence[str], name: str) -> None:
        self.calls += 1
        if self.error is not None and any(f in name for f in self.failing):
            raise self.error
        self.sent.append((name, message, tuple(recipients)))


def rows(store: Store, kind: str = "alert") -> list[AlertRow]:
    with store.transaction() as session:
        return sorted(store_alerts.listing(session, kinds=(kind,), limit=1000), key=lambda r: r.id)


def read(path: Path) -> EmailMessage:
    msg = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def test_without_smtp_alerts_become_eml_files(store: Store, tmp_path: Path, clock: FakeClock) -> None:
    config = make_config(tmp_path, 'deputies = ["deputy@example.org"]\n')
    decide(store, config, add_item(store, "c1", "I will hurt you", now=clock.now), ["threat"], clock.now)
    assert outbox.deliver_due(store, config, clock.now) == 1
    [path] = sorted(config.outbox_dir.glob("*.eml"))
    msg = read(path)
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg["To"] == "md@example.org" and msg["Cc"] is None  # deputies only on escalation
    assert msg["Subject"].startswith("[URGENT] Threat on Facebook (facebook-main)")
    [row] = rows(store)
    assert (row.state, row.message_id, row.attempts) == ("sent", msg["Message-ID"], 1)


def test_high_alerts_wait_for_the_grouping_window(store: Store, tmp_path: Path, clock: FakeClock) -> None:
    config = make_config(tmp_path)
    decide(store, config, add_item(store, "c1", now=clock.now), ["harassment"], clock.now)
    assert outbox.deliver_due(store, config, clock.advance(minutes=4)) == 0
    assert outbox.deliver_due(store, config, clock.advance(minutes=1)) == 1


def test_transient_failures_back_off_then_give_up_loudly(
    store: Store, tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    config = make_config(tmp_path, "give_up_after_hours = 2\n")
    decide(store, config, add_item(store, "c1", now=clock.now), ["threat"], clock.now)
    down = Flaky(TransientDeliveryError("connection refused"), failing=("threat",))
    assert outbox.deliver_due(store, config, clock.now, transport=down) == 0
    [row] = rows(store)
    assert (row.state, row.attempts, row.last_error) == ("pending", 1, "connection refused")
    assert row.next_attempt_at is not None and row.next_attempt_at > clock.now
    assert outbox.deliver_due(store, config, clock.now, transport=down) == 0
    assert down.calls == 1  # not before the backoff has passed
    delays = []
    while rows(store)[0].state == "pending":
        before = rows(store)[0].next_attempt_at
        assert before is not None
        delays.append(before - clock.now)
        clock.now = before
        outbox.deliver_due(store, config, clock.now, transport=down)
    assert delays[1] > delays[0]  # exponential
    assert max(delays).total_seconds() <= 600  # urgent: capped at ten minutes
    [row] = rows(store)
    assert row.state == "failed" and "connection refused" in (row.last_error or "")
    assert any(r.levelno == logging.CRITICAL and f"alert {row.id}" in r.getMessage() for r in caplog.records)
    [notice] = rows(store, "operator")  # the operator hears about it
    assert notice.category == "failed" and f"#{row.id}" in notice.payload["message"]
    status = health.collect(config, store, clock.now)
    assert status.outbox_failed == 1 and any("could not be delivered" in p for p in status.problems)
    with store.transaction() as session:  # `monitor alerts retry` once the server is fixed
        failed = store_alerts.get(session, row.id)
        assert failed is not None
        store_alerts.retry_failed(session, failed, clock.now, "it", "smtp fixed")
    assert outbox.deliver_due(store, config, clock.now, transport=Flaky()) == 1
    assert rows(store)[0].state == "sent"


def test_a_refused_message_fails_at_once_and_does_not_block_the_queue(
    store: Store, tmp_path: Path, clock: FakeClock
) -> None:
    config = make_config(tmp_path)
    decide(store, config, add_item(store, "c1", now=clock.now, post_id="p1"), ["threat"], clock.now)
    decide(store, config, add_item(store, "c2", now=clock.now, post_id="p2"), ["risk_to_life"], clock.now)
    picky = Flaky(MessageRefused("554 rejected"), failing=("threat",))
    assert outbox.deliver_due(store, config, clock.now, transport=picky) == 2  # risk_to_life + notice
    threat, risk = rows(store)
    assert (threat.state, risk.state) == ("failed", "sent")


def test_a_poison_message_never_blocks_the_alerts_behind_it(
    store: Store, tmp_path: Path, clock: FakeClock
) -> None:
    config = make_config(tmp_path)
    with store.transaction() as session:
        store_alerts.add_alert(
            session,
            AlertRow(key="digest:broken", kind="digest", severity="low", category="digest", state="pending",
                     created_at=clock.now, due_at=clock.now, attempts=0, escalations=0,
                     payload={"eml_b64": "not base64 at all!"}),
        )  # fmt: skip
    decide(store, config, add_item(store, "c1", now=clock.now), ["threat"], clock.now)
    assert outbox.deliver_due(store, config, clock.now) == 2  # the alert, and the operator's notice
    [digest] = rows(store, "digest")
    assert digest.state == "failed" and "cannot be rendered" in (digest.last_error or "")
    assert rows(store)[0].state == "sent"


def test_a_broken_template_at_send_time_still_sends_a_plain_alert(
    store: Store, tmp_path: Path, clock: FakeClock
) -> None:
    templates = tmp_path / "templates" / "email"
    templates.mkdir(parents=True)
    (templates / "alert.html.j2").write_text("{{ no_such_variable }}", encoding="utf-8")
    config = make_config(tmp_path, f'templates_dir = "{tmp_path / "templates"}"\n')
    decide(store, config, add_item(store, "c1", "I will hurt you", now=clock.now), ["threat"], clock.now)
    assert outbox.deliver_due(store, config, clock.now) == 1
    [path] = config.outbox_dir.glob("*.eml")
    body = read(path).get_body(("plain",))
    assert body is not None and "could not be rendered" in body.get_content()
    assert "I will hurt you" in body.get_content()


class Killed(BaseException):
    """The process dies (SIGKILL, power cut) right after the server accepted the message."""


class DiesAfterSending:
    def __init__(self, inner: SmtpTransport) -> None:
        self.inner, self.description = inner, "dies after sending"

    def send(self, message: EmailMessage, *, sender: str, recipients: Sequence[str], name: str) -> None:
        self.inner.send(message, sender=sender, recipients=recipients, name=name)
        raise Killed


@pytest.fixture
def plain_server(handler: Handler) -> Iterator[Any]:
    server = start_server(handler)
    yield server
    server.stop()


def test_killed_between_acceptance_and_marking_sent_resends_the_same_message_id(
    store: Store, tmp_path: Path, clock: FakeClock, handler: Handler, plain_server: Any
) -> None:
    config = make_config(tmp_path)
    smtp = SmtpTransport(SmtpConfig(host="127.0.0.1", port=plain_server.port, allow_insecure=True))
    decide(store, config, add_item(store, "c1", now=clock.now), ["threat"], clock.now)
    with pytest.raises(Killed):
        outbox.deliver_due(store, config, clock.now, transport=DiesAfterSending(smtp))
    [row] = rows(store)
    assert row.state == "pending" and row.attempts == 1  # the attempt was counted before sending
    clock.advance(minutes=15)  # the service restarts
    assert outbox.deliver_due(store, config, clock.now, transport=smtp) == 1
    first, second = (r.message for r in handler.received)
    assert first["Message-ID"] == second["Message-ID"] == rows(store)[0].message_id
    assert first["Subject"] == second["Subject"]


def test_enqueue_message_is_delivered_by_the_same_sender_and_deduplicated(
    store: Store, tmp_path: Path, clock: FakeClock
) -> None:
    config = make_config(tmp_path)
    digest = EmailMessage()
    digest["Subject"] = "Weekly digest"
    digest["To"] = "board@example.org"
    digest.set_content("All quiet.")
    for _ in range(2):
        with store.transaction() as session:
            outbox.enqueue_message(session, kind="digest", key="digest:2026-W48", severity="low",
                                   category="digest", message=digest, now=clock.now)  # fmt: skip
    transport = Flaky()
    assert outbox.deliver_due(store, config, clock.now, transport=transport) == 1
    [(_, msg, recipients)] = transport.sent
    assert recipients == ("board@example.org",)
    assert msg["Subject"] == "Weekly digest" and msg["From"] == "monitor@example.org"
    assert msg["Message-ID"] and msg.get_content().strip() == "All quiet."
    assert rows(store, "digest")[0].state == "sent"


def test_operator_notices_go_to_the_operator(store: Store, tmp_path: Path, clock: FakeClock) -> None:
    from alerts import notices

    config = make_config(tmp_path)
    with store.transaction() as session:
        notices.queue(session, config, clock.now, topic="auth", account="facebook-main",
                      message="Facebook says the token expired (190)")  # fmt: skip
    transport = Flaky()
    assert outbox.deliver_due(store, config, clock.now, transport=transport) == 1
    [(_, msg, recipients)] = transport.sent
    assert recipients == ("ops@example.org",)
    assert msg["Subject"] == "[monitor] auth: facebook-main"
    assert "token expired" in msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
