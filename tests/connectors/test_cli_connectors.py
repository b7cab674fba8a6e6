"""`monitor hide` and `monitor check-config --online`, with the platforms mocked by `responses`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import responses
from click.testing import CliRunner

from monitor.cli import cli
from monitor.store import items as item_store
from monitor.store import open_store
from monitor.store.moderation import find_item
from monitor.types import Item, ItemKind
from tests.connectors.harness import NOW, load

PAGE = "104411112233445"
ACCOUNT = f"""
[[accounts]]
name = "fb-main"
platform = "facebook"
account_id = "{PAGE}"
page_token = {{ env = "FB_TOKEN" }}
base_url = "https://graph.test"
"""
ENV = {"FB_TOKEN": "EAAGfakePageToken0123456789"}


def write(tmp_path: Path) -> Path:
    path = tmp_path / "monitor.toml"
    path.write_text(
        '[monitor]\nstate_dir = "state"\n[alerts]\nrecipients = ["md@example.org"]\n' + ACCOUNT,
        encoding="utf-8",
    )
    return path


def seed(path: Path) -> int:
    from monitor import config as config_mod

    config = config_mod.load(path, environ=ENV)
    store = open_store(config.database_url)
    try:
        with store.transaction() as session:
            item = Item(
                "facebook",
                "122099887766554_1011223344556655",
                "fb-main",
                ItemKind.REPLY,
                "The waiting list is months long",
                NOW,
                author_name="Sam Carter",
            )
            item_store.save_items(session, [item], NOW)
        with store.transaction() as session:
            ref = find_item(session, item.external_id)
            assert ref is not None
            return ref.id
    finally:
        store.close()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)


@responses.activate
def test_hide_asks_first_and_does_nothing_on_no(tmp_path: Path, env: None) -> None:
    path = write(tmp_path)
    number = seed(path)
    result = CliRunner().invoke(cli, ["-c", str(path), "hide", str(number)], input="n\n")
    assert result.exit_code == 0, result.output
    assert "waiting list" in result.output and "Nothing was hidden" in result.output
    assert len(responses.calls) == 0


@responses.activate
def test_hide_after_confirmation(tmp_path: Path, env: None) -> None:
    path = write(tmp_path)
    number = seed(path)
    responses.post(re.compile(r".*/v26\.0/122099887766554_1011223344556655.*"), json={"success": True})
    result = CliRunner().invoke(cli, ["-c", str(path), "hide", str(number)], input="y\n")
    assert result.exit_code == 0, result.output
    assert "Hidden on facebook" in result.output
    assert "is_hidden=true" in responses.calls[0].request.url


@responses.activate
def test_hide_yes_by_platform_id_and_unknown_item(tmp_path: Path, env: None) -> None:
    path = write(tmp_path)
    seed(path)
    responses.post(re.compile(r".*"), json={"success": True})
    ok = CliRunner().invoke(cli, ["-c", str(path), "hide", "--yes", "122099887766554_1011223344556655"])
    assert ok.exit_code == 0, ok.output
    missing = CliRunner().invoke(cli, ["-c", str(path), "hide", "--yes", "999"])
    assert missing.exit_code == 2 and "no stored item" in missing.output


@responses.activate
def test_check_config_online_says_what_is_missing(tmp_path: Path, env: None) -> None:
    path = write(tmp_path)
    responses.get(re.compile(r".*/feed.*"), status=400, json=load("facebook", "error_permission.json"))
    result = CliRunner().invoke(cli, ["-c", str(path), "check-config", "--online"])
    assert result.exit_code == 1
    assert "fb-main: Page token lacks pages_read_user_content" in result.output


@responses.activate
def test_check_config_online_expired_token(tmp_path: Path, env: None) -> None:
    path = write(tmp_path)
    responses.get(re.compile(r".*/feed.*"), status=400, json=load("facebook", "error_expired.json"))
    result = CliRunner().invoke(cli, ["-c", str(path), "check-config", "--online"])
    assert result.exit_code == 1
    assert "fb-main: facebook: the access token is expired or invalid (code 190" in result.output
    assert ENV["FB_TOKEN"] not in result.output
