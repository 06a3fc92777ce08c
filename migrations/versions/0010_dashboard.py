"""dashboard sign-ins: one-time login tokens and browser sessions (issue 17)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 22:40:00

(0009 is the certificates' migration, made at the same time: when both are merged, this one
is re-chained to come after it.)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | Sequence[str] | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _common(name: str) -> list[sa.Column | sa.Constraint]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f(f"fk_{name}_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("token_hash", name=op.f(f"uq_{name}_token_hash")),
    ]


def upgrade() -> None:
    op.create_table(
        "dashboard_login_tokens",
        *_common("dashboard_login_tokens"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        op.f("ix_dashboard_login_tokens_participant_id"),
        "dashboard_login_tokens",
        ["participant_id"],
        unique=False,
    )
    op.create_table(
        "dashboard_sessions",
        *_common("dashboard_sessions"),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        op.f("ix_dashboard_sessions_participant_id"),
        "dashboard_sessions",
        ["participant_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_dashboard_sessions_expires_at"), "dashboard_sessions", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_dashboard_sessions_expires_at"), table_name="dashboard_sessions")
    op.drop_index(op.f("ix_dashboard_sessions_participant_id"), table_name="dashboard_sessions")
    op.drop_table("dashboard_sessions")
    op.drop_index(
        op.f("ix_dashboard_login_tokens_participant_id"), table_name="dashboard_login_tokens"
    )
    op.drop_table("dashboard_login_tokens")
