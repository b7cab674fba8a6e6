"""The single-instance lock: one daemon per database (and per PostgreSQL schema)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from monitor.errors import AlreadyRunning
from monitor.store import Store, open_store


@pytest.fixture
def second_postgres_url(postgres_url: str) -> Iterator[str]:
    """Another schema on the same server and database."""
    from tests.conftest import POSTGRES_URL

    schema = "t_other_" + postgres_url.rsplit("%3D", 1)[1][-8:]
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_second_daemon_refused_on_the_same_database(database_url: str) -> None:
    first, second = open_store(database_url), open_store(database_url)
    try:
        first.acquire_lock()
        assert first.lock_held()
        with pytest.raises(AlreadyRunning, match="already running"):
            second.acquire_lock()
        first.release_lock()
        second.acquire_lock()  # free again once the first has gone
        assert second.lock_held() and not first.lock_held()
    finally:
        first.close()
        second.close()


@pytest.mark.postgres
def test_postgres_lock_is_per_schema(postgres_url: str, second_postgres_url: str) -> None:
    a, b = open_store(postgres_url), open_store(second_postgres_url)
    try:
        a.acquire_lock()
        b.acquire_lock()  # another schema is another monitor: both may run
        assert a.lock_held() and b.lock_held()
    finally:
        a.close()
        b.close()


@pytest.mark.postgres
def test_lock_lost_with_the_session_is_noticed_and_taken_back(postgres_url: str) -> None:
    store: Store = open_store(postgres_url)
    try:
        store.acquire_lock()
        assert store._lock_conn is not None
        pid = store._lock_conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        store._lock_conn.commit()
        with store.engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        assert not store.lock_held()
        store.acquire_lock()
        assert store.lock_held()
    finally:
        store.close()


def test_sqlite_lock_names_the_holder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    first, second = open_store(url), open_store(url)
    try:
        first.acquire_lock()
        with pytest.raises(AlreadyRunning, match=r"\(pid \d+\)"):
            second.acquire_lock()
    finally:
        first.close()
        second.close()


def test_one_sqlite_file_one_daemon_even_through_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "data" / "monitor.db"
    real.parent.mkdir()
    open_store(f"sqlite:///{real}").close()
    other = tmp_path / "monitor.db"
    other.symlink_to(real)  # e.g. /var/lib/monitor/monitor.db -> /srv/monitor.db
    first, second = open_store(f"sqlite:///{real}"), open_store(f"sqlite:///{other}")
    try:
        first.acquire_lock()
        with pytest.raises(AlreadyRunning, match="already running"):
            second.acquire_lock()
    finally:
        first.close()
        second.close()


def test_processes_starting_together_on_a_new_database_all_open_it(database_url: str, tmp_path: Path) -> None:
    """The service and a `monitor status` started at the same moment on a new database: one
    creates the tables, the others wait for it; none fails with "table already exists"."""
    import subprocess
    import sys

    start = tmp_path / "go"
    script = (
        "import os, sys, time\n"
        f"while not os.path.exists({str(start)!r}): time.sleep(0.001)\n"
        "from monitor.store import open_store\n"
        "open_store(sys.argv[1]).close()\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, database_url], stderr=subprocess.PIPE, text=True)
        for _ in range(6)
    ]
    start.touch()
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, "\n".join(errors)
    store = open_store(database_url, migrate=False)
    try:
        assert store.current_revision() is not None
    finally:
        store.close()
