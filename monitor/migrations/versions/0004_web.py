"""Acting on alerts: sign-in links and alert tokens, web sessions, rate limits, replies read, false alarms

Revision ID: 0004_web
Revises: 0002_x_reads
Create Date: 2026-12-07

- web_tokens: one-time sign-in links and per-alert reply/button tokens, as SHA-256 digests only.
- web_sessions: signed-in browsers (digest of the cookie's id), so signing out revokes at once.
- web_attempts: sign-in requests per address and per client (hashed), for rate limits.
- mail_seen: replies already handled (digest of the Message-ID), so none is applied twice.
- false_alarms: labels the MD marked wrong, per item (digest counts, `monitor feedback export`).
Alerts gain the state "dismissed" (a false alarm); the column is a string, so no change there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_web"
down_revision = "0002_x_reads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_tokens",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=300), nullable=True),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("digest"),
    )
    op.create_index("ix_web_tokens_alert_id", "web_tokens", ["alert_id"])
    op.create_table(
        "web_sessions",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
    )
    op.create_table(
        "web_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_web_attempts_key", "web_attempts", ["key"])
    op.create_table(
        "mail_seen",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
    )
    op.create_table(
        "false_alarms",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "label", name="uq_false_alarms_item_label"),
    )
    op.create_index("ix_false_alarms_alert_id", "false_alarms", ["alert_id"])
    op.create_index("ix_false_alarms_item_id", "false_alarms", ["item_id"])
    op.create_index("ix_false_alarms_at", "false_alarms", ["at"])


def downgrade() -> None:
    op.drop_table("false_alarms")
    op.drop_table("mail_seen")
    op.drop_index("ix_web_attempts_key", table_name="web_attempts")
    op.drop_table("web_attempts")
    op.drop_table("web_sessions")
    op.drop_index("ix_web_tokens_alert_id", table_name="web_tokens")
    op.drop_table("web_tokens")
