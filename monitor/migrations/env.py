"""Alembic environment: runs on the connection the storage layer hands over."""

from __future__ import annotations

from alembic import context

from monitor.store.schema import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when run by the alembic CLI by hand
    raise SystemExit("run migrations with `monitor db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
