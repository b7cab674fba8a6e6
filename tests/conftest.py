"""Shared fixtures: a fake clock, real SQLite and real PostgreSQL stores, configs."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest

from monitor import config as config_mod
from monitor.store import Store, open_store
from monitor.types import LABELS, Classification, TextInput

DATA = Path(__file__).parent / "data"
POSTGRES_URL = os.environ.get(
    "MONITOR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


class FakeClock:
    """A clock tests move by hand: no sleeps."""

    def __init__(self, start: datetime = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture(scope="session", autouse=True)
def _cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The classifier's compiled prefilter is cached here, not in the user's cache directory."""
    old = os.environ.get("MONITOR_CACHE_DIR")
    os.environ["MONITOR_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if old is None:
        os.environ.pop("MONITOR_CACHE_DIR", None)
    else:
        os.environ["MONITOR_CACHE_DIR"] = old


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


class KeywordClassifier:
    """A deterministic classifier for pipeline tests: a label per keyword."""

    name = "keywords"
    KEYWORDS: ClassVar[dict[str, str]] = {
        "threat": "hurt you",
        "risk_to_life": "end it all",
        "harassment": "idiot",
        "negative_publicity": "waiting list",
        "confidentiality_risk": "saw tom",
        "engagement": "how do i book",
        "spam": "crypto",
    }

    def __init__(self, **_: Any) -> None:
        self.calls = 0

    def classify(self, inputs: Sequence[TextInput]) -> list[Classification]:
        self.calls += 1
        out = []
        for item in inputs:
            text = item.text.lower()
            labels = tuple(
                label for label in LABELS if label in self.KEYWORDS and self.KEYWORDS[label] in text
            )
            scores = {label: (0.9 if label in labels else 0.05) for label in (*LABELS, "offensive")}
            out.append(
                Classification(
                    labels, scores, {label: (f"keyword {self.KEYWORDS[label]!r}",) for label in labels}
                )
            )
        return out


def _postgres_reachable() -> str | None:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            pass
    except OSError as exc:
        return f"no PostgreSQL server at 127.0.0.1:5432 ({exc.strerror or exc})"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install -e '.[postgres]')"
    return None


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose connections use a fresh schema, dropped afterwards."""
    reason = _postgres_reachable()
    if reason:
        pytest.skip(reason)
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} refused: {exc.orig}")
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Run the test against real SQLite and real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'monitor.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    s = open_store(database_url)
    yield s
    s.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'monitor.db'}")
    yield s
    s.close()


def write_config(tmp_path: Path, text: str, name: str = "monitor.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def make_config(
    tmp_path: Path, body: str = "", *, environ: dict[str, str] | None = None, database: str | None = None
) -> config_mod.Config:
    """A config with a state dir in tmp_path; `body` adds sections and accounts."""
    db = f'database = "{database}"\n' if database else ""
    text = f'[monitor]\nstate_dir = "state"\n{db}\n[alerts]\nrecipients = ["md@example.org"]\noperator = ["ops@example.org"]\nsender = "monitor@example.org"\n\n{body}'
    return config_mod.load(write_config(tmp_path, text), environ=environ or {})


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[Any]:
    """One real dovecot for the session (skipped with a reason when it is not installed)."""
    from tests.alerts import imapserver

    if imapserver.DOVECOT is None:
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd; .ci/run does it)")
    with imapserver.running() as server:
        yield server


@pytest.fixture
def dovecot(dovecot_server: Any) -> Any:
    """The session's dovecot with an empty inbox."""
    dovecot_server.empty()
    return dovecot_server
