"""Schedule use cases for the dialogue: a person's rules, pausing, resuming, changing the
lesson time, and the trainers' list of paused participants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Cohort, Enrollment, Participant
from bot.domain.timetable import ScheduleRules
from bot.features.timetable.claims import rules_for
from bot.features.timetable.pauses import PAUSE_REASON_PERSON, pause, resume

PAUSE_MAX_DAYS = 365


async def rules_of(
    session: AsyncSession, participant: Participant, zone: ZoneInfo
) -> ScheduleRules:
    """The schedule the person follows (their cohort's, or the default one)."""
    cohort = await session.get(Cohort, participant.cohort_id) if participant.cohort_id else None
    return rules_for(cohort, zone)


def pause_until(
    enrollment: Enrollment,
    participant: Participant,
    rules: ScheduleRules,
    now: datetime,
    until: date | None,
) -> None:
    """Pause the person's lessons until /resume, or until the date (lessons start again then)."""
    resume_at = None
    if until is not None:
        midnight = datetime.combine(until, time(0), rules.zone)
        resume_at = rules.first_slot_from(midnight, participant.preferred_time)
    pause(enrollment, now, PAUSE_REASON_PERSON, until=until, resume_at=resume_at)


def resume_now(enrollment: Enrollment, now: datetime) -> bool:
    """Lift a pause; False if there was none."""
    if enrollment.paused_at is None:
        return False
    resume(enrollment, now)
    return True


def set_lesson_time(participant: Participant, enrollment: Enrollment, value: time) -> None:
    """Change the person's lesson time; the next tick plans the next lesson with it."""
    participant.preferred_time = value
    if enrollment.paused_at is None:
        enrollment.next_due_at = None


def check_pause_date(value: date, today: date) -> str | None:
    """Why a pause end date cannot be taken ("past", "far"), or None."""
    if value <= today:
        return "past"
    if value > today + timedelta(days=PAUSE_MAX_DAYS):
        return "far"
    return None


@dataclass(frozen=True)
class PausedParticipant:
    """A participant whose lessons are paused, for the trainers' list."""

    participant_id: int
    name: str | None
    institution: str | None
    paused_at: datetime
    paused_until: date | None
    reason: str | None


async def paused_participants(session: AsyncSession) -> list[PausedParticipant]:
    """Everyone whose lessons are paused (by themselves, or after unanswered reminders),
    longest paused first."""
    rows = await session.execute(
        select(Participant, Enrollment)
        .join(Enrollment, Enrollment.participant_id == Participant.id)
        .where(Enrollment.paused_at.is_not(None))
        .order_by(Enrollment.paused_at, Participant.id)
    )
    result = []
    for person, enrollment in rows:
        assert enrollment.paused_at is not None
        result.append(
            PausedParticipant(
                person.id,
                person.name,
                person.institution,
                enrollment.paused_at,
                enrollment.paused_until,
                enrollment.pause_reason,
            )
        )
    return result
