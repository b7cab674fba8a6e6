"""`monitor feedback export` (JSONL that scripts/train_classifiers.py --extra takes) and `monitor web`."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests
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


@pytest.mark.slow
def test_web_demo_prints_a_working_sign_in_link_and_stops_on_sigterm(tmp_path: Path) -> None:
    """`monitor web --demo` as a new user runs it: demo data loaded, a link that opens the sign-in
    page, no warning about a secret key the user never chose, a clean stop on SIGTERM."""
    env = {**os.environ, "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")}
    env.pop("MONITOR_CONFIG", None)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "web", "--demo", "--bind", f"127.0.0.1:{port}"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        link = ""
        for line in proc.stdout:  # the demo data load comes first
            if line.startswith("Sign in as the demo MD: "):
                link = line.split(": ", 1)[1].strip()
                break
        assert link.startswith(f"http://127.0.0.1:{port}/s/"), link
        page = requests.get(link, timeout=30)
        assert page.status_code == 200 and "Press the button to sign in" in page.text
        assert (
            requests.get(link.split("/s/")[0] + "/alerts", timeout=30, allow_redirects=False).status_code
            == 302
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Web inbox stopped." in out
    assert "secret_key" not in err, err
