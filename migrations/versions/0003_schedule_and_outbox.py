"""schedule, reminders, review cards and the outbox (issue 4)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | Sequence[str] | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cohorts") as batch:
        batch.add_column(
            sa.Column("lesson_days", sa.String(7), server_default="12345", nullable=False)
        )
        batch.add_column(
            sa.Column("lessons_per_day", sa.Integer(), server_default="1", nullable=False)
        )
        batch.add_column(
            sa.Column(
                "window_start", sa.Time(), server_default=sa.text("'08:00:00'"), nullable=False
            )
        )
        batch.add_column(
            sa.Column("window_end", sa.Time(), server_default=sa.text("'20:00:00'"), nullable=False)
        )
    with op.batch_alter_table("channel_identities") as batch:
        batch.add_column(sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("enrollments") as batch:
        batch.add_column(sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("paused_until", sa.Date(), nullable=True))
        batch.add_column(sa.Column("pause_reason", sa.String(16), nullable=True))
        batch.add_column(
            sa.Column("reminder_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(sa.Column("last_reminded_at", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "review_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrollment_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(24), nullable=False),
        sa.Column("card", sa.JSON(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviews", sa.Integer(), nullable=False),
        sa.Column("last_review_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollments.id"],
            name=op.f("fk_review_cards_enrollment_id_enrollments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_cards")),
        sa.UniqueConstraint(
            "enrollment_id", "question_id", name=op.f("uq_review_cards_enrollment_id_question_id")
        ),
    )
    op.create_index(op.f("ix_review_cards_enrollment_id"), "review_cards", ["enrollment_id"])
    op.create_index(op.f("ix_review_cards_due_at"), "review_cards", ["due_at"])

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("dedupe_key", sa.String(160), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("parts_sent", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=True),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_outbox_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint(
            "participant_id",
            "purpose",
            "dedupe_key",
            name=op.f("uq_outbox_participant_id_purpose_dedupe_key"),
        ),
    )
    op.create_index(op.f("ix_outbox_participant_id"), "outbox", ["participant_id"])
    op.create_index(op.f("ix_outbox_broadcast_id"), "outbox", ["broadcast_id"])
    op.create_index("ix_outbox_state_not_before", "outbox", ["state", "not_before"])


def downgrade() -> None:
    op.drop_index("ix_outbox_state_not_before", table_name="outbox")
    op.drop_index(op.f("ix_outbox_broadcast_id"), table_name="outbox")
    op.drop_index(op.f("ix_outbox_participant_id"), table_name="outbox")
    op.drop_table("outbox")
    op.drop_index(op.f("ix_review_cards_due_at"), table_name="review_cards")
    op.drop_index(op.f("ix_review_cards_enrollment_id"), table_name="review_cards")
    op.drop_table("review_cards")
    with op.batch_alter_table("enrollments") as batch:
        batch.drop_column("last_reminded_at")
        batch.drop_column("reminder_count")
        batch.drop_column("pause_reason")
        batch.drop_column("paused_until")
        batch.drop_column("paused_at")
    with op.batch_alter_table("channel_identities") as batch:
        batch.drop_column("blocked_at")
    with op.batch_alter_table("cohorts") as batch:
        batch.drop_column("window_end")
        batch.drop_column("window_start")
        batch.drop_column("lessons_per_day")
        batch.drop_column("lesson_days")
