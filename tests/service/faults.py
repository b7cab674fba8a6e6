"""Kill -9 harness, shared by tests/service/test_faults.py (short) and bench/soak.py (long).

A real daemon process (`daemon_main.py`: `monitor run` with a keyword classifier and
sub-second intervals) polls a replay "platform" (a JSONL file that grows between
runs) and delivers to a real aiosmtpd server on 127.0.0.1. It is killed with SIGKILL at
a random moment, many times; a last run is allowed to finish. Then:

* every comment written to the platform is stored (lost items),
* every comment that warrants an alert is covered by exactly one alert, marked sent,
  and received by the SMTP server at least once (lost alerts),
* copies received more than once (duplicates) all carry the alert's own Message-ID.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

from sqlalchemy import select

from monitor.errors import StorageError
from monitor.store import open_store
from monitor.store.schema import AlertItemRow, AlertRow, ItemRow

ROOT = Path(__file__).resolve().parents[2]
ALERTING = ("I will hurt you", "you idiot", "I want to end it all")
HARMLESS = ("lovely session today", "when are you open", "thanks for the leaflet")


class Inbox:
    """aiosmtpd handler: records every accepted message (slowly, to widen the kill window)."""

    def __init__(self, delay: float = 0.02) -> None:
        self.delay = delay
        self.lock = threading.Lock()
        self.messages: list[tuple[str, str]] = []  # (Message-ID, Subject) in arrival order

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content or envelope.content)
        with self.lock:
            self.messages.append((str(message["Message-ID"]), str(message["Subject"])))
        time.sleep(self.delay)  # the client waits for the reply: accepted here, not yet marked sent
        return "250 OK"


def smtp_server(inbox: Inbox) -> Any:
    from aiosmtpd.controller import Controller

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    return controller


def write_config(folder: Path, smtp_port: int, database: str | None = None) -> Path:
    db = f'database = "{database}"\n' if database else ""
    text = f"""[monitor]
state_dir = "state"
{db}
[alerts]
recipients = ["md@example.org"]
operator = ["ops@example.org"]
sender = "monitor@example.org"
group_minutes = 0

[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
allow_insecure = true
timeout_seconds = 10

[[accounts]]
name = "page"
platform = "replay"
account_id = "page"
path = "platform.jsonl"
page_size = 7
"""
    path = folder / "monitor.toml"
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class Platform:
    """The replay 'platform': comments appear by appending lines to a JSONL file."""

    path: Path
    rng: random.Random
    written: list[str] = field(default_factory=list)
    alerting: set[str] = field(default_factory=set)
    start: datetime = datetime(2026, 11, 1, tzinfo=UTC)

    def publish(self, count: int) -> None:
        with self.path.open("a", encoding="utf-8") as handle:
            for _ in range(count):
                n = len(self.written) + 1
                alert = self.rng.random() < 0.35
                text = self.rng.choice(ALERTING if alert else HARMLESS)
                record = {
                    "external_id": f"p{n}",
                    "platform": "facebook",
                    "kind": "comment",
                    "text": f"{text} (#{n})",
                    "created_at": (self.start + timedelta(minutes=n)).isoformat(),
                    "post_id": f"post{n % 5}",
                    "author_handle": f"@person{n % 11}",
                }
                handle.write(json.dumps(record) + "\n")
                self.written.append(record["external_id"])
                if alert:
                    self.alerting.add(record["external_id"])


def daemon(config: Path, log: Path, poll_seconds: float) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NOTIFY_", "WATCHDOG_"))}
    env["PYTHONPATH"] = str(ROOT)
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("daemon_main.py")), str(config), str(poll_seconds)],
            stdout=out,
            stderr=out,
            env=env,
            cwd=ROOT,
        )


@dataclass(frozen=True)
class Figures:
    iterations: int
    kills: int
    items_written: int
    items_stored: int
    items_lost: int
    alerts_expected: int
    alerts_sent: int
    alerts_lost: int
    messages_received: int
    duplicates: int
    foreign_message_ids: int  # received Message-IDs that no alert has (must be 0)
    seconds: float

    def line(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.__dict__.items())


def done(database: str, expected_items: int, inbox: Inbox) -> bool:
    store = open_store(database, migrate=False)
    try:
        with store.transaction() as s:
            stored = len(s.scalars(select(ItemRow.id)).all())
            pending = s.scalars(select(AlertRow.id).where(AlertRow.state != "sent")).all()
            unclassified = s.scalars(select(ItemRow.id).where(ItemRow.classified_at.is_(None))).all()
    except StorageError:
        # Every earlier run was killed before its migrations finished (a slow cold start on a
        # busy machine): the last run has not created the tables yet.
        return False
    finally:
        store.close()
    return stored >= expected_items and not pending and not unclassified


def run(
    folder: Path,
    *,
    iterations: int,
    per_iteration: int,
    seed: int = 7,
    max_life: float = 4.0,
    poll_seconds: float = 0.3,
    database: str | None = None,
    settle_timeout: float = 120.0,
) -> Figures:
    rng = random.Random(seed)
    inbox = Inbox()
    controller = smtp_server(inbox)
    started = time.monotonic()
    log = folder / "daemon.log"
    try:
        config = write_config(folder, controller.port, database)
        database = database or f"sqlite:///{folder / 'state' / 'monitor.db'}"
        platform = Platform(folder / "platform.jsonl", rng)
        platform.path.touch()
        kills = 0
        for _ in range(iterations):
            platform.publish(per_iteration)
            proc = daemon(config, log, poll_seconds)
            try:
                proc.wait(timeout=rng.uniform(0.3, max_life))
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait()
        # The last run is left to finish its work, then stopped with SIGTERM.
        proc = daemon(config, log, poll_seconds)
        try:
            deadline = time.monotonic() + settle_timeout
            while time.monotonic() < deadline and not done(database, len(platform.written), inbox):
                if proc.poll() is not None:
                    raise RuntimeError(f"the daemon exited with {proc.returncode}; see {log}")
                time.sleep(0.5)
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:  # never leave a daemon behind, whatever failed above
                proc.kill()
                proc.wait()
        return figures(database, platform, inbox, iterations, kills, time.monotonic() - started)
    finally:
        controller.stop()


def figures(
    database: str, platform: Platform, inbox: Inbox, iterations: int, kills: int, seconds: float
) -> Figures:
    store = open_store(database, migrate=False)
    try:
        with store.transaction() as s:
            stored = set(s.scalars(select(ItemRow.external_id)))
            covered = {
                external_id: (alert_id, state, message_id)
                for external_id, alert_id, state, message_id in s.execute(
                    select(ItemRow.external_id, AlertRow.id, AlertRow.state, AlertRow.message_id)
                    .join(AlertItemRow, AlertItemRow.item_id == ItemRow.id)
                    .join(AlertRow, AlertRow.id == AlertItemRow.alert_id)
                )
            }
            all_ids = {m for m in s.scalars(select(AlertRow.message_id)) if m}
    finally:
        store.close()
    received = Counter(mid for mid, _ in inbox.messages)
    lost_alerts = 0
    for external_id in platform.alerting:
        alert = covered.get(external_id)
        if alert is None or alert[1] != "sent" or received[alert[2]] == 0:
            lost_alerts += 1
    sent_alerts = {a for a in covered.values() if a[1] == "sent"}
    return Figures(
        iterations=iterations,
        kills=kills,
        items_written=len(platform.written),
        items_stored=len(stored & set(platform.written)),
        items_lost=len(set(platform.written) - stored),
        alerts_expected=len(platform.alerting),
        alerts_sent=len(sent_alerts),
        alerts_lost=lost_alerts,
        messages_received=len(inbox.messages),
        duplicates=sum(c - 1 for c in received.values()),
        foreign_message_ids=len(set(received) - all_ids),
        seconds=round(seconds, 1),
    )
