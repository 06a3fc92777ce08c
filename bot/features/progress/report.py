"""A participant's progress: lessons done per module, quiz score and streak."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import CourseIndex
from bot.content.models import Module
from bot.db.models import Answer, Enrollment, LessonDelivery
from bot.domain.progress import score_percent, streak


@dataclass(frozen=True)
class ModuleProgress:
    """Lessons completed out of a module's lessons."""

    module: Module
    done: int
    total: int


@dataclass(frozen=True)
class ProgressReport:
    """Everything /progress shows."""

    modules: list[ModuleProgress]
    score: int | None
    answered: int
    streak_days: int

    @property
    def lessons_done(self) -> int:
        """Lessons completed in the whole course."""
        return sum(m.done for m in self.modules)


async def progress_report(
    session: AsyncSession, enrollment: Enrollment, index: CourseIndex, today: date, zone: ZoneInfo
) -> ProgressReport:
    """Summarise progress; counts only lessons and questions the course still has."""
    completed = {
        row.lesson_id: row.completed_at
        for row in await session.scalars(
            select(LessonDelivery).where(
                LessonDelivery.enrollment_id == enrollment.id,
                LessonDelivery.completed_at.is_not(None),
            )
        )
    }
    answers = [
        answer
        for answer in await session.scalars(
            select(Answer).where(Answer.enrollment_id == enrollment.id)
        )
        if index.question(answer.question_id) is not None
    ]
    modules = [
        ModuleProgress(
            module,
            sum(lesson.id in completed for lesson in module.lessons),
            len(module.lessons),
        )
        for module in index.course.modules
    ]
    days = {a.answered_at.astimezone(zone).date() for a in answers}
    scored = [a for a in answers if a.is_correct is not None]
    return ProgressReport(
        modules=modules,
        score=score_percent(sum(bool(a.is_correct) for a in scored), len(scored)),
        answered=len(answers),
        streak_days=streak(days, today),
    )
