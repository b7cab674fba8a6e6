"""Typed configuration, validated once at load.

One TOML file, found by `-c/--config`, then `$MONITOR_CONFIG`, then `SEARCH_PATH`.
Every error names the file, the key and what is expected; unknown keys are errors.
Secrets are given by reference only and resolved here, once:

    password = { env = "SMTP_PASSWORD" }          # an environment variable
    password = { file = "/etc/monitor/smtp.pw" }  # a file (first line)
    password = { credential = "smtp_password" }   # systemd LoadCredential= ($CREDENTIALS_DIRECTORY)

This module is the only place that reads the environment.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

from monitor.errors import ConfigError
from monitor.types import LABELS, Severity

APP = "monitor"
SEARCH_PATH: tuple[Path, ...] = (
    Path("monitor.toml"),
    Path(platformdirs.user_config_dir(APP)) / "monitor.toml",
    Path("/etc/monitor/monitor.toml"),
)
DEMO_CONFIG = Path(__file__).parent / "demo" / "demo.toml"


class Secret:
    """A secret value: never printed. `reveal()` is the only way to read it."""

    __slots__ = ("_value", "source")

    def __init__(self, value: str, source: str) -> None:
        self._value = value
        self.source = source  # e.g. "env:SMTP_PASSWORD" — safe to print

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({self.source})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


DEFAULT_SEVERITY: Mapping[str, Severity] = {
    "risk_to_life": Severity.URGENT,
    "threat": Severity.URGENT,
    "confidentiality_risk": Severity.URGENT,
    "harassment": Severity.HIGH,
    "hate": Severity.HIGH,
    "negative_publicity": Severity.HIGH,
    "engagement": Severity.LOW,
    "spam": Severity.LOW,
}


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: Secret | None = None
    ca_file: str | None = None  # trust this CA bundle instead of the system's
    allow_insecure: bool = False  # permit security = "none" (a local relay only)
    timeout_seconds: float = 30.0


@dataclass(frozen=True)
class AlertsConfig:
    recipients: tuple[str, ...] = ()  # the Managing Director
    deputies: tuple[str, ...] = ()  # also receive escalations
    operator: tuple[str, ...] = ()  # receive operator notices (dead tokens, failures)
    sender: str = "monitor@localhost"
    outbox_dir: str | None = None  # default: <state_dir>/outbox
    group_minutes: int = 5
    quiet_hours: str | None = None  # "22:00-07:00": high alerts held until the end
    escalate_after_minutes: int = 120
    max_escalations: int = 3  # re-sends of one unacknowledged urgent alert (0: never)
    give_up_after_hours: int = 48
    include_full_text: bool = False  # email confidentiality_risk text unmasked
    severity: Mapping[str, Severity] = field(default_factory=lambda: dict(DEFAULT_SEVERITY))
    templates_dir: str | None = None  # your own copies of the guidance templates
    region: Literal["england", "scotland", "wales", "northern_ireland"] = "england"
    ack_instructions: str = "Run `monitor alerts ack {alert_id}` on the monitoring server."


ROLES = ("md", "deputy", "staff", "operator")


@dataclass(frozen=True)
class PersonConfig:
    """Someone who acts on alerts: signs in to the web inbox, replies to alert emails."""

    name: str
    email: str
    role: Literal["md", "deputy", "staff", "operator"]


@dataclass(frozen=True)
class WebConfig:
    enabled: bool = False  # serve the web inbox inside `monitor run`
    bind: str = "127.0.0.1:8080"  # HOST:PORT; loopback, behind a reverse proxy with HTTPS
    base_url: str | None = None  # the public address: buttons and sign-in links in emails
    secret_key: Secret | None = None  # signs session cookies; default: a new one at every start
    session_hours: int = 12
    secure_cookies: bool | None = None  # default: true when base_url is https
    trusted_proxies: int = 0  # reverse proxies in front (X-Forwarded-For/-Proto/-Host honoured)


@dataclass(frozen=True)
class ImapConfig:
    """The mailbox replies to alerts arrive in (acknowledge by replying)."""

    host: str
    username: str
    password: Secret
    reply_to: str  # alerts' Reply-To is this address plus a per-alert tag: monitor+a12-<token>@…
    port: int = 993
    security: Literal["tls", "starttls", "none"] = "tls"
    mailbox: str = "INBOX"
    poll_seconds: int = 60  # with IDLE, also the longest a connection idles before it is renewed
    ca_file: str | None = None
    allow_insecure: bool = False  # permit security = "none" (a server on this machine only)
    timeout_seconds: float = 30.0


@dataclass(frozen=True)
class DigestConfig:
    day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    time: str = "08:00"
    recipients: tuple[str, ...] = ()  # default: alerts.recipients


@dataclass(frozen=True)
class RetentionConfig:
    text_days: int = 90  # comment text older than this is erased; counts survive
    keep_raw: bool = False  # keep the platform's raw payload (debugging only)


@dataclass(frozen=True)
class ClassifierConfig:
    backend: str = "default"
    options: Mapping[str, Any] = field(default_factory=dict)
    batch_size: int = 500


@dataclass(frozen=True)
class AccountConfig:
    name: str
    platform: str
    account_id: str
    display_name: str = ""
    enabled: bool = True
    interval_minutes: int = 10
    settings: Any = None  # the connector's own Settings dataclass


@dataclass(frozen=True)
class Config:
    path: Path | None  # None for the built-in defaults
    organisation: str = "Our organisation"
    state_dir: Path = Path(platformdirs.user_state_dir(APP))
    database: str | Secret | None = None  # default: sqlite in state_dir
    timezone: str = "Europe/London"
    accounts: tuple[AccountConfig, ...] = ()
    classifier: ClassifierConfig = ClassifierConfig()
    alerts: AlertsConfig = AlertsConfig()
    smtp: SmtpConfig | None = None
    digest: DigestConfig = DigestConfig()
    retention: RetentionConfig = RetentionConfig()
    # Everyone who acts: `[[people]]` plus alerts.recipients (md), deputies and operator.
    people: tuple[PersonConfig, ...] = ()
    web: WebConfig = WebConfig()
    imap: ImapConfig | None = None

    def person(self, address: str) -> PersonConfig | None:
        """The configured person with this email address (compared case-insensitively)."""
        wanted = normal_address(address)
        return next((p for p in self.people if normal_address(p.email) == wanted), None)

    @property
    def classifier_options(self) -> dict[str, Any]:
        """What the classifier backend is built with: ``[classifier.options]`` and the organisation's
        name (``[monitor] organisation``, unless the options name one)."""
        return {"organisation": self.organisation, **self.classifier.options}

    @property
    def database_url(self) -> str:
        if self.database is None:
            return f"sqlite:///{self.state_dir / 'monitor.db'}"
        return self.database.reveal() if isinstance(self.database, Secret) else self.database

    @property
    def outbox_dir(self) -> Path:
        return Path(self.alerts.outbox_dir) if self.alerts.outbox_dir else self.state_dir / "outbox"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


# ---------------------------------------------------------------- loading


def find_config(explicit: str | Path | None, *, environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if explicit:
        return Path(explicit)
    if env.get("MONITOR_CONFIG"):
        return Path(env["MONITOR_CONFIG"])
    for candidate in SEARCH_PATH:
        if candidate.is_file():
            return candidate
    searched = ", ".join(str(p) for p in SEARCH_PATH)
    raise ConfigError(
        f"no configuration file found (looked in {searched}). "
        "Run `monitor init` to write one, or try `monitor scan --demo`."
    )


def load(
    explicit: str | Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    state_dir: Path | None = None,
) -> Config:
    path = find_config(explicit, environ=environ)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("file not found", path=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot be read: {exc}", path=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"is not valid TOML: {exc}", path=str(path)) from None
    return parse(raw, path=path, environ=environ, state_dir=state_dir)


def load_demo(state_dir: Path | None = None) -> Config:
    """The bundled demo: replay accounts over the sample data, its own state directory."""
    demo_state = state_dir or Path(platformdirs.user_state_dir(APP)) / "demo"
    return load(DEMO_CONFIG, environ={}, state_dir=demo_state)


def parse(
    raw: Mapping[str, Any],
    *,
    path: Path | None = None,
    environ: Mapping[str, str] | None = None,
    state_dir: Path | None = None,
) -> Config:
    ctx = _Ctx(str(path) if path else "<config>", os.environ if environ is None else environ, path)
    table = dict(raw)
    top = table.pop("monitor", {})
    _expect_table(ctx, "monitor", top)
    accounts_raw = table.pop("accounts", [])
    sections: dict[str, Any] = {}
    for key, cls in (
        ("classifier", ClassifierConfig),
        ("alerts", AlertsConfig),
        ("smtp", SmtpConfig),
        ("digest", DigestConfig),
        ("retention", RetentionConfig),
        ("web", WebConfig),
        ("imap", ImapConfig),
    ):
        if key in table:
            sections[key] = _build(ctx, cls, table.pop(key), key)
    if "alerts" in sections:  # a partial [alerts.severity] overrides only the labels it names
        alerts = sections["alerts"]
        sections["alerts"] = dataclasses.replace(
            alerts,
            severity={**DEFAULT_SEVERITY, **alerts.severity},
            # Relative directories are relative to the configuration file, as state_dir is
            # (a daemon's working directory is /).
            outbox_dir=_beside(path, alerts.outbox_dir),
            templates_dir=_beside(path, alerts.templates_dir),
        )
    people_raw = table.pop("people", [])
    for key in table:
        raise ConfigError(
            "unknown section (expected one of: monitor, accounts, people, classifier, alerts, smtp, "
            "imap, web, digest, retention)",
            path=ctx.file,
            key=key,
        )
    general = _build(ctx, _General, top, "monitor")
    if state_dir is None:
        state_dir = Path(general.state_dir) if general.state_dir else _default_state_dir(ctx)
        if not state_dir.is_absolute() and path is not None:
            state_dir = path.parent / state_dir
    state_dir = state_dir.absolute()
    accounts = _accounts(ctx, accounts_raw)
    people, sections["alerts"] = _people(ctx, people_raw, sections.get("alerts", AlertsConfig()))
    if "imap" in sections:
        sections["imap"] = dataclasses.replace(
            sections["imap"], ca_file=_beside(path, sections["imap"].ca_file)
        )
    config = Config(
        path=path,
        organisation=general.organisation,
        state_dir=state_dir,
        database=general.database,
        timezone=general.timezone,
        accounts=accounts,
        people=people,
        **sections,
    )
    _check(ctx, config)
    return config


@dataclass(frozen=True)
class _General:
    organisation: str = "Our organisation"
    state_dir: str | None = None
    database: str | Secret | None = None
    timezone: str = "Europe/London"


def _beside(config_path: Path | None, value: str | None) -> str | None:
    if value is None or config_path is None or Path(value).is_absolute():
        return value
    return str((config_path.parent / value).absolute())


def _default_state_dir(ctx: _Ctx) -> Path:
    # systemd's StateDirectory= sets $STATE_DIRECTORY; otherwise the XDG state directory.
    if ctx.environ.get("STATE_DIRECTORY"):
        return Path(ctx.environ["STATE_DIRECTORY"].split(":")[0])
    return Path(platformdirs.user_state_dir(APP))


def _accounts(ctx: _Ctx, raw: Any) -> tuple[AccountConfig, ...]:
    from connectors.base import connector_class

    if not isinstance(raw, list):
        raise ConfigError("expected an array of tables: [[accounts]]", path=ctx.file, key="accounts")
    seen: set[str] = set()
    result = []
    for index, entry in enumerate(raw):
        where = f"accounts[{index}]"
        _expect_table(ctx, where, entry)
        entry = dict(entry)
        generic = {f.name for f in dataclasses.fields(AccountConfig)} - {"settings"}
        base = {k: entry.pop(k) for k in list(entry) if k in generic}
        for required in ("name", "platform", "account_id"):
            if required not in base:
                raise ConfigError(f"missing required key {required!r}", path=ctx.file, key=where)
        where = f"accounts[{base['name']}]"
        try:
            cls = connector_class(str(base["platform"]))
        except ConfigError as exc:
            raise ConfigError(str(exc), path=ctx.file, key=f"{where}.platform") from None
        settings = _build(ctx, cls.Settings, entry, where)
        # Convention: a connector setting called `path` is relative to the config file.
        path_value = getattr(settings, "path", None)
        if isinstance(path_value, str) and ctx.path is not None and not Path(path_value).is_absolute():
            settings = dataclasses.replace(settings, path=str(ctx.path.parent / path_value))
        account = _build(ctx, AccountConfig, {**base, "settings": None}, where)
        if account.name in seen:
            raise ConfigError("duplicate account name", path=ctx.file, key=f"{where}.name")
        seen.add(account.name)
        result.append(dataclasses.replace(account, settings=settings))
    return tuple(result)


def normal_address(address: str) -> str:
    """An email address as compared: the address part only, trimmed, lower case."""
    from email.utils import parseaddr

    return parseaddr(address.strip())[1].strip().lower()


_ROLE_KEYS = {"md": "recipients", "deputy": "deputies", "operator": "operator"}


def _people(ctx: _Ctx, raw: Any, alerts: AlertsConfig) -> tuple[tuple[PersonConfig, ...], AlertsConfig]:
    """`[[people]]` and the alert addresses, as one list: neither is a second source of truth.

    A person with role md is an alert recipient, a deputy a deputy, an operator gets operator
    notices; an address in alerts.recipients/deputies/operator that `[[people]]` does not
    name is a person with that role (named by the address).
    """
    if not isinstance(raw, list):
        raise ConfigError("expected an array of tables: [[people]]", path=ctx.file, key="people")
    people: list[PersonConfig] = []
    seen: dict[str, str] = {}
    for index, entry in enumerate(raw):
        where = f"people[{index}]"
        person = _build(ctx, PersonConfig, entry, where)
        address = normal_address(person.email)
        if "@" not in address or address != person.email.strip().lower():
            raise ConfigError(
                f"expected one email address, got {person.email!r}", path=ctx.file, key=f"{where}.email"
            )
        if address in seen:
            raise ConfigError(
                f"{person.email} is already listed (as {seen[address]}); one role per person",
                path=ctx.file,
                key=f"{where}.email",
            )
        seen[address] = person.role
        people.append(dataclasses.replace(person, email=address))
    lists = {role: list(getattr(alerts, key)) for role, key in _ROLE_KEYS.items()}
    for person in people:
        if person.role in lists and person.email not in (normal_address(a) for a in lists[person.role]):
            lists[person.role].append(person.email)
    for role, key in _ROLE_KEYS.items():
        for address in getattr(alerts, key):
            if normal_address(address) not in seen:
                seen[normal_address(address)] = role
                people.append(PersonConfig(name=address, email=normal_address(address), role=role))  # type: ignore[arg-type]
    merged = dataclasses.replace(
        alerts,
        recipients=tuple(lists["md"]),
        deputies=tuple(lists["deputy"]),
        operator=tuple(lists["operator"]),
    )
    return tuple(people), merged


def _check_web(ctx: _Ctx, config: Config) -> None:
    from urllib.parse import urlsplit

    host, sep, port = config.web.bind.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(
            f"expected HOST:PORT (e.g. '127.0.0.1:8080'), got {config.web.bind!r}",
            path=ctx.file,
            key="web.bind",
        )
    if config.web.base_url is not None:
        parts = urlsplit(config.web.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise ConfigError(
                f"expected the public address, e.g. 'https://monitor.example.org', got {config.web.base_url!r}",
                path=ctx.file,
                key="web.base_url",
            )
    if config.web.session_hours < 1:
        raise ConfigError("expected at least 1 hour", path=ctx.file, key="web.session_hours")
    imap = config.imap
    if imap is not None:
        if imap.security == "none" and not imap.allow_insecure:
            raise ConfigError(
                "security = 'none' sends the IMAP password unencrypted; set allow_insecure = true only "
                "for a server on this machine, or use 'tls' or 'starttls'",
                path=ctx.file,
                key="imap.security",
            )
        local, at, domain = normal_address(imap.reply_to).partition("@")
        if not at or not local or not domain or "+" in local:
            raise ConfigError(
                f"expected a plain address such as 'monitor@example.org' (the monitor adds a +tag), got {imap.reply_to!r}",
                path=ctx.file,
                key="imap.reply_to",
            )
        if imap.poll_seconds < 5:
            raise ConfigError("expected at least 5 seconds", path=ctx.file, key="imap.poll_seconds")


def _check(ctx: _Ctx, config: Config) -> None:
    _check_web(ctx, config)
    try:
        ZoneInfo(config.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown time zone {config.timezone!r} (e.g. 'Europe/London')",
            path=ctx.file,
            key="monitor.timezone",
        ) from None
    for label in config.alerts.severity:
        if label not in LABELS:
            raise ConfigError(
                f"unknown label (expected one of: {', '.join(LABELS)})",
                path=ctx.file,
                key=f"alerts.severity.{label}",
            )
    for key, value in (("digest.time", config.digest.time),):
        try:
            time.fromisoformat(value)
        except ValueError:
            raise ConfigError(f"expected HH:MM, got {value!r}", path=ctx.file, key=key) from None
    if config.alerts.quiet_hours is not None:
        parts = config.alerts.quiet_hours.split("-")
        try:
            if len(parts) != 2:
                raise ValueError
            for part in parts:
                time.fromisoformat(part.strip())
        except ValueError:
            raise ConfigError(
                f"expected 'HH:MM-HH:MM' (e.g. '22:00-07:00'), got {config.alerts.quiet_hours!r}",
                path=ctx.file,
                key="alerts.quiet_hours",
            ) from None
    smtp = config.smtp
    if smtp is not None and smtp.security == "none" and not smtp.allow_insecure:
        raise ConfigError(
            "security = 'none' sends mail unencrypted; set allow_insecure = true if this is a "
            "local relay you trust, or use 'starttls' or 'tls'",
            path=ctx.file,
            key="smtp.security",
        )


# ---------------------------------------------------------------- generic validation


@dataclass
class _Ctx:
    file: str
    environ: Mapping[str, str]
    path: Path | None


def _expect_table(ctx: _Ctx, key: str, value: Any) -> None:
    if not isinstance(value, dict):
        raise ConfigError(f"expected a table, got {_kind(value)}", path=ctx.file, key=key)


def _kind(value: Any) -> str:
    return {
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "true/false",
        list: "an array",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def _build(ctx: _Ctx, cls: type[Any], table: Any, where: str) -> Any:
    """Build dataclass `cls` from a TOML table, checking every key and type."""
    _expect_table(ctx, where, table)
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in table:
        if key not in fields:
            allowed = ", ".join(sorted(k for k in fields if k != "settings"))
            raise ConfigError(f"unknown key (allowed here: {allowed})", path=ctx.file, key=f"{where}.{key}")
    values = {}
    for name, f in fields.items():
        if name in table:
            values[name] = _convert(ctx, hints[name], table[name], f"{where}.{name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(f"missing required key {name!r}", path=ctx.file, key=where)
    try:
        return cls(**values)
    except ConfigError as exc:  # a settings class's own check (__post_init__): add where it was
        key = f"{where}.{exc.key}" if exc.key else where
        message = str(exc)
        if exc.key and message.startswith(f"{exc.key}: "):
            message = message[len(exc.key) + 2 :]
        raise ConfigError(message, path=ctx.file, key=key) from None


def _convert(ctx: _Ctx, hint: Any, value: Any, key: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if Secret in options and isinstance(value, dict):
            return _secret(ctx, value, key)
        errors = []
        for option in options:
            try:
                return _convert(ctx, option, value, key)
            except ConfigError as exc:
                errors.append(exc)
        raise errors[0]
    if hint is Any:
        return value
    if hint is Secret:
        if not isinstance(value, dict):
            raise ConfigError(
                'secrets are given by reference: { env = "NAME" }, { file = "/path" } or '
                '{ credential = "name" } (systemd LoadCredential=)',
                path=ctx.file,
                key=key,
            )
        return _secret(ctx, value, key)
    if origin is Literal:
        if value not in args:
            expected = ", ".join(repr(a) for a in args)
            raise ConfigError(f"expected one of {expected}, got {value!r}", path=ctx.file, key=key)
        return value
    if isinstance(hint, type) and issubclass(hint, Severity):
        try:
            return Severity(value)
        except ValueError:
            expected = ", ".join(s.value for s in Severity)
            raise ConfigError(f"expected one of {expected}, got {value!r}", path=ctx.file, key=key) from None
    if origin in (tuple, list):
        if not isinstance(value, list):
            hint_text = f": write [{_toml_value(value)}]" if isinstance(value, (str, int, float)) else ""
            raise ConfigError(f"expected an array, got {_kind(value)}{hint_text}", path=ctx.file, key=key)
        return tuple(_convert(ctx, args[0], v, f"{key}[{i}]") for i, v in enumerate(value))
    if origin in (Mapping, dict) or hint is dict:
        _expect_table(ctx, key, value)
        value_hint = args[1] if args else Any
        return {k: _convert(ctx, value_hint, v, f"{key}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _build(ctx, hint, value, key)
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"expected true or false, got {_kind(value)}", path=ctx.file, key=key)
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"expected a whole number, got {_kind(value)}", path=ctx.file, key=key)
        if value < 0:
            raise ConfigError(f"expected a number ≥ 0, got {value}", path=ctx.file, key=key)
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"expected a number, got {_kind(value)}", path=ctx.file, key=key)
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"expected a string, got {_kind(value)}", path=ctx.file, key=key)
        return value
    raise ConfigError(f"unsupported setting type {hint!r}", path=ctx.file, key=key)


def _secret(ctx: _Ctx, ref: Mapping[str, Any], key: str) -> Secret:
    if len(ref) != 1 or not isinstance(next(iter(ref.values())), str):
        raise ConfigError(
            "a secret reference has exactly one of: env, file, credential (a string)",
            path=ctx.file,
            key=key,
        )
    kind, name = next(iter(ref.items()))
    if kind == "env":
        if name not in ctx.environ or not ctx.environ[name]:
            raise ConfigError(f"environment variable {name} is not set", path=ctx.file, key=key)
        return Secret(ctx.environ[name], f"env:{name}")
    if kind == "file":
        target = Path(name)
        if not target.is_absolute() and ctx.path is not None:
            target = ctx.path.parent / target
        return Secret(_read_secret_file(ctx, target, key), f"file:{target}")
    if kind == "credential":
        directory = ctx.environ.get("CREDENTIALS_DIRECTORY")
        if not directory:
            raise ConfigError(
                f"credential {name!r} needs systemd's LoadCredential= ($CREDENTIALS_DIRECTORY is "
                'not set); outside systemd use { file = "..." } or { env = "..." }',
                path=ctx.file,
                key=key,
            )
        return Secret(_read_secret_file(ctx, Path(directory) / name, key), f"credential:{name}")
    raise ConfigError(
        f"unknown secret reference {kind!r} (expected env, file or credential)",
        path=ctx.file,
        key=key,
    )


def _read_secret_file(ctx: _Ctx, target: Path, key: str) -> str:
    try:
        text = target.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(
            f"cannot read secret file {target}: {exc.strerror}", path=ctx.file, key=key
        ) from None
    if not text:
        raise ConfigError(f"secret file {target} is empty", path=ctx.file, key=key)
    return text.splitlines()[0]


def masked(config: Config) -> dict[str, Any]:
    """The effective configuration as plain data, secrets replaced by their source."""

    def plain(value: Any) -> Any:
        if isinstance(value, Secret):
            return f"<secret from {value.source}>"
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, Mapping):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, tuple | list):
            return [plain(v) for v in value]
        if isinstance(value, Path):
            return str(value)
        if isinstance(value, Severity):
            return value.value
        return value

    data = plain(config)
    if config.database is None:
        data["database"] = config.database_url
    elif isinstance(config.database, str) and "@" in config.database:
        data["database"] = _mask_url(config.database)
    return dict(data)


def _mask_url(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    creds, _, host = rest.rpartition("@")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


def _toml_value(value: str | int | float) -> str:
    """`value` as TOML would spell it, to show the fix inside an array."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)
