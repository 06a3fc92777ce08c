"""Groups and messages to many: cohorts (with their lesson schedule) and trainers' broadcasts."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import ForeignKey, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models.base import Base


class Cohort(Base):
    """A group of participants who start the course together, joined by an invite code."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    invite_code: Mapped[str] = mapped_column(String(32), unique=True)
    start_date: Mapped[date]
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Vilnius")
    created_at: Mapped[datetime]
    # The lesson schedule (issue 4): ISO weekdays ("12345" = Monday to Friday), lessons per
    # lesson day, and the send window in the cohort's time zone.
    lesson_days: Mapped[str] = mapped_column(String(7), default="12345", server_default="12345")
    lessons_per_day: Mapped[int] = mapped_column(default=1, server_default="1")
    window_start: Mapped[time] = mapped_column(
        default=time(8, 0), server_default=text("'08:00:00'")
    )
    window_end: Mapped[time] = mapped_column(default=time(20, 0), server_default=text("'20:00:00'"))


class Broadcast(Base):
    """A trainer's message to an audience; each recipient's copy is an outbox row carrying
    this broadcast's id. state: scheduled -> sending -> done, or scheduled -> cancelled."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    # A photo or document re-sent by its platform file id: "<kind>:<file id>" (empty: none).
    attachment: Mapped[str] = mapped_column(String(300), default="")
    # "all", "cohort:<id>", "municipality:<code>", "role:<code>" or "behind".
    audience: Mapped[str] = mapped_column(String(64))
    scheduled_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(16), index=True)
    recipients: Mapped[int] = mapped_column(default=0)
    # Where the author's live progress message is (channel, chat, message id).
    progress_channel: Mapped[str | None] = mapped_column(String(16))
    progress_chat_id: Mapped[str | None] = mapped_column(String(64))
    progress_message_id: Mapped[str | None] = mapped_column(String(32))
    # The final report: counts per outcome and the reasons of failures.
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
