"""Opening the database, migrations, transactions and the single-instance lock."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from monitor.errors import AlreadyRunning, StorageError

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
PG_LOCK_KEY = "hashtextextended('community-monitor:' || current_database() || '.' || current_schema(), 0)"
PG_MIGRATE_KEY = PG_LOCK_KEY.replace("community-monitor:", "community-monitor-migrate:")


if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

# Alembic is imported where migrations run, not at import time: most commands only read.


def _alembic_config(connection: Connection | None = None) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def describe(exc: SQLAlchemyError) -> str:
    """The driver's first line, never the statement or its parameters (they hold comment text)."""
    orig = getattr(exc, "orig", None)
    detail = str(orig) if orig is not None else str(exc)
    first = detail.strip().splitlines()[0] if detail.strip() else ""
    return f"{exc.__class__.__name__}: {first[:300]}"


class Store:
    """The database: an engine, a session factory, and the daemon's lock."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        # Where platform usage (requests, billed X reads) is recorded: this store, or for a
        # throwaway copy (`scratch`) the real one, because the dry run's requests were real.
        self.spending: Store = self
        self._lock_file: IO[str] | None = None
        self._lock_conn: Connection | None = None

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed together or rolled back together."""
        with self.sessions() as session:
            try:
                with session.begin():
                    yield session
            except SQLAlchemyError as exc:
                raise StorageError(f"database error on {self.url}: {describe(exc)}") from exc

    def upgrade(self) -> list[str]:
        """Apply pending migrations; return the revisions applied."""
        from alembic import command
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        script = ScriptDirectory.from_config(_alembic_config())
        try:
            with self.engine.connect() as conn:
                if MigrationContext.configure(conn).get_current_revision() == script.get_current_head():
                    return []  # the usual case, without waiting for anyone
            # Two processes starting on a new database (the service and a `monitor status`) must
            # not both create the tables: one migrates, the other waits, then finds nothing to do.
            with self._migration_lock(), self.engine.begin() as conn:
                if self.engine.dialect.name == "postgresql":
                    conn.execute(text(f"SELECT pg_advisory_xact_lock({PG_MIGRATE_KEY})"))
                before = MigrationContext.configure(conn).get_current_revision()
                command.upgrade(_alembic_config(conn), "head")
                after = MigrationContext.configure(conn).get_current_revision()
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot migrate the database {self.url}: {exc}") from exc
        if before == after:
            return []
        applied = [r.revision for r in script.iterate_revisions(after, before)]
        return list(reversed(applied))

    @contextlib.contextmanager
    def _migration_lock(self) -> Iterator[None]:
        """SQLite: an exclusive flock on `<db>.migrate.lock`, held while migrating (waits for it)."""
        database = self.engine.url.database
        if self.engine.dialect.name != "sqlite" or not database or database == ":memory:":
            yield
            return
        with Path(os.path.realpath(database) + ".migrate.lock").open("a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def acquire_lock(self) -> None:
        """Hold the single-instance lock for this database until `close()`.

        SQLite: an exclusive flock on `<db>.lock`. PostgreSQL: a session advisory lock.
        """
        if self.engine.dialect.name == "sqlite":
            database = self.engine.url.database
            if not database or database == ":memory:":
                return
            # Keyed on the real file: a symlink or another spelling of the path is the same database.
            lock_path = Path(os.path.realpath(database) + ".lock")
            handle = lock_path.open("a+", encoding="utf-8")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                handle.close()
                raise AlreadyRunning(
                    f"another monitor daemon ({holder}) is already running on {database}; "
                    "stop it first (systemctl stop monitor)"
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}\n")
            handle.flush()
            self._lock_file = handle
        else:
            if self._lock_conn is not None:  # a session that died with the database: let it go
                with contextlib.suppress(SQLAlchemyError):
                    self._lock_conn.invalidate()
                self._lock_conn = None
            conn = self.engine.connect()
            # One daemon per database and schema: the key is derived from both, on the server.
            got = conn.execute(text(f"SELECT pg_try_advisory_lock({PG_LOCK_KEY})")).scalar()
            conn.commit()
            if not got:
                conn.close()
                raise AlreadyRunning(
                    f"another monitor daemon is already running on {self.url}; stop it first"
                )
            self._lock_conn = conn

    def lock_held(self) -> bool:
        """Whether this process still holds the single-instance lock (PostgreSQL loses it with the session)."""
        if self._lock_file is not None:
            return True
        if self._lock_conn is None:
            return False
        try:
            held = self._lock_conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND pid = pg_backend_pid()"
                )
            ).scalar()
            self._lock_conn.commit()
        except SQLAlchemyError:
            return False
        return bool(held)

    def release_lock(self) -> None:
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None
        if self._lock_conn is not None:
            # A pooled connection outlives close(): unlock explicitly, or drop the session.
            try:
                self._lock_conn.execute(text("SELECT pg_advisory_unlock_all()"))
                self._lock_conn.commit()
                self._lock_conn.close()
            except SQLAlchemyError:
                with contextlib.suppress(SQLAlchemyError):
                    self._lock_conn.invalidate()
            self._lock_conn = None

    def close(self) -> None:
        self.release_lock()
        self.engine.dispose()

    def scrub(self) -> None:
        """After an erasure: no copy of erased rows left in the database's files where we can help it.

        SQLite overwrites deleted content (secure_delete) and the write-ahead log is truncated
        here. PostgreSQL keeps dead row versions until its autovacuum reuses the space; a
        `VACUUM FULL` rewrites the tables at once (see the README's data-care section).
        """
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    @contextlib.contextmanager
    def scratch(self) -> Iterator[Store]:
        """A writable copy of this database, thrown away afterwards (`monitor scan --dry-run`).

        It starts from everything stored (items, marks, alerts, erasures), so what a dry run
        predicts is what the real run then does. SQLite: a backup into a temporary file.
        PostgreSQL: temporary copies of the tables, dropped with the transaction that holds them.
        Platform usage is the exception: it is recorded in this store (`spending`), because the
        platforms were really asked, and X charges for what was read.
        """
        with self._scratch() as scratch:
            scratch.spending = self
            yield scratch

    @contextlib.contextmanager
    def _scratch(self) -> Iterator[Store]:
        if self.engine.dialect.name == "sqlite":
            import sqlite3
            import tempfile

            with tempfile.TemporaryDirectory(prefix="monitor-dry-") as folder:
                target = Path(folder) / "dry.db"
                source = self.engine.raw_connection()
                try:
                    copy = sqlite3.connect(target)
                    source.driver_connection.backup(copy)  # type: ignore[union-attr]
                    copy.close()
                finally:
                    source.close()
                scratch = open_store(f"sqlite:///{target}", migrate=False)
                try:
                    yield scratch
                finally:
                    scratch.close()
            return
        # PostgreSQL: temporary copies of every table, in one transaction that is rolled back.
        # Temporary tables come first in the search path, so the dry run's statements reach
        # the copies and never lock a row that a running daemon needs.
        from monitor.store.schema import Base

        conn = self.engine.connect()
        outer = conn.begin()
        schema = conn.exec_driver_sql("SELECT current_schema()").scalar()
        for table in Base.metadata.sorted_tables:
            name = conn.dialect.identifier_preparer.quote(table.name)
            real = f"{conn.dialect.identifier_preparer.quote(str(schema))}.{name}"
            conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {name} (LIKE {real} INCLUDING ALL) ON COMMIT DROP")
            conn.exec_driver_sql(f"INSERT INTO pg_temp.{name} SELECT * FROM {real}")
        scratch = Store(self.engine)
        scratch.sessions = sessionmaker(
            bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield scratch
        finally:
            outer.rollback()
            conn.close()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA secure_delete=ON")  # erased text is overwritten, not left in free pages
    cursor.close()


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Open (and by default migrate) the database at `url`; say which and why if it cannot."""
    safe = _safe_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StorageError(
            f"not a database URL: {safe!r} (e.g. sqlite:////var/lib/monitor/monitor.db)"
        ) from None
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            directory = Path(parsed.database).parent
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(
                    f"cannot create the database directory {directory}: {exc.strerror}"
                ) from None
            if not os.access(directory, os.W_OK):
                raise StorageError(f"cannot open the database {safe}: directory {directory} is not writable")
    else:
        kwargs.update(pool_pre_ping=True, pool_recycle=1800)
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, ImportError) as exc:
        hint = " (install the [postgres] extra)" if "psycopg" in str(exc) else ""
        raise StorageError(f"cannot open the database {safe}: {exc}{hint}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    store = Store(engine)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        engine.dispose()
        orig = getattr(exc, "orig", None)
        reason = str(orig) if orig is not None else str(exc)
        raise StorageError(f"cannot open the database {safe}: {reason.strip()}") from None
    if migrate:
        store.upgrade()
    return store
