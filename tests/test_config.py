"""Configuration: validated once; every error names the file, the key and the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor import config as config_mod
from monitor.config import Secret
from monitor.errors import ConfigError
from monitor.types import Severity
from tests.conftest import write_config

ACCOUNT = """
[[accounts]]
name = "export"
platform = "replay"
account_id = "x"
path = "export.jsonl"
"""


def load(tmp_path: Path, text: str, **env: str) -> config_mod.Config:
    return config_mod.load(write_config(tmp_path, text), environ=env)


def test_example_config_is_valid(tmp_path: Path) -> None:
    cfg = config_mod.load(EXAMPLE, environ={})
    assert cfg.organisation.startswith("One Step")
    assert cfg.alerts.severity["risk_to_life"] is Severity.URGENT


EXAMPLE = Path(config_mod.__file__).parent.parent / "config" / "monitor.example.toml"
README = Path(config_mod.__file__).parent.parent / "README.md"


def _credentials(tmp_path: Path, text: str) -> dict[str, str]:
    """Every secret the text refers to, as a file in a credentials directory or an env variable."""
    import re

    folder = tmp_path / "credentials"
    folder.mkdir(exist_ok=True)
    env = {"CREDENTIALS_DIRECTORY": str(folder)}
    for name in re.findall(r'credential = "([^"]+)"', text):
        (folder / name).write_text("secret-value\n")
    for name in re.findall(r'env = "([^"]+)"', text):
        env[name] = "secret-value"
    for name in re.findall(r'file = "([^"]+)"', text):
        target = Path(name) if Path(name).is_absolute() else tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("secret-value\n")
    return env


def test_every_example_account_block_works_once_uncommented(tmp_path: Path) -> None:
    """`monitor init` writes commented blocks: each must be accepted as written once uncommented."""
    import re

    text = EXAMPLE.read_text(encoding="utf-8")
    head, _, accounts = text.partition("# [[accounts]]")
    uncommented = "# [[accounts]]" + accounts
    setting = re.compile(r"^# (\[\[accounts\]\]|[a-z_]+ = )")
    lines = [line[2:] if setting.match(line) else line for line in uncommented.splitlines()]
    body = head + "\n".join(lines).replace('file = "/', f'file = "{tmp_path}/')
    cfg = load(tmp_path, body, **_credentials(tmp_path, body))
    platforms = {a.platform for a in cfg.accounts}
    assert platforms == {"facebook", "instagram", "youtube", "mastodon", "x", "bluesky", "replay"}


def test_every_readme_account_block_is_valid(tmp_path: Path) -> None:
    import re

    blocks = re.findall(r"```toml\n(\[\[accounts\]\].*?)```", README.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 7
    for block in blocks:
        block = block.replace('file = "/', f'file = "{tmp_path}/')
        cfg = load(tmp_path, block, **_credentials(tmp_path, block))
        assert len(cfg.accounts) == 1, block


def test_demo_config_is_valid(tmp_path: Path) -> None:
    cfg = config_mod.load_demo(tmp_path)
    assert [a.name for a in cfg.accounts] == [
        "elmfield-facebook",
        "elmfield-instagram",
        "elmfield-x",
        "elmfield-bluesky",
    ]
    assert all(Path(a.settings.path).is_file() for a in cfg.accounts)
    assert cfg.state_dir == tmp_path


def test_relative_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    cfg = load(tmp_path, '[monitor]\nstate_dir = "state"\n' + ACCOUNT)
    assert cfg.state_dir == tmp_path / "state"
    assert cfg.accounts[0].settings.path == str(tmp_path / "export.jsonl")
    assert cfg.database_url == f"sqlite:///{tmp_path / 'state' / 'monitor.db'}"
    assert cfg.outbox_dir == tmp_path / "state" / "outbox"


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        ("[monitor]\ntimezone = 'Mars/Olympus'\n", "monitor.timezone", "unknown time zone"),
        ("[monitor]\norganistion = 'x'\n", "monitor.organistion", "unknown key"),
        ("[alerts]\ngroup_minutes = 'five'\n", "alerts.group_minutes", "expected a whole number"),
        (
            "[alerts]\nrecipients = 'md@x.org'\n",
            "alerts.recipients",
            'expected an array, got a string: write ["md@x.org"]',
        ),
        ("[alerts]\nquiet_hours = '22-7'\n", "alerts.quiet_hours", "HH:MM-HH:MM"),
        ("[alerts.severity]\nrisk_of_life = 'urgent'\n", "alerts.severity.risk_of_life", "unknown label"),
        ("[alerts.severity]\nspam = 'critical'\n", "alerts.severity.spam", "expected one of"),
        ("[smtp]\nhost = 'x'\npassword = 'hunter2'\n", "smtp.password", "by reference"),
        ("[smtp]\nhost = 'x'\nsecurity = 'none'\n", "smtp.security", "allow_insecure"),
        ("[smtp]\nhost = 'x'\nsecurity = 'ssl'\n", "smtp.security", "expected one of"),
        ("[sms]\nto = 1\n", "sms", "unknown section"),
        (
            "[[accounts]]\nname = 'a'\nplatform = 'myspace'\naccount_id = 'x'\n",
            "accounts[a].platform",
            "unknown platform",
        ),
        ("[[accounts]]\nname = 'a'\nplatform = 'replay'\n", "accounts[0]", "account_id"),
        ("[[accounts]]\nname = 'a'\nplatform = 'replay'\naccount_id = 'x'\n", "accounts[a]", "'path'"),
        (
            "[[accounts]]\nname = 'a'\nplatform = 'replay'\naccount_id = 'x'\npath = 'p'\ntoken = 1\n",
            "accounts[a].token",
            "unknown key",
        ),
        (ACCOUNT + ACCOUNT, "accounts[export].name", "duplicate"),
        ("[digest]\ntime = '8am'\n", "digest.time", "HH:MM"),
        ("[retention]\ntext_days = -1\n", "retention.text_days", "≥ 0"),
        ("[monitor\n", None, "not valid TOML"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 40 and "\n" not in v else None,
)
def test_errors_name_file_key_and_fix(tmp_path: Path, text: str, key: str | None, fragment: str) -> None:
    with pytest.raises(ConfigError) as err:
        load(tmp_path, text)
    message = str(err.value)
    assert str(tmp_path / "monitor.toml") in message
    if key:
        assert err.value.key == key, message
    assert fragment in message


def test_missing_file_and_no_config_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        config_mod.load(tmp_path / "nope.toml", environ={})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(config_mod, "SEARCH_PATH", (tmp_path / "monitor.toml",))
    with pytest.raises(ConfigError, match="monitor init"):
        config_mod.load(None, environ={})


def test_search_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = write_config(tmp_path, "", "a.toml"), write_config(tmp_path, "", "b.toml")
    monkeypatch.setattr(config_mod, "SEARCH_PATH", (second,))
    assert config_mod.find_config(None, environ={"MONITOR_CONFIG": str(first)}) == first
    assert config_mod.find_config(None, environ={}) == second
    assert config_mod.find_config(str(second), environ={"MONITOR_CONFIG": str(first)}) == second


def test_secrets_by_reference_resolve_and_never_print(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("from-a-file\n")
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "smtp").write_text("from-systemd")
    base = "[smtp]\nhost = 'mail.example.org'\n"
    env_cfg = load(tmp_path, base + "password = { env = 'PW' }\n", PW="from-env")
    file_cfg = load(tmp_path, base + "password = { file = 'pw' }\n")
    cred_cfg = load(tmp_path, base + "password = { credential = 'smtp' }\n", CREDENTIALS_DIRECTORY=str(creds))
    assert env_cfg.smtp and file_cfg.smtp and cred_cfg.smtp
    assert isinstance(env_cfg.smtp.password, Secret)
    assert env_cfg.smtp.password.reveal() == "from-env"
    assert file_cfg.smtp.password and file_cfg.smtp.password.reveal() == "from-a-file"
    assert cred_cfg.smtp.password and cred_cfg.smtp.password.reveal() == "from-systemd"
    for cfg, value in ((env_cfg, "from-env"), (file_cfg, "from-a-file"), (cred_cfg, "from-systemd")):
        shown = repr(config_mod.masked(cfg)) + repr(cfg)
        assert value not in shown
    assert "env:PW" in repr(config_mod.masked(env_cfg))


@pytest.mark.parametrize(
    ("ref", "env", "fragment"),
    [
        ("{ env = 'NOPE' }", {}, "NOPE is not set"),
        ("{ file = 'missing' }", {}, "cannot read secret file"),
        ("{ credential = 'smtp' }", {}, "LoadCredential"),
        ("{ vault = 'x' }", {}, "unknown secret reference"),
        ("{ env = 'A', file = 'b' }", {}, "exactly one"),
    ],
    ids=["env-unset", "file-missing", "credential-outside-systemd", "unknown-kind", "two-kinds"],
)
def test_secret_errors(tmp_path: Path, ref: str, env: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment) as err:
        load(tmp_path, f"[smtp]\nhost = 'x'\npassword = {ref}\n", **env)
    assert err.value.key == "smtp.password"


def test_partial_severity_override_keeps_other_defaults(tmp_path: Path) -> None:
    cfg = load(tmp_path, "[alerts.severity]\nengagement = 'high'\n")
    assert cfg.alerts.severity["engagement"] is Severity.HIGH
    assert cfg.alerts.severity["risk_to_life"] is Severity.URGENT


def test_database_password_masked(tmp_path: Path) -> None:
    cfg = load(tmp_path, "[monitor]\ndatabase = 'postgresql+psycopg://monitor:s3cret@db/monitor'\n")
    assert "s3cret" not in repr(config_mod.masked(cfg))


def test_state_directory_from_systemd(tmp_path: Path) -> None:
    cfg = load(tmp_path, "", STATE_DIRECTORY="/var/lib/monitor")
    assert cfg.state_dir == Path("/var/lib/monitor")


def test_a_settings_check_names_the_file_and_account(tmp_path: Path) -> None:
    text = (
        "[[accounts]]\nname = 'x-main'\nplatform = 'x'\naccount_id = '123'\nhandle = '@not a handle'\n"
        "bearer_token = { env = 'T' }\n"
    )
    with pytest.raises(ConfigError) as err:
        load(tmp_path, text, T="token")
    assert err.value.key == "accounts[x-main].handle"
    assert str(err.value).startswith(f"{tmp_path / 'monitor.toml'}: accounts[x-main].handle: ")


def test_relative_directories_are_relative_to_the_config_file(tmp_path: Path) -> None:
    cfg = load(tmp_path, '[alerts]\noutbox_dir = "mail/outbox"\ntemplates_dir = "templates"\n')
    assert cfg.outbox_dir == tmp_path / "mail" / "outbox"
    assert cfg.alerts.templates_dir == str(tmp_path / "templates")


def test_the_acting_blocks_work_once_uncommented(tmp_path: Path) -> None:
    """`[[people]]`, `[imap]` and `[web]` in the example are valid as written once uncommented."""
    import re

    text = EXAMPLE.read_text(encoding="utf-8")
    start, end = "# --- acting on alerts", "# --- end of acting on alerts ---"
    head, rest = text.split(start, 1)
    block, tail = rest.split(end, 1)
    setting = re.compile(r"^# (\[\[people\]\]|\[imap\]|\[web\]|[a-z_]+ = )")
    block = "\n".join(line[2:] if setting.match(line) else line for line in block.splitlines())
    body = head + start + block + end + tail
    cfg = load(tmp_path, body, **_credentials(tmp_path, body))
    assert [(p.name, p.email, p.role) for p in cfg.people][:1] == [("Jo Smith", "md@example.org", "md")]
    assert cfg.imap is not None and cfg.imap.reply_to == "monitor@example.org"
    assert cfg.web.enabled and cfg.web.base_url == "https://monitor.example.org"
    assert cfg.web.secret_key is not None and "secret-value" not in json.dumps(config_mod.masked(cfg))


def test_people_and_the_alert_addresses_are_one_list(tmp_path: Path) -> None:
    cfg = load(
        tmp_path,
        '[alerts]\nrecipients = ["MD@example.org"]\ndeputies = ["dep@example.org"]\noperator = ["it@example.org"]\n'
        '[[people]]\nname = "Amara"\nemail = "md@example.org"\nrole = "md"\n'
        '[[people]]\nname = "Ben"\nemail = "ben@example.org"\nrole = "deputy"\n'
        '[[people]]\nname = "Chloe"\nemail = "chloe@example.org"\nrole = "staff"\n',
    )
    assert cfg.alerts.recipients == ("MD@example.org",)  # already there: not added twice
    assert cfg.alerts.deputies == ("dep@example.org", "ben@example.org")
    assert cfg.alerts.operator == ("it@example.org",)
    roles = {p.email: (p.name, p.role) for p in cfg.people}
    assert roles == {
        "md@example.org": ("Amara", "md"),
        "ben@example.org": ("Ben", "deputy"),
        "chloe@example.org": ("Chloe", "staff"),
        "dep@example.org": ("dep@example.org", "deputy"),
        "it@example.org": ("it@example.org", "operator"),
    }
    assert cfg.person("Amara <MD@Example.org>") == cfg.people[0]
    assert cfg.person("stranger@example.org") is None


@pytest.mark.parametrize(
    ("body", "key", "message"),
    [
        ('[[people]]\nname = "A"\nemail = "a@x.org"\nrole = "boss"\n', "people[0].role", "expected one of"),
        ('[[people]]\nname = "A"\nemail = "not an address"\nrole = "md"\n', "people[0].email", "one email address"),
        ('[[people]]\nname = "A"\nemail = "a@x.org"\nrole = "md"\n[[people]]\nname = "B"\nemail = "A@x.org"\nrole = "staff"\n', "people[1].email", "already listed"),
        ('[[people]]\nname = "A"\nemail = "a@x.org"\nrole = "md"\ncolour = "red"\n', "people[0].colour", "unknown key"),
        ('[web]\nbind = "8080"\n', "web.bind", "HOST:PORT"),
        ('[web]\nbase_url = "monitor.example.org"\n', "web.base_url", "public address"),
        ('[web]\nsecret_key = "plain text"\n', "web.secret_key", "by reference"),
        ('[imap]\nhost = "h"\nusername = "u"\npassword = { env = "P" }\nreply_to = "m@x.org"\nsecurity = "none"\n', "imap.security", "allow_insecure"),
        ('[imap]\nhost = "h"\nusername = "u"\npassword = { env = "P" }\nreply_to = "m+x@x.org"\n', "imap.reply_to", "plain address"),
        ('[imap]\nhost = "h"\nusername = "u"\npassword = { env = "P" }\n', "imap", "missing required key 'reply_to'"),
    ],
    ids=["role", "email", "duplicate", "unknown-key", "bind", "base-url", "secret-in-file", "insecure", "plus", "reply-to"],
)  # fmt: skip
def test_acting_settings_are_checked(tmp_path: Path, body: str, key: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, body, P="x")
    assert caught.value.key == key and message in str(caught.value), str(caught.value)
