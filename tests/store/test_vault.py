"""The session vault: private files (0700/0600), encrypted under the account's secret, written
atomically; anything unreadable is "no session", never an error."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import pytest

from monitor.store.vault import SessionVault

SECRET = "k3vq-7xnd-p2ma-w9tz"
VALUE = "elmfield.bsky.social:::did:plc:ewvi7nxzyoun6zhxrhs64oiz:::eyJhbGciOi.access:::eyJhbGciOi.refresh"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_saved_private_and_encrypted(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    vault = SessionVault(tmp_path / "state" / "sessions")
    vault.save("bluesky-main", SECRET, VALUE)
    path = vault.path("bluesky-main")
    assert mode(path.parent) == 0o700 and mode(path) == 0o600
    text = path.read_text(encoding="utf-8")
    assert "eyJ" not in text and "did:plc" not in text and SECRET not in text
    assert SessionVault(path.parent).load("bluesky-main", SECRET) == VALUE, "another process reads it"
    assert [p.name for p in path.parent.iterdir()] == [path.name], "no temporary file left"
    assert SECRET not in caplog.text and "eyJ" not in caplog.text


def test_another_secret_or_a_damaged_file_is_no_session(tmp_path: Path) -> None:
    vault = SessionVault(tmp_path)
    vault.save("bluesky-main", SECRET, VALUE)
    assert SessionVault(tmp_path).load("bluesky-main", "a new app password") is None
    assert vault.load("someone-else", SECRET) is None
    path = vault.path("bluesky-main")
    body = json.loads(path.read_text())
    path.write_text(json.dumps({**body, "token": body["token"][:-8] + "AAAAAAAA"}))
    assert SessionVault(tmp_path).load("bluesky-main", SECRET) is None
    path.write_text("{not json")
    assert vault.load("bluesky-main", SECRET) is None


def test_loose_permissions_are_tightened(tmp_path: Path) -> None:
    (tmp_path / "sessions").mkdir(mode=0o755)
    vault = SessionVault(tmp_path / "sessions")
    vault.save("bluesky-main", SECRET, VALUE)
    assert mode(tmp_path / "sessions") == 0o700
    vault.path("bluesky-main").chmod(0o644)
    assert SessionVault(tmp_path / "sessions").load("bluesky-main", SECRET) == VALUE
    assert mode(vault.path("bluesky-main")) == 0o600


def test_a_directory_that_cannot_be_written_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    SessionVault(blocked / "sessions").save("bluesky-main", SECRET, VALUE)
    assert "cannot save the session" in caplog.text and SECRET not in caplog.text
