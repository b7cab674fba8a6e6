"""`monitor alerts list|show|ack|resolve|retry`, with the audit trail."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import cli
from monitor.store import alerts as store_alerts
from monitor.store import open_store
from tests.alerts.helpers import add_item, decide
from tests.conftest import FakeClock, make_config


def setup(tmp_path: Path, clock: FakeClock) -> tuple[str, list[int]]:
    config = make_config(tmp_path)
    store = open_store(config.database_url)
    try:
        ids = []
        for n, (text, label) in enumerate(
            [("I will hurt you", "threat"), ("Saw Tom Baker at your counselling, his number is 07700 900123",
                                             "confidentiality_risk")]
        ):  # fmt: skip
            decide(
                store,
                config,
                add_item(store, f"c{n}", text, now=clock.now, post_id=f"p{n}"),
                [label],
                clock.now,
            )
        with store.transaction() as session:
            ids = sorted(r.id for r in store_alerts.listing(session))
    finally:
        store.close()
    return str(config.path), ids


def invoke(config: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["-c", config, "alerts", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_list_show_ack_resolve_with_audit_trail(tmp_path: Path, clock: FakeClock) -> None:
    config, (threat, leak) = setup(tmp_path, clock)
    listing = invoke(config, "list")
    assert "threat" in listing and "confidentiality_risk" in listing
    shown = invoke(config, "show", str(leak))
    assert "[phone]" in shown and "07700" not in shown  # masked as in the email
    assert "queued" in shown
    assert "acknowledged by jo" in invoke(
        config, "ack", str(threat), "--by", "jo", "--note", "called police 101"
    )
    assert "already acknowledged" in invoke(config, "ack", str(threat))
    invoke(config, "resolve", str(threat), "--by", "jo", "--note", "account blocked")
    data = json.loads(invoke(config, "show", str(threat), "--json"))
    assert data["state"] == "resolved" and data["acked_by"] == "jo" and data["resolved_by"] == "jo"
    trail = [(e["actor"], e["action"], e["note"]) for e in data["events"]]
    assert ("jo", "acknowledged", "called police 101") in trail
    assert ("jo", "resolved", "account blocked") in trail
    open_ids = [a["id"] for a in json.loads(invoke(config, "list", "--json"))]
    assert open_ids == [leak]
    assert {a["id"] for a in json.loads(invoke(config, "list", "--all", "--json"))} == {threat, leak}


def test_unknown_alert_and_retry_of_a_non_failed_alert_are_input_errors(
    tmp_path: Path, clock: FakeClock
) -> None:
    config, (threat, _) = setup(tmp_path, clock)
    result = CliRunner().invoke(cli, ["-c", config, "alerts", "ack", "999"])
    assert result.exit_code == 2 and "no alert #999" in result.output
    result = CliRunner().invoke(cli, ["-c", config, "alerts", "retry", str(threat)])
    assert result.exit_code == 2 and "not failed" in result.output
