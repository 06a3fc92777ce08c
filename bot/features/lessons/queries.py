"""Lessons and quizzes: what comes next, and recording answers (the first one counts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import CourseIndex, LessonRef
from bot.content.models import Lesson, Option, Question, QuestionType
from bot.db.models import Answer, Enrollment, LessonDelivery, Reflection


@dataclass(frozen=True)
class OpenQuestion:
    """The question a participant should answer now, within its lesson."""

    ref: LessonRef
    question: Question
    number: int


# A quiz answer's reads, built once: a turn binds its values instead of rebuilding the SQL.
_ANSWERS = select(Answer).where(
    Answer.enrollment_id == bindparam("enrollment_id"), Answer.lesson_id == bindparam("lesson_id")
)
_DELIVERY = select(LessonDelivery).where(
    LessonDelivery.enrollment_id == bindparam("enrollment_id"),
    LessonDelivery.lesson_id == bindparam("lesson_id"),
)
_OPEN_DELIVERIES = (
    select(LessonDelivery)
    .where(
        LessonDelivery.enrollment_id == bindparam("enrollment_id"),
        LessonDelivery.completed_at.is_(None),
    )
    .order_by(LessonDelivery.delivered_at, LessonDelivery.id)
)


async def _answered(session: AsyncSession, enrollment_id: int, lesson_id: str) -> dict[str, Answer]:
    rows = await session.scalars(_ANSWERS, {"enrollment_id": enrollment_id, "lesson_id": lesson_id})
    return {answer.question_id: answer for answer in rows}


def _first_unanswered(lesson: Lesson, answered: dict[str, Answer]) -> tuple[int, Question] | None:
    return next(((n, q) for n, q in enumerate(lesson.quiz, start=1) if q.id not in answered), None)


async def open_question(
    session: AsyncSession, enrollment: Enrollment, index: CourseIndex
) -> OpenQuestion | None:
    """The next unanswered question of a delivered but unfinished lesson, if there is one."""
    deliveries = await session.scalars(_OPEN_DELIVERIES, {"enrollment_id": enrollment.id})
    for delivery in deliveries:
        ref = index.lesson(delivery.lesson_id)
        if ref is None:  # the lesson was removed from the course; nothing left to ask
            continue
        found = _first_unanswered(
            ref.lesson, await _answered(session, enrollment.id, ref.lesson.id)
        )
        if found is not None:
            return OpenQuestion(ref, found[1], found[0])
    return None


async def start_next_lesson(
    session: AsyncSession, enrollment: Enrollment, index: CourseIndex, now: datetime
) -> LessonRef | None:
    """Deliver the first lesson not yet delivered; None when the course is done."""
    delivered = set(
        await session.scalars(
            select(LessonDelivery.lesson_id).where(LessonDelivery.enrollment_id == enrollment.id)
        )
    )
    ref = index.next_lesson(delivered)
    if ref is None:
        return None
    session.add(
        LessonDelivery(enrollment_id=enrollment.id, lesson_id=ref.lesson.id, delivered_at=now)
    )
    await session.flush()
    return ref


class AnswerStatus(StrEnum):
    """What became of an answer."""

    RECORDED = "recorded"
    ALREADY_ANSWERED = "already_answered"
    NOT_ACTIVE = "not_active"  # unknown, not delivered to this person, or not the current one


@dataclass(frozen=True)
class AnswerOutcome:
    """The result of answering: feedback to show and what comes next."""

    status: AnswerStatus
    ref: LessonRef | None = None
    question: Question | None = None
    chosen: tuple[Option, ...] = ()
    is_correct: bool | None = None
    next_question: OpenQuestion | None = None
    correct: int = 0
    scored: int = 0

    @property
    def lesson_finished(self) -> bool:
        """True when this answer completed the lesson's quiz."""
        return self.status is AnswerStatus.RECORDED and self.next_question is None


def _valid_answer(question: Question, choice: frozenset[str], text: str | None) -> bool:
    if question.type is QuestionType.OPEN:
        return text is not None and not choice
    if text is not None or not choice or any(question.option(o) is None for o in choice):
        return False
    return question.type is QuestionType.MULTIPLE or len(choice) == 1


async def record_answer(
    session: AsyncSession,
    enrollment: Enrollment,
    index: CourseIndex,
    question_id: str,
    now: datetime,
    *,
    choice: frozenset[str] = frozenset(),
    text: str | None = None,
) -> AnswerOutcome:
    """Record the answer to the current question of a delivered lesson; never count twice.

    Choice questions take the chosen option ids; open questions take the text."""
    found = index.question(question_id)
    if found is None:
        return AnswerOutcome(AnswerStatus.NOT_ACTIVE)
    lesson, question = found
    delivery = await session.scalar(
        _DELIVERY, {"enrollment_id": enrollment.id, "lesson_id": lesson.id}
    )
    if delivery is None:
        return AnswerOutcome(AnswerStatus.NOT_ACTIVE)
    answered = await _answered(session, enrollment.id, lesson.id)
    if question.id in answered:
        return AnswerOutcome(AnswerStatus.ALREADY_ANSWERED, question=question)
    current = _first_unanswered(lesson, answered)
    if not _valid_answer(question, choice, text) or current is None or current[1].id != question.id:
        return AnswerOutcome(AnswerStatus.NOT_ACTIVE)
    is_correct = None if question.type is QuestionType.OPEN else choice == question.correct_ids
    answer = Answer(
        enrollment_id=enrollment.id,
        lesson_id=lesson.id,
        question_id=question.id,
        option_id=",".join(sorted(choice)) or None,
        text=text,
        is_correct=is_correct,
        answered_at=now,
    )
    session.add(answer)
    answered[question.id] = answer
    ref = index.lesson(lesson.id)
    assert ref is not None
    following = _first_unanswered(lesson, answered)
    if following is None:
        delivery.completed_at = now
    await session.flush()
    scored = [q for q in lesson.quiz if q.type is not QuestionType.OPEN]
    right = [q for q in scored if q.id in answered and answered[q.id].is_correct]
    return AnswerOutcome(
        AnswerStatus.RECORDED,
        ref=ref,
        question=question,
        chosen=tuple(o for o in question.options if o.id in choice),
        is_correct=is_correct,
        next_question=OpenQuestion(ref, following[1], following[0]) if following else None,
        correct=len(right),
        scored=len(scored),
    )


async def module_completed(session: AsyncSession, enrollment: Enrollment, ref: LessonRef) -> bool:
    """True when every lesson of the lesson's module has been completed."""
    ids = [lesson.id for lesson in ref.module.lessons]
    done = await session.scalars(
        select(LessonDelivery.lesson_id).where(
            LessonDelivery.enrollment_id == enrollment.id,
            LessonDelivery.lesson_id.in_(ids),
            LessonDelivery.completed_at.is_not(None),
        )
    )
    return set(done) == set(ids)


async def save_reflection(
    session: AsyncSession, enrollment: Enrollment, module_id: str, text: str, now: datetime
) -> bool:
    """Store a module's closing reflection; False if one was stored already."""
    exists = await session.scalar(
        select(Reflection.id).where(
            Reflection.enrollment_id == enrollment.id, Reflection.module_id == module_id
        )
    )
    if exists is not None:
        return False
    session.add(
        Reflection(enrollment_id=enrollment.id, module_id=module_id, text=text, created_at=now)
    )
    await session.flush()
    return True
