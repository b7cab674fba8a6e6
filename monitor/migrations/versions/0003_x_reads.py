"""X reads: owned reads counted apart, resources billed once per UTC day, X marks' floor

Revision ID: 0002_x_reads
Revises: 0002
Create Date: 2026-12-07

- usage.owned_reads: the day's billed reads that were owned reads (priced lower).
- billed_reads: the resources billed today and yesterday, so a second read the same UTC day
  is not counted again (older days are deleted as reads are recorded).
- X marks get `floor` in their extra: the oldest time the stream has read from, so that
  `monitor scan --since` only pays for the window before it. Existing marks take the time
  of the account's oldest stored item: nothing older than that was read.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op


revision = "0002_x_reads"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("usage", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owned_reads", sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "billed_reads",
        sa.Column("account", sa.String(length=100), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("resource", sa.String(length=300), nullable=False),
        sa.Column("route", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("account", "day", "resource"),
    )
    _floor_x_marks()


def _floor_x_marks() -> None:
    conn = op.get_bind()
    marks = sa.table(
        "marks", sa.column("account", sa.String), sa.column("stream", sa.String), sa.column("extra", sa.JSON)
    )
    accounts = sa.table("accounts", sa.column("name", sa.String), sa.column("platform", sa.String))
    items = sa.table("items", sa.column("account", sa.String), sa.column("created_at", sa.DateTime))
    rows = conn.execute(
        sa.select(marks.c.account, marks.c.stream, marks.c.extra)
        .join(accounts, accounts.c.name == marks.c.account)
        .where(accounts.c.platform == "x")
    ).all()
    for account, stream, extra in rows:
        data = dict(extra or {})
        if "floor" in data:
            continue
        oldest = conn.execute(sa.select(sa.func.min(items.c.created_at)).where(items.c.account == account)).scalar()
        if isinstance(oldest, str):  # SQLite hands back text from an aggregate
            oldest = datetime.fromisoformat(oldest)
        if not isinstance(oldest, datetime):
            continue
        oldest = oldest.replace(tzinfo=UTC) if oldest.tzinfo is None else oldest.astimezone(UTC)
        data["floor"] = oldest.strftime("%Y-%m-%dT%H:%M:%SZ")
        conn.execute(
            marks.update().where(marks.c.account == account, marks.c.stream == stream).values(extra=data)
        )


def downgrade() -> None:
    op.drop_table("billed_reads")
    with op.batch_alter_table("usage", schema=None) as batch_op:
        batch_op.drop_column("owned_reads")
