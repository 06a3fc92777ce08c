"""The bot's work ledger: messages it owes (outbox), tracked slow tasks, updates processed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models.base import Base


class OutboxMessage(Base):
    """A message the bot owes someone: kept until delivered, refused or given up on.

    state: pending -> sending -> sent | blocked | failed; held = waiting for the channel
    (e.g. Messenger's 24-hour rule) until not_before. parts_sent counts the replies already
    delivered, so a retry or a restart never sends a part twice (bar the one in flight)."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("participant_id", "purpose", "dedupe_key"),
        Index("ix_outbox_state_not_before", "state", "not_before"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(32))
    dedupe_key: Mapped[str] = mapped_column(String(160))
    broadcast_id: Mapped[int | None] = mapped_column(index=True)
    payload: Mapped[list[Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    not_before: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    parts_sent: Mapped[int] = mapped_column(default=0)
    channel: Mapped[str | None] = mapped_column(String(16))
    # A reply's recipient (the chat its update came from) and what was pressed there
    # ({"message_id": ..., "ack_id": ...}); NULL for rows sent wherever the person is.
    external_id: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class TrackedTask(Base):
    """Slow work asked for in a turn (an export, a chart, a content reload, a web audit): the
    turn commits this row and answers at once; a runner does the work in its own session and
    sends the result through the outbox. state: running -> done | failed. A row still
    running after its lease (its process died) is resumed by the next process, or reported."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class ProcessedUpdate(Base):
    """A platform update already handled: the same update delivered twice changes nothing."""

    __tablename__ = "processed_updates"
    __table_args__ = (UniqueConstraint("channel", "update_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    update_key: Mapped[str] = mapped_column(String(64))
    processed_at: Mapped[datetime] = mapped_column(index=True)
