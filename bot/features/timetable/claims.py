"""Claiming due enrollments: lock a batch (PostgreSQL: SKIP LOCKED) and load what decides each."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Answer, ChannelIdentity, Cohort, Enrollment, LessonDelivery, Participant
from bot.domain.timetable import ScheduleRules, parse_lesson_days


def rules_for(cohort: Cohort | None, zone: ZoneInfo) -> ScheduleRules:
    """The schedule of a cohort, or the default one (in the course's zone) without one."""
    if cohort is None:
        return ScheduleRules(zone)
    return ScheduleRules(
        ZoneInfo(cohort.timezone),
        parse_lesson_days(cohort.lesson_days),
        cohort.lessons_per_day,
        cohort.window_start,
        cohort.window_end,
        cohort.start_date,
    )


@dataclass
class Facts:
    """What the batch's queries found about one enrollment."""

    deliveries: list[LessonDelivery] = field(default_factory=list)
    last_answer_at: datetime | None = None
    blocked: bool = False


@dataclass
class Job:
    """One claimed enrollment: its person, the schedule rules that apply, what was found."""

    enrollment: Enrollment
    participant: Participant
    rules: ScheduleRules
    facts: Facts


def _due_clause(now: datetime) -> object:
    return or_(
        Enrollment.next_due_at <= now,
        and_(Enrollment.next_due_at.is_(None), Enrollment.paused_at.is_(None)),
    )


async def claim(session: AsyncSession, now: datetime, limit: int, zone: ZoneInfo) -> list[Job]:
    """Lock (PostgreSQL: skipping rows another process holds) up to `limit` due enrollments."""
    rows = await session.execute(
        select(Enrollment, Participant, Cohort)
        .join(Participant, Participant.id == Enrollment.participant_id)
        .outerjoin(Cohort, Cohort.id == Participant.cohort_id)
        .where(_due_clause(now), Participant.onboarded_at.is_not(None))  # type: ignore[arg-type]
        .order_by(Enrollment.next_due_at, Enrollment.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Enrollment)
    )
    return [Job(e, p, rules_for(c, zone), Facts()) for e, p, c in rows]


async def load_facts(session: AsyncSession, jobs: list[Job]) -> None:
    """Fill in every job's facts with three queries for the whole batch."""
    by_id = {job.enrollment.id: job for job in jobs}
    ids = list(by_id)
    for delivery in await session.scalars(
        select(LessonDelivery).where(LessonDelivery.enrollment_id.in_(ids))
    ):
        by_id[delivery.enrollment_id].facts.deliveries.append(delivery)
    answered = await session.execute(
        select(Answer.enrollment_id, func.max(Answer.answered_at))
        .where(Answer.enrollment_id.in_(ids))
        .group_by(Answer.enrollment_id)
    )
    for enrollment_id, last in answered:
        by_id[enrollment_id].facts.last_answer_at = _aware(last)
    people = {job.participant.id: job for job in jobs}
    identities: dict[int, list[bool]] = defaultdict(list)
    for identity in await session.scalars(
        select(ChannelIdentity).where(ChannelIdentity.participant_id.in_(list(people)))
    ):
        seen = identity.last_inbound_at or people[identity.participant_id].participant.last_seen_at
        blocked = identity.blocked_at is not None and seen <= identity.blocked_at
        identities[identity.participant_id].append(blocked)
    for participant_id, flags in identities.items():
        people[participant_id].facts.blocked = all(flags)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=ZoneInfo("UTC"))
