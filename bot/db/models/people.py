"""People and how they are reached: participants, channel identities, link codes, dialogue state."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db.models.base import Base


class Participant(Base):
    """A culture worker taking the course; filled in step by step during onboarding."""

    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int | None] = mapped_column(
        ForeignKey("cohorts.id", ondelete="SET NULL"), index=True
    )
    language: Mapped[str] = mapped_column(String(5))
    name: Mapped[str | None] = mapped_column(String(100))
    municipality: Mapped[str | None] = mapped_column(String(32))
    institution: Mapped[str | None] = mapped_column(String(150))
    role: Mapped[str | None] = mapped_column(String(32))
    preferred_time: Mapped[time | None]
    privacy_accepted_at: Mapped[datetime | None]
    onboarded_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]

    identities: Mapped[list[ChannelIdentity]] = relationship(
        back_populates="participant", cascade="all, delete-orphan", passive_deletes=True
    )


class ChannelIdentity(Base):
    """How a participant is reached on one channel (Telegram user id now, Messenger later)."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    # The person's last message on this channel (Messenger's 24-hour window counts from it).
    last_inbound_at: Mapped[datetime | None]
    # When a message to this identity was refused as blocked (Telegram 403); the outbox skips
    # it until the person writes again (issue 4).
    blocked_at: Mapped[datetime | None]

    participant: Mapped[Participant] = relationship(back_populates="identities")


class LinkCode(Base):
    """A one-time code that joins a second channel identity to the participant who asked for it."""

    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class DialogueState(Base):
    """Where a participant is in a multi-step conversation (onboarding for now)."""

    __tablename__ = "dialogue_states"

    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    )
    flow: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]
