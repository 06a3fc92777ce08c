"""Progress is stored against ids: removing a lesson, question or module that participants
have progress on hides that progress. `content check --database-url` reports it."""

from __future__ import annotations

from sqlalchemy import Select, func, select, union_all
from sqlalchemy.engine import make_url
from sqlalchemy.orm import InstrumentedAttribute

from bot.content.loader import COURSE_FILE, ContentIssue, ContentReport, node_at
from bot.content.models import Course
from bot.db.engine import create_engine
from bot.db.models import Answer, Enrollment, LessonDelivery, Reflection

_ASYNC_DRIVERS = {"postgresql": "postgresql+asyncpg", "sqlite": "sqlite+aiosqlite"}


def async_url(url: str) -> str:
    """The URL with the async driver this project uses (postgresql:// -> +asyncpg)."""
    parsed = make_url(url)
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    return parsed.set(drivername=driver).render_as_string(False) if driver else url


def _people(*queries: Select) -> Select:
    rows = union_all(*queries).subquery()
    return select(rows.c.item, func.count(func.distinct(rows.c.enrollment))).group_by(rows.c.item)


def _of_course(
    item: InstrumentedAttribute[str], enrollment: InstrumentedAttribute[int], course_id: str
) -> Select:
    return (
        select(item.label("item"), enrollment.label("enrollment"))
        .join(Enrollment, Enrollment.id == enrollment)
        .where(Enrollment.course_id == course_id)
    )


async def progress_on(database_url: str, course_id: str) -> dict[str, dict[str, int]]:
    """{"lesson"|"question"|"module": {id: participants with progress on it}}."""
    engine = create_engine(async_url(database_url))
    try:
        async with engine.connect() as connection:
            lessons = _people(
                _of_course(LessonDelivery.lesson_id, LessonDelivery.enrollment_id, course_id),
                _of_course(Answer.lesson_id, Answer.enrollment_id, course_id),
            )
            questions = _people(_of_course(Answer.question_id, Answer.enrollment_id, course_id))
            modules = _people(_of_course(Reflection.module_id, Reflection.enrollment_id, course_id))
            return {
                kind: {row[0]: row[1] for row in await connection.execute(query)}
                for kind, query in (
                    ("lesson", lessons),
                    ("question", questions),
                    ("module", modules),
                )
            }
    finally:
        await engine.dispose()


def removed_with_progress(
    report: ContentReport, course: Course, progress: dict[str, dict[str, int]]
) -> list[ContentIssue]:
    """An issue for every id with progress that the course no longer has."""
    present = {
        "module": {module.id for module in course.modules},
        "lesson": {lesson.id for module in course.modules for lesson in module.lessons},
        "question": {
            question.id
            for module in course.modules
            for lesson in module.lessons
            for question in lesson.quiz
        },
    }
    course_file = next((f for f in report.files if f.rel == COURSE_FILE), None)
    issues = []
    for kind in ("module", "lesson", "question"):
        for item_id, people in sorted(progress.get(kind, {}).items()):
            if item_id in present[kind]:
                continue
            noun = "participant has" if people == 1 else "participants have"
            message = (
                f"the {kind} {item_id!r} is no longer in the course, but {people} {noun} "
                f"progress on it: keep its id (titles and order may change freely)"
            )
            if course_file is None:
                issues.append(ContentIssue(COURSE_FILE, 1, 1, "modules", message))
            else:
                node = node_at(course_file.root, ["modules"], key=True)
                issues.append(course_file.issue(node, "modules", message))
    return issues
