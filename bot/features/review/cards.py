"""Spaced review: every answered quiz question becomes an FSRS card (the `fsrs` package);
the first answer counts as its first review (right: Good, wrong: Again, open: Good). Once a
module's last lesson is answered, its bank's questions join as new cards, one a day."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from fsrs import Card, Rating, Scheduler
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import CourseIndex
from bot.content.models import QuestionType
from bot.db.models import Answer, ReviewCard

# No same-day learning steps: a course bot reviews in days, not minutes. No fuzz: the
# schedule is reproducible (and testable).
SCHEDULER = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
RATINGS = {1: Rating.Again, 2: Rating.Hard, 3: Rating.Good, 4: Rating.Easy}


def first_review(answer: Answer) -> tuple[Card, datetime]:
    """The card after the question's first answer, and when it is next due."""
    rating = Rating.Again if answer.is_correct is False else Rating.Good
    card, _ = SCHEDULER.review_card(Card(), rating, answer.answered_at)
    return card, card.due


async def sync_cards(
    session: AsyncSession, index: CourseIndex, enrollment_ids: Iterable[int], now: datetime
) -> int:
    """Add a card for every answered question that has none yet, and for the bank questions
    of every module whose last lesson is answered; how many were added."""
    ids = list(enrollment_ids)
    if not ids:
        return 0
    answers = await session.scalars(
        select(Answer)
        .outerjoin(
            ReviewCard,
            (ReviewCard.enrollment_id == Answer.enrollment_id)
            & (ReviewCard.question_id == Answer.question_id),
        )
        .where(Answer.enrollment_id.in_(ids), ReviewCard.id.is_(None))
    )
    added = 0
    for answer in answers:
        card, due = first_review(answer)
        session.add(
            ReviewCard(
                enrollment_id=answer.enrollment_id,
                question_id=answer.question_id,
                card=card.to_dict(),
                due_at=due,
                reviews=1,
                last_review_at=answer.answered_at,
                created_at=now,
            )
        )
        added += 1
    added += await _bank_cards(session, index, ids, now)
    if added:
        await session.flush()
    return added


def bank_due(unlocked: datetime, number: int) -> datetime:
    """When the `number`-th (from 0) bank question of a module first comes: a day after the
    module's last lesson was answered, then one a day."""
    return unlocked + timedelta(days=1 + number)


async def _bank_cards(
    session: AsyncSession, index: CourseIndex, ids: list[int], now: datetime
) -> int:
    """New cards for the bank questions (not the open ones: nothing to recall) of finished
    modules."""
    banks = {
        module.lessons[-1].id: [
            q for q in index.course.bank(module.id) if q.type != QuestionType.OPEN
        ]
        for module in index.course.modules
    }
    banks = {lesson_id: questions for lesson_id, questions in banks.items() if questions}
    if not banks:
        return 0
    finished = await session.execute(
        select(Answer.enrollment_id, Answer.lesson_id, func.min(Answer.answered_at))
        .where(Answer.enrollment_id.in_(ids), Answer.lesson_id.in_(list(banks)))
        .group_by(Answer.enrollment_id, Answer.lesson_id)
    )
    question_ids = [q.id for questions in banks.values() for q in questions]
    existing = await session.execute(
        select(ReviewCard.enrollment_id, ReviewCard.question_id).where(
            ReviewCard.enrollment_id.in_(ids), ReviewCard.question_id.in_(question_ids)
        )
    )
    have = {(enrollment_id, question_id) for enrollment_id, question_id in existing}
    added = 0
    for enrollment_id, lesson_id, answered_at in finished:
        for number, question in enumerate(banks[lesson_id]):
            if (enrollment_id, question.id) in have:
                continue
            due = bank_due(answered_at, number)
            session.add(
                ReviewCard(
                    enrollment_id=enrollment_id,
                    question_id=question.id,
                    card=Card(due=due).to_dict(),
                    due_at=due,
                    reviews=0,
                    created_at=now,
                )
            )
            added += 1
    return added


async def due_counts(
    session: AsyncSession, enrollment_ids: Iterable[int], now: datetime
) -> dict[int, int]:
    """How many reviews wait for each enrollment now (cards must be synced first)."""
    ids = list(enrollment_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(ReviewCard.enrollment_id, func.count())
        .where(ReviewCard.enrollment_id.in_(ids), ReviewCard.due_at <= now)
        .group_by(ReviewCard.enrollment_id)
    )
    return {enrollment_id: int(count) for enrollment_id, count in rows}


async def next_due(session: AsyncSession, enrollment_id: int, now: datetime) -> ReviewCard | None:
    """The review that has waited longest, if any is due."""
    return await session.scalar(
        select(ReviewCard)
        .where(ReviewCard.enrollment_id == enrollment_id, ReviewCard.due_at <= now)
        .order_by(ReviewCard.due_at, ReviewCard.id)
        .limit(1)
    )


def rate(review: ReviewCard, grade: int, now: datetime) -> datetime:
    """Record a review (1 again, 2 hard, 3 good, 4 easy); returns when the card is due next."""
    card, _ = SCHEDULER.review_card(Card.from_dict(review.card), RATINGS[grade], now)  # type: ignore[arg-type]
    review.card = card.to_dict()  # type: ignore[assignment]
    review.due_at = card.due
    review.reviews += 1
    review.last_review_at = now
    return card.due
