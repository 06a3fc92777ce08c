"""The certificates' reads and writes: a participant's standing, issuing, revoking, finding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import CourseIndex
from bot.content.models import CertificateRules
from bot.db.models import (
    Answer,
    Certificate,
    Enrollment,
    Idea,
    IdeaStep,
    LessonDelivery,
    Participant,
)
from bot.domain.certificates import (
    Criteria,
    Missing,
    ModuleDone,
    Standing,
    missing,
    new_code,
    register_number,
)
from bot.domain.progress import score_percent

CODE_ATTEMPTS = 5


@dataclass(frozen=True)
class Progress:
    """What the criteria look at, and the dates the certificate prints."""

    standing: Standing
    started_on: date
    completed_on: date
    missing: list[Missing]


def criteria_of(rules: CertificateRules) -> Criteria:
    """The course's criteria as the pure rules take them."""
    wanted = rules.criteria
    return Criteria(wanted.all_lessons, wanted.min_average_score, wanted.ideas_with_step_done)


def standing_of(
    index: CourseIndex, completed: set[str], correct: int, scored: int, ideas: int
) -> Standing:
    """What the criteria look at, from the lessons completed, the scored answers and ideas."""
    modules = tuple(
        ModuleDone(
            module.id, sum(lesson.id in completed for lesson in module.lessons), len(module.lessons)
        )
        for module in index.course.modules
    )
    return Standing(modules, score_percent(correct, scored), ideas)


def course_title(certificate: Certificate, language: str) -> str:
    """The course's title as the certificate holds it, in `language` if it has it."""
    titles = certificate.course_title
    return titles.get(language) or next(iter(titles.values()), "")


async def enrollment_of(
    session: AsyncSession, participant_id: int, course_id: str
) -> Enrollment | None:
    """The participant's enrolment in the course, if they have one."""
    return await session.scalar(
        select(Enrollment).where(
            Enrollment.participant_id == participant_id, Enrollment.course_id == course_id
        )
    )


async def progress_of(
    session: AsyncSession,
    participant_id: int,
    index: CourseIndex,
    rules: CertificateRules,
    today: date,
    zone: ZoneInfo,
) -> Progress:
    """Lessons done per module, the average score and ideas carried out; what is missing."""
    enrollment = await enrollment_of(session, participant_id, index.course.id)
    completed: dict[str, datetime] = {}
    correct = scored = 0
    started_on = today
    if enrollment is not None:
        started_on = enrollment.started_at.astimezone(zone).date()
        deliveries = await session.execute(
            select(LessonDelivery.lesson_id, LessonDelivery.completed_at).where(
                LessonDelivery.enrollment_id == enrollment.id,
                LessonDelivery.completed_at.is_not(None),
            )
        )
        completed = {lesson_id: moment for lesson_id, moment in deliveries if moment}
        verdicts = await session.execute(
            select(Answer.question_id, Answer.is_correct).where(
                Answer.enrollment_id == enrollment.id, Answer.is_correct.is_not(None)
            )
        )
        for question_id, is_correct in verdicts:
            if index.question(question_id) is not None:
                scored += 1
                correct += bool(is_correct)
    ideas = await session.scalar(
        select(func.count(func.distinct(Idea.id)))
        .join(IdeaStep, IdeaStep.idea_id == Idea.id)
        .where(Idea.participant_id == participant_id, IdeaStep.done_at.is_not(None))
    )
    standing = standing_of(index, set(completed), correct, scored, int(ideas or 0))
    finished = [
        moment
        for module in index.course.modules
        for lesson in module.lessons
        if (moment := completed.get(lesson.id)) is not None
    ]
    completed_on = min(max(finished).astimezone(zone).date(), today) if finished else today
    return Progress(standing, started_on, completed_on, missing(criteria_of(rules), standing))


async def current(session: AsyncSession, participant_id: int, course_id: str) -> Certificate | None:
    """The participant's certificate in force (the latest one not revoked)."""
    return await session.scalar(
        select(Certificate)
        .where(
            Certificate.participant_id == participant_id,
            Certificate.course_id == course_id,
            Certificate.revoked_at.is_(None),
        )
        .order_by(Certificate.id.desc())
        .limit(1)
    )


async def by_code(session: AsyncSession, code: str) -> Certificate | None:
    """The certificate with this verification code (in its printed form)."""
    return await session.scalar(select(Certificate).where(Certificate.code == code))


async def _unused_code(session: AsyncSession) -> str:
    for _ in range(CODE_ATTEMPTS):
        code = new_code()
        if await by_code(session, code) is None:
            return code
    raise RuntimeError("no unused certificate code after several draws")


async def issue(
    session: AsyncSession,
    person: Participant,
    index: CourseIndex,
    rules: CertificateRules,
    progress: Progress,
    now: datetime,
    *,
    issued_by: int | None = None,
    reason: str | None = None,
) -> Certificate:
    """Write a certificate into the register: a fresh code, then its number from its id."""
    course = index.course
    per_module = rules.hours_of([module.id for module in course.modules])
    certificate = Certificate(
        code=await _unused_code(session),
        participant_id=person.id,
        cohort_id=person.cohort_id,
        course_id=course.id,
        holder_name=(person.name or f"#{person.id}")[:100],
        language=person.language,
        course_title=dict(course.title),
        issuer={
            "institution": dict(rules.institution),
            "signatory": {"name": rules.signatory.name, "title": dict(rules.signatory.title)},
        },
        modules=[
            {
                "id": module.id,
                "title": dict(module.title),
                "hours": per_module[module.id] if per_module else 0,
            }
            for module in course.modules
        ],
        hours=rules.total_hours,
        started_on=min(progress.started_on, progress.completed_on),
        completed_on=progress.completed_on,
        issued_at=now,
        issued_by=issued_by,
        reason=reason,
    )
    session.add(certificate)
    await session.flush()
    prefix = rules.number_prefix
    certificate.number = register_number(prefix, now.year, certificate.id)
    await session.flush()
    return certificate


async def of_cohort(
    session: AsyncSession, cohort_id: int | None, course_id: str
) -> list[Certificate]:
    """Every certificate of a group (None: of people in no group), revoked ones included."""
    condition = (
        Certificate.cohort_id.is_(None) if cohort_id is None else Certificate.cohort_id == cohort_id
    )
    found = await session.scalars(
        select(Certificate)
        .where(condition, Certificate.course_id == course_id)
        .order_by(Certificate.id)
    )
    return list(found)


async def holders(session: AsyncSession, ids: set[int]) -> dict[int, Participant]:
    """The participants behind these certificates (erased ones are missing)."""
    if not ids:
        return {}
    found = await session.scalars(select(Participant).where(Participant.id.in_(sorted(ids))))
    return {person.id: person for person in found}


@dataclass(frozen=True)
class Pending:
    """An onboarded participant without a certificate in force, and what they still miss."""

    participant: Participant
    missing: list[Missing]

    @property
    def ready(self) -> bool:
        """Whether they meet the criteria (and could ask with /certificate)."""
        return not self.missing


async def pending(
    session: AsyncSession, index: CourseIndex, rules: CertificateRules
) -> list[Pending]:
    """Everyone onboarded who holds no certificate in force, with what they miss: a handful
    of queries for the whole course, whatever its size (the dashboard's Certificates page)."""
    course_id = index.course.id
    holding = select(Certificate.participant_id).where(
        Certificate.course_id == course_id,
        Certificate.revoked_at.is_(None),
        Certificate.participant_id.is_not(None),
    )
    people = list(
        await session.scalars(
            select(Participant)
            .where(Participant.onboarded_at.is_not(None), Participant.id.not_in(holding))
            .order_by(Participant.name, Participant.id)
        )
    )
    completed: dict[int, set[str]] = {}
    for participant_id, lesson_id in await session.execute(
        select(Enrollment.participant_id, LessonDelivery.lesson_id)
        .join(LessonDelivery, LessonDelivery.enrollment_id == Enrollment.id)
        .where(Enrollment.course_id == course_id, LessonDelivery.completed_at.is_not(None))
    ):
        completed.setdefault(participant_id, set()).add(lesson_id)
    scores: dict[int, list[int]] = {}
    for participant_id, question_id, is_correct in await session.execute(
        select(Enrollment.participant_id, Answer.question_id, Answer.is_correct)
        .join(Answer, Answer.enrollment_id == Enrollment.id)
        .where(Enrollment.course_id == course_id, Answer.is_correct.is_not(None))
    ):
        if index.question(question_id) is not None:
            tally = scores.setdefault(participant_id, [0, 0])
            tally[0] += bool(is_correct)
            tally[1] += 1
    with_steps = await session.execute(
        select(Idea.participant_id, func.count(func.distinct(Idea.id)))
        .join(IdeaStep, IdeaStep.idea_id == Idea.id)
        .where(IdeaStep.done_at.is_not(None))
        .group_by(Idea.participant_id)
    )
    ideas = {participant_id: int(count) for participant_id, count in with_steps}
    criteria = criteria_of(rules)
    found = []
    for person in people:
        correct, scored = scores.get(person.id, [0, 0])
        done = completed.get(person.id, set())
        standing = standing_of(index, done, correct, scored, ideas.get(person.id, 0))
        found.append(Pending(person, missing(criteria, standing)))
    return found


async def register_of(session: AsyncSession, course_id: str) -> list[Certificate]:
    """Every certificate of the course, newest first (revoked ones included)."""
    found = await session.scalars(
        select(Certificate)
        .where(Certificate.course_id == course_id)
        .order_by(Certificate.id.desc())
    )
    return list(found)
