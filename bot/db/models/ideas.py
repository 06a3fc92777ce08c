"""The improvement-idea coach: self-audit answers, web audits, ideas, their steps and notes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db.models.base import Base


class SelfAuditAnswer(Base):
    """A participant's yes / no / not sure answer to one self-audit checklist question."""

    __tablename__ = "self_audit_answers"
    __table_args__ = (UniqueConstraint("participant_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    checklist_id: Mapped[str] = mapped_column(String(24))
    question_id: Mapped[str] = mapped_column(String(24))
    answer: Mapped[str] = mapped_column(String(8))
    answered_at: Mapped[datetime]


class WebAudit(Base):
    """One automatic check of a public web page: its findings by code, kept to compare later."""

    __tablename__ = "web_audits"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    site: Mapped[str] = mapped_column(String(255), index=True)
    url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str] = mapped_column(Text)
    findings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class Idea(Base):
    """A participant's improvement idea, carried out step by step."""

    __tablename__ = "ideas"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    why: Mapped[str | None] = mapped_column(Text)
    template_id: Mapped[str | None] = mapped_column(String(24))
    lesson_id: Mapped[str | None] = mapped_column(String(24))
    borrowed_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("ideas.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16), index=True)
    target_date: Mapped[date | None]
    shared_at: Mapped[datetime | None] = mapped_column(index=True)
    next_prompt_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]

    steps: Mapped[list[IdeaStep]] = relationship(
        order_by="IdeaStep.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
    )


class IdeaStep(Base):
    """One step of an idea; done with optional evidence (a link, or a photo's file id)."""

    __tablename__ = "idea_steps"
    __table_args__ = (UniqueConstraint("idea_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    done_at: Mapped[datetime | None]
    evidence: Mapped[str | None] = mapped_column(Text)
    postponed: Mapped[int] = mapped_column(default=0)


class IdeaNote(Base):
    """A message about an idea: a participant stuck on a step, a trainer's reply or comment."""

    __tablename__ = "idea_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(12))
    step_position: Mapped[int | None]
    text: Mapped[str] = mapped_column(Text)
    reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("idea_notes.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]
