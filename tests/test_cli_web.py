"""`monitor feedback export` (JSONL that scripts/train_classifiers.py --extra takes) and `monitor web`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import cli
from monitor.store import alerts as store_alerts
from monitor.store import open_store
from tests.alerts.helpers import add_item, decide
from tests.conftest import FakeClock, make_config

ROOT = Path(__file__).resolve().parent.parent


def test_feedback_export_writes_the_training_shape(tmp_path: Path, clock: FakeClock) -> None:
    config = make_config(tmp_path)
    store = open_store(config.database_url)
    try:
        item = add_item(store, "c1", "I could kill for a brew, you idiots", now=clock.now)
        decide(store, config, item, ["threat", "harassment"], clock.now)
        with store.transaction() as session:
            row = store_alerts.get(session, 1)
            assert row is not None
            store_alerts.dismiss(session, row, clock.now, "md", "banter", "a regular", {item: ["threat"]})
    finally:
        store.close()
    out = tmp_path / "feedback.jsonl"
    result = CliRunner().invoke(cli, ["-c", str(config.path), "feedback", "export", "--output", str(out)])
    assert result.exit_code == 0, result.output
    [line] = out.read_text().splitlines()
    record = json.loads(line)
    written = json.loads((ROOT / "classifiers/data/written_conduct.jsonl").read_text().splitlines()[0])
    assert set(written) | {"family"} == set(record)
    assert record == {
        "id": f"feedback-{item}",
        "platform": "facebook",
        "kind": "comment",
        "author_is_org": False,
        "text": "I could kill for a brew, you idiots",
        "labels": ["harassment"],  # flagged minus the one marked wrong
        "family": "feedback",
        "note": "false alarm: threat (banter); a regular",
    }
    from classifiers.train import labelled_file
    from classifiers.train_risk import written_rows

    assert labelled_file(str(out)) == out  # what `train_classifiers.py --extra FILE` checks
    rows = written_rows([out])
    assert [r["labels"] for r in rows if r.get("id") == f"feedback-{item}"] == [["harassment"]]
    since = CliRunner().invoke(cli, ["-c", str(config.path), "feedback", "export", "--since", "2099-01-01"])
    assert (since.exit_code, since.stdout) == (0, "")
    assert "No false alarms marked in that period" in since.stderr


def test_web_refuses_a_bad_bind(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    result = CliRunner().invoke(cli, ["-c", str(config.path), "web", "--bind", "localhost"])
    assert result.exit_code == 2 and "HOST:PORT" in result.output
