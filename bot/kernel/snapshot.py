"""One read of everything trainers and coordinators look at: people, progress, answers.

/stats, /participants and the exports are views of the same Snapshot, so their numbers agree.
The course is small (hundreds of people, thousands of answers): one query per table, no N+1."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, ScalarSelect, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import CourseIndex
from bot.db.models import (
    Answer,
    ChannelIdentity,
    Cohort,
    Enrollment,
    Idea,
    LessonDelivery,
    Participant,
    RoleGrant,
)
from bot.domain.pace import WEEKDAYS, is_behind
from bot.domain.progress import score_percent

LIGHT_ANSWER = ("id", "enrollment_id", "lesson_id", "question_id", "is_correct", "answered_at")


@dataclass
class Person:
    """A participant with everything the reports show about them."""

    participant: Participant
    channel: str
    external_id: str
    cohort: Cohort | None
    start: date
    deliveries: list[LessonDelivery] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    granted: frozenset[str] = frozenset()
    lessons_done: int = 0
    score: int | None = None
    behind: bool = False
    paused: bool = False

    @property
    def id(self) -> int:
        """The participant's short internal id (shown as #id)."""
        return self.participant.id

    @property
    def name(self) -> str:
        """The participant's name (or #id before they gave one)."""
        return self.participant.name or f"#{self.participant.id}"


@dataclass
class Snapshot:
    """Onboarded participants (optionally of one municipality), read at `now`."""

    people: list[Person]
    index: CourseIndex
    now: datetime
    zone: ZoneInfo
    onboarding: int  # people who started but have not finished onboarding
    ideas: list[Idea] = field(default_factory=list)  # the people's improvement ideas

    @property
    def ideas_started(self) -> int:
        """Ideas whose carrying out has started (done ones included)."""
        return sum(idea.started_at is not None for idea in self.ideas)

    @property
    def ideas_done(self) -> int:
        """Ideas carried out to the end."""
        return sum(idea.done_at is not None for idea in self.ideas)

    @property
    def today(self) -> date:
        """Today in the course's time zone."""
        return self.now.astimezone(self.zone).date()


async def load_snapshot(
    session: AsyncSession,
    index: CourseIndex,
    now: datetime,
    zone: ZoneInfo,
    *,
    municipality: str | None = None,
    light: bool = False,
) -> Snapshot:
    """Read every onboarded participant (of `municipality`, if given) with their progress.

    `light`: lessons delivered and answers come as read-only rows with the same attribute
    names, in no particular order, without the answers' texts (no ORM objects: five times
    faster for tens of thousands of answers, for pages that only count them, like the
    dashboard's)."""
    condition: list[ColumnElement[bool]] = [Participant.onboarded_at.is_not(None)]
    waiting = select(Participant.id).where(Participant.onboarded_at.is_(None))
    if municipality is not None:
        condition.append(Participant.municipality == municipality)
        waiting = waiting.where(Participant.municipality == municipality)
    query = select(Participant).where(*condition)
    participants = list(await session.scalars(query.order_by(Participant.id)))
    onboarding = len(list(await session.scalars(waiting)))
    # The people as a subquery, not a list of ids: thousands of bound values cost more to
    # compile than the query takes to run.
    ids = select(Participant.id).where(*condition).scalar_subquery()
    identities = await _identities(session, ids)
    cohorts = {c.id: c for c in await session.scalars(select(Cohort))}
    enrollments = {
        e.participant_id: e
        for e in await session.scalars(
            select(Enrollment).where(
                Enrollment.course_id == index.course.id, Enrollment.participant_id.in_(ids)
            )
        )
    }
    by_enrollment = {e.id: e.participant_id for e in enrollments.values()}
    enrolled = (
        select(Enrollment.id)
        .where(Enrollment.course_id == index.course.id, Enrollment.participant_id.in_(ids))
        .scalar_subquery()
    )
    deliveries: dict[int, list[LessonDelivery]] = defaultdict(list)
    delivery_query = (
        select(*LessonDelivery.__table__.c) if light else select(LessonDelivery)
    ).where(LessonDelivery.enrollment_id.in_(enrolled))
    if not light:  # in time order for the exports; figures need no order (no sort of 50,000)
        delivery_query = delivery_query.order_by(LessonDelivery.delivered_at, LessonDelivery.id)
    for delivery in await _read(session, delivery_query, light):
        deliveries[by_enrollment[delivery.enrollment_id]].append(delivery)
    answers: dict[int, list[Answer]] = defaultdict(list)
    # light: what the figures read of an answer (not its text or chosen options)
    light_answers = select(*(Answer.__table__.c[name] for name in LIGHT_ANSWER))
    answer_query = (light_answers if light else select(Answer)).where(
        Answer.enrollment_id.in_(enrolled)
    )
    if not light:
        answer_query = answer_query.order_by(Answer.answered_at, Answer.id)
    for answer in await _read(session, answer_query, light):
        answers[by_enrollment[answer.enrollment_id]].append(answer)
    grants: dict[int, set[str]] = defaultdict(set)
    for grant in await session.scalars(select(RoleGrant).where(RoleGrant.participant_id.in_(ids))):
        grants[grant.participant_id].add(grant.role)

    today = now.astimezone(zone).date()
    total = len(index.lessons)
    people = []
    for participant in participants:
        channel, external_id = identities.get(participant.id, ("", ""))
        cohort = cohorts.get(participant.cohort_id) if participant.cohort_id else None
        enrollment = enrollments.get(participant.id)
        if cohort is not None:
            start = cohort.start_date
        elif enrollment is not None:
            start = enrollment.started_at.astimezone(zone).date()
        else:
            start = today
        person = Person(
            participant,
            channel,
            external_id,
            cohort,
            start,
            deliveries[participant.id],
            [a for a in answers[participant.id] if index.question(a.question_id) is not None],
            frozenset(grants[participant.id]),
        )
        person.lessons_done = sum(
            1
            for d in person.deliveries
            if d.completed_at is not None and index.lesson(d.lesson_id) is not None
        )
        scored = [a for a in person.answers if a.is_correct is not None]
        person.score = score_percent(sum(bool(a.is_correct) for a in scored), len(scored))
        if cohort is not None:
            pace = (cohort.lesson_days, cohort.lessons_per_day)
        else:
            pace = (WEEKDAYS, 1)
        person.behind = is_behind(person.lessons_done, start, today, total, *pace)
        person.paused = enrollment is not None and _paused(enrollment, today)
        people.append(person)
    ideas = list(
        await session.scalars(
            select(Idea).where(Idea.participant_id.in_(ids)).order_by(Idea.created_at, Idea.id)
        )
    )
    return Snapshot(people, index, now, zone, onboarding, ideas)


async def _read(session: AsyncSession, query: Select[Any], light: bool) -> list[Any]:
    """ORM objects, or (light) plain rows with the same attribute names."""
    if light:  # Core, not the ORM: rows straight from the driver, 50,000 in a few ms
        connection = await session.connection()
        return list(await connection.execute(query))
    return list(await session.scalars(query))


def _paused(enrollment: Enrollment, today: date) -> bool:
    """Whether lessons are paused (by the person, or after unanswered reminders) today."""
    if enrollment.paused_at is None:
        return False
    return enrollment.paused_until is None or enrollment.paused_until > today


async def _identities(session: AsyncSession, ids: ScalarSelect[int]) -> dict[int, tuple[str, str]]:
    """Each participant's first channel identity (channel, external id)."""
    found: dict[int, tuple[str, str]] = {}
    for identity in await session.scalars(
        select(ChannelIdentity)
        .where(ChannelIdentity.participant_id.in_(ids))
        .order_by(ChannelIdentity.id)
    ):
        found.setdefault(identity.participant_id, (identity.channel, identity.external_id))
    return found


async def load_person(
    session: AsyncSession, index: CourseIndex, now: datetime, zone: ZoneInfo, participant_id: int
) -> Person | None:
    """One onboarded participant with their progress, or None."""
    participant = await session.get(Participant, participant_id)
    if participant is None or participant.onboarded_at is None:
        return None
    snapshot = await load_snapshot(session, index, now, zone, municipality=participant.municipality)
    return next((p for p in snapshot.people if p.id == participant_id), None)
