"""Spaced review: every answered quiz question becomes an FSRS card (the `fsrs` package);
the first answer counts as its first review (right: Good, wrong: Again, open: Good)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from fsrs import Card, Rating, Scheduler
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

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


async def sync_cards(session: AsyncSession, enrollment_ids: Iterable[int], now: datetime) -> int:
    """Add a card for every answered question that has none yet; how many were added."""
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
    if added:
        await session.flush()
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
