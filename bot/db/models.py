"""Typed SQLAlchemy 2 models: everything that must survive a restart lives here.

Sections, in order: the core (cohorts, participants and their chat identities, enrolments,
lessons delivered, answers, reflections, dialogue state, the update ledger); roles and the
audit log; Messenger link codes; the idea coach (self-audits, web audits, ideas, steps,
notes); the schedule's review cards and the outbox; broadcasts. Every foreign key to
participants says what erasure does (CASCADE or SET NULL): /deleteme relies on it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A time-zone-aware timestamp: stored as UTC, always read back aware (SQLite included)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: pass an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints alike."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012
        datetime: UtcDateTime(),
        date: Date(),
        time: Time(),
        dict[str, Any]: JSON(),
    }


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


class ProcessedUpdate(Base):
    """A platform update already handled: the same update delivered twice changes nothing."""

    __tablename__ = "processed_updates"
    __table_args__ = (UniqueConstraint("channel", "update_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    update_key: Mapped[str] = mapped_column(String(64))
    processed_at: Mapped[datetime] = mapped_column(index=True)


# --- Trainer and coordinator tools (issue 5): role grants and the audit log ---------------


class RoleGrant(Base):
    """A role given to a participant by an admin (admins themselves come from the settings)."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("participant_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    granted_by: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL")
    )
    granted_at: Mapped[datetime]


class AuditLogEntry(Base):
    """One privileged action: who did what to which target, and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(48))
    target: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(index=True)


# --- Messenger and account links (issue 7) ----------------------------------------------------


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


# --- Improvement-idea coach (issue 6): self-audits, web audits, ideas and their steps ------


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


# --- Schedule, spaced review and the outbox (issue 4) ----------------------------------------


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


# --- Broadcasts (issue 5): a trainer's message to many, sent through the outbox ---------------


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


# --- Tracked tasks (issue 13): slow work outside a person's turn ------------------------------


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
