"""`python -m bot chat --lesson ID`: try one lesson in the terminal, as a participant would.

The preview runs on a throwaway SQLite database in a temporary directory (deleted at the
end), for a preview participant who has already finished onboarding; the lessons before the
chosen one count as done, so "Next lesson" goes on in course order."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from bot.app import App, build_app
from bot.channels.console.adapter import ConsoleChannel
from bot.config import Settings
from bot.content.loader import CourseIndex, LessonRef, load_course
from bot.db import participants
from bot.db.models import LessonDelivery

PREVIEW_NAME = "Preview"


def find_lesson(index: CourseIndex, lesson_id: str) -> LessonRef | str:
    """The lesson, or a friendly reason why there is none."""
    ref = index.lesson(lesson_id)
    if ref is not None:
        return ref
    ids = ", ".join(r.lesson.id for r in index.lessons)
    return f"There is no lesson {lesson_id!r} in the course. The lesson ids are: {ids}."


async def seed_preview(app: App, user_id: str, ref: LessonRef, language: str) -> None:
    """An onboarded participant for whom `ref` is the next lesson."""
    index = app.content.index
    now = app.clock.now()
    async with app.sessions() as session, session.begin():
        person = await participants.register(session, "console", user_id, language, now)
        person.name = PREVIEW_NAME
        person.privacy_accepted_at = now
        person.onboarded_at = now
        enrollment = await participants.ensure_enrollment(session, person.id, index.course.id, now)
        for earlier in index.lessons:
            if earlier.lesson.id == ref.lesson.id:
                break
            session.add(
                LessonDelivery(
                    enrollment_id=enrollment.id,
                    lesson_id=earlier.lesson.id,
                    delivered_at=now,
                    completed_at=now,
                )
            )


async def preview(
    settings: Settings,
    lesson_id: str,
    *,
    user: str = "local",
    admin: bool = False,
    language: str | None = None,
    read_line: Callable[[], str] = sys.stdin.readline,
    write: Callable[[str], object] = print,
) -> int:
    """Chat in the terminal, starting at one lesson; 2 if there is no such lesson."""
    found = find_lesson(CourseIndex(load_course(settings.content_dir)), lesson_id)
    if isinstance(found, str):
        print(found, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="cc-preview-") as directory:
        database = Path(directory) / "preview.db"
        throwaway = settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{database}"})
        app = await build_app(throwaway, console_admins=[user] if admin else [])
        try:
            await seed_preview(app, user, found, language or settings.default_language)
            position = f"lesson {found.index + 1} of {len(found.module.lessons)}"
            banner = (
                f"Preview of lesson {found.lesson.id} ({found.module.id}, {position}) "
                "on a throwaway database: nothing is saved.\n"
                "Type a number to press a button, /quit to leave.\n"
            )
            chat = ConsoleChannel(app.dialogue, user_id=user)
            await chat.run(read_line, write, banner=banner, first="/next")
            return 0
        finally:
            await app.aclose()
