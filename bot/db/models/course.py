"""Course progress: enrolments, lessons delivered, answers, reflections and review cards."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models.base import Base


class Enrollment(Base):
    """A participant's place in a course; progress hangs off it by lesson and question ids."""

    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("participant_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    course_id: Mapped[str] = mapped_column(String(24))
    started_at: Mapped[datetime]
    next_due_at: Mapped[datetime | None] = mapped_column(index=True)
    # The schedule (issue 4): a pause (by the person, or after unanswered reminders) and the
    # reminders sent about the open quiz since the person last answered.
    paused_at: Mapped[datetime | None]
    paused_until: Mapped[date | None]
    pause_reason: Mapped[str | None] = mapped_column(String(16))
    reminder_count: Mapped[int] = mapped_column(default=0, server_default="0")
    last_reminded_at: Mapped[datetime | None]


class LessonDelivery(Base):
    """A lesson sent to a participant; completed once every quiz question is answered."""

    __tablename__ = "lesson_deliveries"
    __table_args__ = (UniqueConstraint("enrollment_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"))
    lesson_id: Mapped[str] = mapped_column(String(24))
    delivered_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]


class Answer(Base):
    """The first answer a participant gave to a quiz question: it alone counts.

    Choice questions store the chosen option ids (comma-separated, sorted) and whether that
    was right; open questions store the text and no verdict."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("enrollment_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"))
    lesson_id: Mapped[str] = mapped_column(String(24))
    question_id: Mapped[str] = mapped_column(String(24))
    option_id: Mapped[str | None] = mapped_column(String(160))
    text: Mapped[str | None] = mapped_column(Text)
    is_correct: Mapped[bool | None]
    answered_at: Mapped[datetime]


class Reflection(Base):
    """A participant's closing reflection on a module, in their own words."""

    __tablename__ = "reflections"
    __table_args__ = (UniqueConstraint("enrollment_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"))
    module_id: Mapped[str] = mapped_column(String(24))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class ReviewCard(Base):
    """An answered question in the spaced-review queue: its FSRS card and when it is due."""

    __tablename__ = "review_cards"
    __table_args__ = (UniqueConstraint("enrollment_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(String(24))
    card: Mapped[dict[str, Any]] = mapped_column(JSON)
    due_at: Mapped[datetime] = mapped_column(index=True)
    reviews: Mapped[int] = mapped_column(default=0)
    last_review_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
