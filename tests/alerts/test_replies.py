"""Acknowledge by replying: alerts/replies.py (one message → one decision) and monitor/inbox.py
against a real dovecot on loopback (tests/alerts/imapserver.py)."""

from __future__ import annotations

import email
import email.policy
import threading
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from alerts import escalate, outbox, replies
from alerts.smtp import FileTransport
from monitor import inbox
from monitor.config import Config
from monitor.store import Store
from monitor.store import alerts as store_alerts
from monitor.store.schema import AlertRow
from tests.alerts import imapserver
from tests.alerts.helpers import add_item, decide
from tests.conftest import FakeClock, make_config

REPLY_TO = "monitor@example.org"
TOKEN = "0123456789abcdef0123456789abcdef"
TAGGED = f"monitor+a12-{TOKEN}@example.org"
ALLOWED = ("md@example.org", "deputy@example.org")


def message(
    body: str = "On it.",
    *,
    sender: str = "md@example.org",
    to: str = TAGGED,
    headers: dict[str, str] | None = None,
    message_id: str = "<reply-1@mail.example.org>",
    html: str | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = "Re: [URGENT] Possible risk to life on Facebook"
    msg["Message-ID"] = message_id
    msg["In-Reply-To"] = "<alert.abc.0@example.org>"
    msg["References"] = "<alert.abc.0@example.org>"
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return bytes(msg)


def read(raw: bytes) -> replies.Reply | replies.Ignored:
    return replies.read(raw, reply_to=REPLY_TO, allowed=ALLOWED)


# ------------------------------------------------------------------ one message → one decision


def test_reply_address_carries_alert_and_token() -> None:
    assert replies.reply_address("Monitor <monitor@example.org>", 12, TOKEN) == TAGGED


@pytest.mark.parametrize(
    ("body", "action", "note"),
    [
        ("On it, calling them now.", "acknowledge", "On it, calling them now."),
        ("", "acknowledge", None),
        ("Resolved: comment hidden and reported.", "resolve", "Resolved: comment hidden and reported."),
        ("done - spoke to the police", "resolve", "done - spoke to the police"),
        ("  DONE.", "resolve", "DONE."),
        ("Not done yet, looking now", "acknowledge", "Not done yet, looking now"),
    ],
    ids=["text", "empty", "resolved", "done", "done-caps", "done-later-in-text"],
)
def test_first_word_decides_and_the_text_is_the_note(body: str, action: str, note: str | None) -> None:
    decision = read(message(body))
    assert isinstance(decision, replies.Reply)
    assert (decision.alert_id, decision.token, decision.action.value, decision.note) == (
        12,
        TOKEN,
        action,
        note,
    )
    assert decision.sender == "md@example.org"


@pytest.mark.parametrize(
    "body",
    [
        "Dealing with it.\n\nOn Mon, 23 Nov 2026 at 09:04, Monitor <monitor@example.org> wrote:\n> URGENT: saw Tom",
        "Dealing with it.\n\nOn Mon, 23 Nov 2026 at 09:04, Elmfield monitor\n<monitor@example.org> wrote:\n> URGENT",
        "Dealing with it.\n> URGENT: saw Tom\n> more",
        "Dealing with it.\n\n________________________________\nFrom: Monitor <monitor@example.org>\nSent: 23 November 2026 09:04\nTo: md@example.org\nSubject: URGENT",
        "Dealing with it.\n\nFrom: Monitor <monitor@example.org>\nDate: Mon, 23 Nov 2026\nSubject: URGENT saw Tom",
        "Dealing with it.\n\n-----Original Message-----\nURGENT saw Tom",
        "Dealing with it.\n-- \nAmara Okafor, Managing Director",
        "Dealing with it.\n\nSent from my iPhone",
    ],
    ids=[
        "gmail",
        "gmail-wrapped",
        "quoted",
        "outlook",
        "from-block",
        "original-message",
        "signature",
        "iphone",
    ],
)
def test_quoted_text_and_signatures_are_not_in_the_note(body: str) -> None:
    decision = read(message(body))
    assert isinstance(decision, replies.Reply)
    assert decision.note == "Dealing with it."


def test_an_html_only_reply_drops_the_quoted_block() -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Message-ID"] = "md@example.org", TAGGED, "<h@x>"
    msg.set_content(
        "<div>Done, hidden it.</div><div class='gmail_quote'>On Mon … wrote:<blockquote>saw Tom</blockquote></div>",
        subtype="html",
    )
    decision = read(bytes(msg))
    assert isinstance(decision, replies.Reply)
    assert (decision.action.value, decision.note) == ("resolve", "Done, hidden it.")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (message(sender="stranger@evil.example"), "sender is not the MD or a deputy"),
        (message(to="monitor@example.org"), "no alert tag in its addresses"),
        (message(to=f"monitor+a12-{TOKEN}@other.example"), "no alert tag in its addresses"),
        (message(to="monitor+a12-nothex@example.org"), "no alert tag in its addresses"),
        (message(headers={"Auto-Submitted": "auto-replied"}), "auto-submitted"),
        (message(headers={"X-Autoreply": "yes"}), "auto-reply"),
        (message(headers={"X-Autorespond": "Out of office"}), "auto-reply"),
        (message(headers={"Precedence": "bulk"}), "bulk or list mail"),
        (message(headers={"List-Id": "<staff.example.org>"}), "mailing-list mail"),
        (message(sender="MAILER-DAEMON@mail.example.org"), "delivery report"),
        (message(sender="postmaster@example.org"), "delivery report"),
        (message(headers={"Return-Path": "<>"}), "delivery report"),
        (message(sender="md@example.org, deputy@example.org"), "no single sender"),
    ],
    ids=[
        "stranger", "no-tag", "other-domain", "bad-token-shape", "auto-submitted", "x-autoreply",
        "x-autorespond", "precedence", "list", "mailer-daemon", "postmaster", "empty-return-path", "two-senders",
    ],
)  # fmt: skip
def test_what_never_acts(raw: bytes, reason: str) -> None:
    decision = read(raw)
    assert isinstance(decision, replies.Ignored)
    assert decision.reason == reason


def test_a_delivery_report_never_acts() -> None:
    report = (
        b"From: MAILER-DAEMON@mail.example.org\r\nTo: " + TAGGED.encode() + b"\r\n"
        b"Message-ID: <dsn@x>\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nUndeliverable\r\n--b--\r\n"
    )
    assert read(report) == replies.Ignored("delivery report", "<dsn@x>", "mailer-daemon@mail.example.org")


def test_auto_submitted_no_is_a_person() -> None:
    assert isinstance(read(message(headers={"Auto-Submitted": "no"})), replies.Reply)


def test_confirmation_is_in_the_same_thread_and_quotes_no_comment() -> None:
    decision = read(message("On it."))
    assert isinstance(decision, replies.Reply)
    msg = replies.confirmation(
        decision, sender="monitor@example.org", organisation="One Step", outcome="Alert #12 is acknowledged.",
        reply_to=TAGGED,
    )  # fmt: skip
    assert msg["In-Reply-To"] == "<reply-1@mail.example.org>"
    assert msg["References"] == "<alert.abc.0@example.org> <reply-1@mail.example.org>"
    assert msg["Subject"] == "Re: [URGENT] Possible risk to life on Facebook"
    assert (msg["To"], msg["Reply-To"], msg["Auto-Submitted"]) == ("md@example.org", TAGGED, "auto-replied")
    assert "On it." in msg.get_content()


# ------------------------------------------------------------------ a real mailbox


def imap_config(tmp_path: Path, port: int) -> Config:
    return make_config(
        tmp_path,
        'deputies = ["deputy@example.org"]\n'
        "[[people]]\nname = 'Amara Okafor'\nemail = 'md@example.org'\nrole = 'md'\n"
        "[[people]]\nname = 'Chloe'\nemail = 'staff@example.org'\nrole = 'staff'\n"
        f"[imap]\nhost = '127.0.0.1'\nport = {port}\nsecurity = 'none'\nallow_insecure = true\n"
        f"username = '{imapserver.USER}'\npassword = {{ env = 'IMAP_PASSWORD' }}\nreply_to = '{REPLY_TO}'\n"
        "poll_seconds = 5\n",
        environ={"IMAP_PASSWORD": imapserver.PASSWORD},
    )


def urgent_alert_sent(
    store: Store, config: Config, clock: FakeClock, tmp_path: Path, n: int = 1
) -> EmailMessage:
    """An urgent alert routed and sent; returns the email as the MD received it."""
    item = add_item(store, f"c{n}", "Tonight I'm going to end it all", now=clock.now, post_id=f"p{n}")
    decide(store, config, item, ["risk_to_life"], clock.now)
    folder = tmp_path / "sent"
    outbox.deliver_due(store, config, clock.now, transport=FileTransport(folder))
    [path] = sorted(folder.glob(f"{n:06d}-0-*.eml"))
    parsed = email.message_from_bytes(path.read_bytes(), _class=EmailMessage, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def reply_to(alert: EmailMessage, body: str, *, sender: str = "md@example.org", message_id: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Amara Okafor <{sender}>"
    msg["To"] = str(alert["Reply-To"])
    msg["Subject"] = f"Re: {alert['Subject']}"
    msg["Message-ID"] = message_id
    msg["In-Reply-To"] = str(alert["Message-ID"])
    msg["References"] = str(alert["Message-ID"])
    quoted = "\n".join(f"> {line}" for line in alert.get_body(("plain",)).get_content().splitlines()[:5])  # type: ignore[union-attr]
    msg.set_content(
        f"{body}\n\nOn Mon, 23 Nov 2026 at 09:00, Monitor <monitor@example.org> wrote:\n{quoted}\n"
    )
    return bytes(msg)


def the_alert(store: Store, alert_id: int = 1) -> AlertRow:
    with store.transaction() as session:
        row = store_alerts.get(session, alert_id)
        assert row is not None
        return row


def events(store: Store, alert_id: int = 1) -> list[tuple[str, str, str | None]]:
    with store.transaction() as session:
        return [(e.action, e.actor, e.note) for e in store_alerts.events_of(session, alert_id)]


def queued(store: Store, kind: str) -> list[AlertRow]:
    with store.transaction() as session:
        return store_alerts.listing(session, kinds=(kind,))


def test_reply_acknowledges_confirms_in_thread_and_escalation_stops(
    dovecot: Any, sqlite_store: Store, tmp_path: Path, clock: FakeClock
) -> None:
    config = imap_config(tmp_path, dovecot.port)
    alert = urgent_alert_sent(sqlite_store, config, clock, tmp_path)
    other = urgent_alert_sent(sqlite_store, config, clock, tmp_path, n=2)  # nobody answers this one
    assert str(alert["Reply-To"]).startswith("monitor+a1-") and alert["Reply-To"] != other["Reply-To"]
    dovecot.deliver(
        reply_to(alert, "On it, calling the crisis team now.", message_id="<r1@mail.example.org>")
    )

    clock.advance(minutes=1)
    assert inbox.check_once(sqlite_store, config, clock) == inbox.Checked(applied=1, ignored=0)
    row = the_alert(sqlite_store)
    assert (row.state, row.acked_at) == ("acknowledged", clock.now)
    action, actor, note = events(sqlite_store)[-1]
    assert (action, note) == ("acknowledged", "On it, calling the crisis team now.")
    assert actor == "Amara Okafor <md@example.org> (by email)"
    [confirmation] = queued(sqlite_store, "confirmation")
    outbox.deliver_due(sqlite_store, config, clock.now, transport=FileTransport(tmp_path / "sent"))
    sent = email.message_from_bytes(
        next((tmp_path / "sent").glob(f"{confirmation.id:06d}-*.eml")).read_bytes(),
        policy=email.policy.default,
    )
    assert sent["In-Reply-To"] == "<r1@mail.example.org>" and sent["To"] == "md@example.org"
    assert str(sent["References"]).endswith("<r1@mail.example.org>")
    assert sent["Reply-To"] == alert["Reply-To"]  # "done" in answer to it resolves
    assert "end it all" not in sent.as_string()

    # The escalation job runs after the reply job: the acknowledged alert is not sent again,
    # the unanswered one is.
    clock.advance(minutes=config.alerts.escalate_after_minutes)
    assert escalate.check(sqlite_store, config, clock.now) == 1
    assert (the_alert(sqlite_store).escalations, the_alert(sqlite_store, 2).escalations) == (0, 1)

    # The message is marked in the mailbox, and the record stops a second application even
    # when the mailbox forgets the mark (a restart, another client clearing keywords).
    client = dovecot.client()
    [uid] = client.search(["ALL"])
    assert {b"\\Seen", inbox.KEYWORD} <= set(client.get_flags([uid])[uid])
    assert inbox.check_once(sqlite_store, config, clock) == inbox.Checked()
    client.remove_flags([uid], [inbox.KEYWORD, b"\\Seen"])
    client.logout()
    assert inbox.check_once(sqlite_store, config, clock) == inbox.Checked(applied=0, ignored=1)
    assert [e[0] for e in events(sqlite_store)].count("acknowledged") == 1
    assert len(queued(sqlite_store, "confirmation")) == 1


def test_done_resolves_with_the_note(
    dovecot: Any, sqlite_store: Store, tmp_path: Path, clock: FakeClock
) -> None:
    config = imap_config(tmp_path, dovecot.port)
    alert = urgent_alert_sent(sqlite_store, config, clock, tmp_path)
    dovecot.deliver(reply_to(alert, "Done. Comment hidden, spoke to her by DM.", message_id="<r2@x>"))
    assert inbox.check_once(sqlite_store, config, clock).applied == 1
    row = the_alert(sqlite_store)
    assert (row.state, row.resolved_by) == ("resolved", "Amara Okafor <md@example.org> (by email)")
    assert events(sqlite_store)[-1][::2] == ("resolved", "Done. Comment hidden, spoke to her by DM.")


def test_forged_replies_change_nothing(
    dovecot: Any, sqlite_store: Store, tmp_path: Path, clock: FakeClock
) -> None:
    config = imap_config(tmp_path, dovecot.port)
    alert = urgent_alert_sent(sqlite_store, config, clock, tmp_path)
    tagged = str(alert["Reply-To"])
    wrong_token = tagged.replace(tagged.split("-", 1)[1].split("@")[0], "f" * 32)
    other_alert = tagged.replace("+a1-", "+a2-")
    forged = [
        reply_to(alert, "ack", sender="stranger@evil.example", message_id="<f1@x>"),  # valid token, stranger
        reply_to(alert, "ack", sender="staff@example.org", message_id="<f2@x>"),  # a person, not MD/deputy
        message("ack", to="monitor@example.org", message_id="<f3@x>"),  # MD, no token
        message("ack", to=wrong_token, message_id="<f4@x>"),  # MD, a made-up token
        message("ack", to=other_alert, message_id="<f5@x>"),  # MD, this token on another alert
        message("ack", to=tagged, message_id="<f6@x>", headers={"Auto-Submitted": "auto-replied"}),
    ]
    for raw in forged:
        dovecot.deliver(raw)
    assert inbox.check_once(sqlite_store, config, clock) == inbox.Checked(applied=0, ignored=6)
    row = the_alert(sqlite_store)
    assert (row.state, row.acked_at) == ("sent", None)
    assert [e[0] for e in events(sqlite_store)] == ["queued", "sent"]
    assert queued(sqlite_store, "confirmation") == []
    clock.advance(minutes=config.alerts.escalate_after_minutes)
    assert escalate.check(sqlite_store, config, clock.now) == 1  # still escalated


def test_watch_applies_a_reply_that_arrives_while_idling(
    dovecot: Any, sqlite_store: Store, tmp_path: Path, clock: FakeClock
) -> None:
    config = imap_config(tmp_path, dovecot.port)
    alert = urgent_alert_sent(sqlite_store, config, clock, tmp_path)
    stop = threading.Event()
    applied = threading.Event()
    result: list[inbox.Checked] = []

    def run() -> None:
        result.append(inbox.watch(sqlite_store, config, clock, stop, lambda done: applied.set()))

    thread = threading.Thread(target=run)
    thread.start()
    try:
        time.sleep(1)  # usually in IDLE by now; if not, the first check finds it: both are right
        dovecot.deliver(reply_to(alert, "Seen it", message_id="<idle@x>"))
        assert applied.wait(30), dovecot.log()
    finally:
        stop.set()
        thread.join(30)
    assert result == [inbox.Checked(applied=1, ignored=0)]
    assert the_alert(sqlite_store).state == "acknowledged"


def test_a_wrong_password_is_a_mailbox_error_without_the_password(
    dovecot: Any, tmp_path: Path, sqlite_store: Store, clock: FakeClock
) -> None:
    from monitor.errors import MailboxError

    config = make_config(
        tmp_path,
        f"[imap]\nhost = '127.0.0.1'\nport = {dovecot.port}\nsecurity = 'none'\nallow_insecure = true\n"
        f"username = 'monitor'\npassword = {{ env = 'P' }}\nreply_to = '{REPLY_TO}'\n",
        environ={"P": "wrong-secret-value"},
    )
    with pytest.raises(MailboxError) as caught:
        inbox.check_once(sqlite_store, config, clock)
    assert "wrong-secret-value" not in str(caught.value) and "login as monitor" in str(caught.value)


def test_emails_without_imap_or_web_name_the_cli_and_carry_no_reply_to(
    sqlite_store: Store, tmp_path: Path, clock: FakeClock
) -> None:
    config = make_config(tmp_path)
    sent = urgent_alert_sent(sqlite_store, config, clock, tmp_path)
    assert sent["Reply-To"] is None
    text = sent.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "monitor alerts ack 1" in text and "reply to this email" not in text
