"""End to end, as a user runs it: `monitor run` (a subprocess, the real default classifier) against
a fake Mastodon server on 127.0.0.1 and a real SMTP server (aiosmtpd), then the CLI.

One scenario covers three promises that broke at the seams:

* a comment whose author fields hold a NUL, a lone surrogate and control characters is
  stored and alerted, and blocks nothing behind it (issue item 3);
* with the mail server down, the urgent alerts are given up on schedule (give_up_after_hours
  = 0), reported by `monitor status`, and still reach the MD once the server is back, with
  no `monitor alerts retry` (item 4);
* after `monitor forget`, a `monitor scan` that fetches the erased comment again stores
  nothing of it, and a new crisis comment from someone else is alerted (item 1).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest

from tests.alerts.helpers import free_port
from tests.connectors.fakeserver import running
from tests.connectors.harness import MastodonHarness, Rec

ROOT = Path(__file__).resolve().parents[2]
MONITOR = [sys.executable, "-m", "monitor"]
TOKEN = "fakeMastodonToken_blackbox_0123456789"
NOW = datetime.now(UTC).replace(microsecond=0)


@dataclass
class People(MastodonHarness):
    """The Mastodon fake, with each mention's author set per record."""

    authors: dict[str, dict[str, Any]] = field(default_factory=dict)

    def _notification(self, rec: Rec) -> dict[str, Any]:
        found = super()._notification(rec)
        who = self.authors.get(rec.id)
        if who:
            found["account"] = found["status"]["account"] = who
            if "url" in who:
                found["status"]["url"] = who["url"]
        return found


def person(username: str, display: str, url: str | None = None) -> dict[str, Any]:
    return {
        "id": str(abs(hash(username)) % 10**17),
        "username": username,
        "acct": f"{username}@example.social",
        "display_name": display,
        "url": url or f"https://example.social/@{username}",
    }


@dataclass
class Mail:
    port: int
    received: list[bytes] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    controller: Any = None

    def up(self) -> None:
        from aiosmtpd.controller import Controller

        mail = self

        class Inbox:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                mail.received.append(bytes(envelope.original_content))
                mail.recipients.extend(envelope.rcpt_tos)
                return "250 OK"

        self.controller = Controller(Inbox(), hostname="127.0.0.1", port=self.port, ready_timeout=10)
        self.controller.start()

    def down(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def subjects(self) -> list[str]:
        return [str(message_from_bytes(m, policy=policy.default)["Subject"]) for m in self.received]


def until(check: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[People, Mail, Path, dict[str, str]]]:
    with running() as server:
        h = People()
        h.install(server)
        mail = Mail(free_port())
        config = tmp_path / "monitor.toml"
        config.write_text(
            f"""[monitor]
state_dir = "state"
organisation = "Black Box CIC"

[alerts]
recipients = ["md@example.org"]
operator = ["ops@example.org"]
sender = "monitor@example.org"
give_up_after_hours = 0

[smtp]
host = "127.0.0.1"
port = {mail.port}
security = "none"
allow_insecure = true
timeout_seconds = 3

[[accounts]]
name = "mastodon-main"
platform = "mastodon"
account_id = "{h.ME}"
base_url = "{server.base_url}"
access_token = {{ env = "MASTODON_TOKEN" }}
""",
            encoding="utf-8",
        )
        env = {**os.environ, "MASTODON_TOKEN": TOKEN, "PYTHONPATH": str(ROOT), "MONITOR_CONFIG": str(config)}
        env.pop("JOURNAL_STREAM", None)
        try:
            yield h, mail, tmp_path, env
        finally:
            mail.down()


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MONITOR, *args], env=env, capture_output=True, text=True, timeout=120)


def alerts(env: dict[str, str]) -> list[dict[str, Any]]:
    result = cli(env, "alerts", "list", "--all", "--json", "--kind", "alert")
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout))


def test_hostile_author_mail_outage_and_erasure_end_to_end(
    world: tuple[People, Mail, Path, dict[str, str]],
) -> None:
    h, mail, folder, env = world
    erin = Rec(
        "erin", "I can't do this any more. Tonight I'm going to end it all.", NOW - timedelta(minutes=9)
    )
    poison = Rec("poison", "please help, I want to kill myself tonight", NOW - timedelta(minutes=8))
    h.authors["erin"] = person("erin", "Erin Marsh")
    h.authors["poison"] = {
        **person("m\x00l\ud800ry", "Mal\x00\ud800\x1b[31m Ory\u202e", "https://example.social/@m\x00l"),
        "acct": "m\x00l\ud800ry@example.social\r\nBcc: evil@example.org",
    }
    h.serve([erin, poison])

    # 1. The daemon starts with the mail server down: both urgent alerts are given up on at once
    #    (give_up_after_hours = 0), the operator is told (queued), and status says so.
    daemon = subprocess.Popen(
        [*MONITOR, "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:

        def given_up() -> list[dict[str, Any]] | None:
            found = alerts(env)
            both = sum(a["items"] for a in found) >= 2  # one alert or two: the same thread may group
            return found if both and all(a["state"] == "failed" for a in found) else None

        try:  # a cold start (classifier, prefilter cache) on a busy machine can take a while
            failed = until(given_up, 180, "both urgent comments' alerts to be given up on while mail is down")
        except AssertionError as exc:
            daemon.terminate()
            raise AssertionError(
                f"{exc}; the daemon said:\n{daemon.communicate(timeout=30)[0][-4000:]}"
            ) from None
        assert {a["severity"] for a in failed} == {"urgent"}
        status = cli(env, "status")
        assert status.returncode == 1 and "could not be delivered" in status.stdout, status.stdout

        # 2. The mail server comes back: the failed alerts reach the MD with no `alerts retry`.
        mail.up()
        until(
            lambda: all(a["state"] == "sent" for a in alerts(env)) and len(mail.received) >= len(failed),
            120,
            "the alerts given up on to be delivered once mail works again",
        )
        subjects = mail.subjects()
        assert sum("risk to life" in s.lower() for s in subjects) >= len(failed), subjects
        # The hostile handle is data in the body, never a header or a recipient.
        assert set(mail.recipients) <= {"md@example.org", "ops@example.org"}, mail.recipients
        headers = [message_from_bytes(m, policy=policy.default) for m in mail.received]
        assert not any(msg["Bcc"] for msg in headers)

        # 3. An erasure request, then a scan that fetches Erin's comment again, and a new crisis.
        forget = cli(env, "forget", "--author", "erin@example.social", "--yes")
        assert forget.returncode == 0 and "Erased 1 item(s)" in forget.stdout, forget.stdout + forget.stderr
        fay = Rec(
            "fay",
            "goodbye everyone, thank you for trying. none of this is your fault",
            NOW - timedelta(minutes=2),
        )
        h.authors["fay"] = person("fay", "Fay Lund")
        h.serve([erin, poison, fay])
        scan = cli(env, "scan", "--since", "1d", "--json")
        assert scan.returncode == 0, scan.stderr
        report = json.loads(scan.stdout)
        assert not report["accounts"][0]["error"], report
        assert report["items_new"] == 1, "Erin's comment, fetched again, is not stored again"
        fays = until(
            lambda: [m for m in mail.received if b"Fay Lund" in m or b"Fay" in m],
            60,
            "the new crisis comment to be alerted",
        )
        assert fays
        shown = json.dumps(alerts(env))
        files = [folder / "state" / "monitor.db", folder / "state" / "monitor.db-wal"]
        database = b"".join(f.read_bytes() for f in files if f.exists())
        assert b"Erin" not in database and b"end it all" not in database.replace(b"\x00", b"")
        assert "erin" not in shown.lower()
        status = cli(env, "status", "--json")
        problems = json.loads(status.stdout)["problems"]
        assert not any("could not be delivered" in p or "set aside" in p for p in problems), problems
    finally:
        daemon.send_signal(signal.SIGTERM)
        output, _ = daemon.communicate(timeout=30)
    assert daemon.returncode == 0, output
    assert TOKEN not in output, "the token never reaches the logs"
