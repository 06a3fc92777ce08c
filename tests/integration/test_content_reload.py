"""Content in service: /reload_content, progress kept by id, removed ids with progress, and
the lesson preview in the terminal."""

from __future__ import annotations

import asyncio
import html
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.console.adapter import ConsoleChannel
from bot.config import Settings
from bot.content import cli
from bot.content.loader import ContentStore, check_content
from bot.content.progress_check import progress_on, removed_with_progress
from bot.conversation.router import Dialogue
from bot.db import participants
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade
from bot.db.models import Answer, Enrollment, LessonDelivery, Participant
from bot.features.content_admin import handlers as content_admin
from bot.features.progress import report as progress
from bot.kernel.clock import FakeClock
from bot.kernel.context import Deps
from bot.kernel.i18n import Translations
from bot.kernel.messages import Inbound, InboundKind, Message
from bot.kernel.registry import Registry
from bot.preview import preview
from tests.conftest import VILNIUS
from tests.fakes.telegram_html import parse_html
from tests.helpers import answer_in_console, task_results, tasks_done
from tests.integration.test_dialogue_console import onboard

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "course"
Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
def course_dir(tmp_path: Path) -> Path:
    """A copy of the fixture course that a test may edit."""
    target = tmp_path / "content"
    shutil.copytree(FIXTURE, target)
    return target


def _dialogue(
    sessions: Sessions, store: ContentStore, translations: Translations, clock: FakeClock
) -> Dialogue:
    registry = Registry()
    content_admin.register(registry)
    deps = Deps(content=store, clock=clock, sessions=sessions, console_admins=frozenset({"admin"}))
    return Dialogue(sessions, store, translations, clock, VILNIUS, registry=registry, deps=deps)


def _edit_module(course_dir: Path, module_id: str, change: Any) -> None:
    path = course_dir / "modules" / f"{module_id}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


async def _finish_lesson(chat: ConsoleChannel, store: ContentStore, lesson_id: str) -> None:
    ref = store.index.lesson(lesson_id)
    assert ref is not None
    for question in ref.lesson.quiz:
        await answer_in_console(chat, question)


async def test_admin_reloads_the_course_and_the_next_update_sees_it(
    sessions: Sessions, translations: Translations, clock: FakeClock, course_dir: Path
) -> None:
    store = ContentStore(course_dir)
    dialogue = _dialogue(sessions, store, translations, clock)
    learner, admin = ConsoleChannel(dialogue, "learner"), ConsoleChannel(dialogue, "admin")
    await onboard(learner)
    await onboard(admin)
    await _finish_lesson(learner, store, "t1-a")

    def rename(data: dict[str, Any]) -> None:
        data["lessons"][1]["title"]["lt"] = "Antroji pamoka, pataisyta"

    _edit_module(course_dir, "t1", rename)
    assert "Tikrinu naujus kurso failus" in await admin.send("/reload_content")
    await tasks_done(dialogue)  # checked and loaded outside the turn, then reported
    assert "Kurso turinys įkeltas iš naujo. Modulių: 2, pamokų: 3." in admin.received()
    assert "Antroji pamoka, pataisyta" in await learner.send("/next")


async def test_a_reload_with_warnings_loads_and_says_how_many(
    sessions: Sessions, translations: Translations, clock: FakeClock, course_dir: Path
) -> None:
    store = ContentStore(course_dir)
    assert store.warnings == []
    dialogue = _dialogue(sessions, store, translations, clock)
    admin = ConsoleChannel(dialogue, "admin")
    await onboard(admin)

    def bare_sources(data: dict[str, Any]) -> None:
        for lesson in data["lessons"]:
            lesson["sources"][0]["url"] = "https://www.lrt.lt/"

    _edit_module(course_dir, "t1", bare_sources)
    await admin.send("/reload_content")
    await tasks_done(dialogue)
    received = admin.received()
    assert "Kurso turinys įkeltas iš naujo. Modulių: 2, pamokų: 3." in received
    assert "Tikrinimas rado 2 įspėjimus" in received
    assert "python -m bot content check" in received
    assert [warning.file for warning in store.warnings] == ["modules/t1.yaml"] * 2


async def test_invalid_content_is_refused_and_the_old_course_stays(
    sessions: Sessions, translations: Translations, clock: FakeClock, course_dir: Path
) -> None:
    store = ContentStore(course_dir)
    dialogue = _dialogue(sessions, store, translations, clock)
    learner, admin = ConsoleChannel(dialogue, "learner"), ConsoleChannel(dialogue, "admin")
    await onboard(admin)
    in_service = store.index
    module = course_dir / "modules" / "t2.yaml"
    module.write_text(module.read_text(encoding="utf-8").replace("en:", "de:"), encoding="utf-8")
    expected = check_content(course_dir).issues
    assert len(expected) > content_admin.SHOWN_ISSUES

    await dialogue.handle(Inbound("console", "admin", InboundKind.TEXT, text="/reload_content"))
    [reply] = await task_results(dialogue, sessions, "task_content_reload")
    assert isinstance(reply, Message)
    parse_html(reply.text)  # Telegram would take it
    assert f"Naujas turinys neįkeltas: jame rasta {len(expected)} klaidų" in reply.text
    assert "Toliau veikia ankstesnė kurso versija." in reply.text
    first = expected[0]
    assert f"<code>{first.file}:{first.line}:{first.column}</code> {first.path}:" in reply.text
    assert reply.text.count("• <code>") == content_admin.SHOWN_ISSUES
    assert f"…ir dar {len(expected) - content_admin.SHOWN_ISSUES}." in reply.text
    assert store.index is in_service
    assert "Pirmoji pamoka" in await onboard(learner)  # the old course still serves


async def test_only_an_admin_may_reload(
    sessions: Sessions, translations: Translations, clock: FakeClock, course_dir: Path
) -> None:
    store = ContentStore(course_dir)
    learner = ConsoleChannel(_dialogue(sessions, store, translations, clock), "learner")
    await onboard(learner)
    in_service = store.index
    reply = await learner.send("/reload_content")
    unknown = translations.get("lt").gettext("I don't know the command /{command}.")
    assert unknown.format(command="reload_content") in reply
    assert store.index is in_service
    help_text = await learner.send("/help")
    assert "/reload_content" not in help_text


async def test_progress_survives_new_titles_new_order_and_a_new_lesson(
    sessions: Sessions, translations: Translations, clock: FakeClock, course_dir: Path
) -> None:
    store = ContentStore(course_dir)
    chat = ConsoleChannel(_dialogue(sessions, store, translations, clock), "learner")
    await onboard(chat)
    await _finish_lesson(chat, store, "t1-a")

    def rework(data: dict[str, Any]) -> None:
        first, second = data["lessons"]
        first["title"] = {"lt": "Pirmoji pamoka, naujas pavadinimas", "en": "First, renamed"}
        new = {**second, "id": "t1-new", "title": {"lt": "Visai nauja pamoka", "en": "New"}}
        new["quiz"] = [{**q, "id": f"new-{q['id']}"} for q in second["quiz"]]
        data["lessons"] = [new, second, first]

    _edit_module(course_dir, "t1", rework)
    store.reload()

    async with sessions() as session:
        person = await session.scalar(select(Participant))
        assert person is not None
        enrollment = await participants.get_enrollment(session, person.id, "mini")
        assert enrollment is not None
        report = await progress.progress_report(
            session, enrollment, store.index, clock.now().date(), VILNIUS
        )
        kept = list(await session.scalars(select(Answer.question_id).order_by(Answer.id)))
    assert kept == ["t1-a-single", "t1-a-multi", "t1-a-open"]
    assert [(m.module.id, m.done, m.total) for m in report.modules] == [("t1", 1, 3), ("t2", 0, 1)]
    assert report.answered == 3 and report.score == 100

    following = await chat.send("/next")
    assert "Visai nauja pamoka" in following
    assert "naujas pavadinimas" not in following  # the finished lesson is not sent again


async def test_the_checker_reports_removed_ids_with_progress(
    sessions: Sessions,
    translations: Translations,
    clock: FakeClock,
    course_dir: Path,
    database_url: str,
) -> None:
    store = ContentStore(course_dir)
    chat = ConsoleChannel(_dialogue(sessions, store, translations, clock), "learner")
    await onboard(chat)
    await answer_in_console(chat, store.index.lessons[0].lesson.quiz[0])

    def drop_first(data: dict[str, Any]) -> None:
        data["lessons"] = data["lessons"][1:]

    _edit_module(course_dir, "t1", drop_first)
    report = check_content(course_dir)
    assert report.course is not None and report.issues == []
    found = await progress_on(database_url, report.course.id)
    issues = [str(issue) for issue in removed_with_progress(report, report.course, found)]
    assert issues == [
        "course.yaml:3:1: modules: the lesson 't1-a' is no longer in the course, but "
        "1 participant has progress on it: keep its id (titles and order may change freely)",
        "course.yaml:3:1: modules: the question 't1-a-single' is no longer in the course, but "
        "1 participant has progress on it: keep its id (titles and order may change freely)",
    ]


def test_check_with_a_database_url_fails_on_removed_lessons(
    tmp_path: Path, course_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'progress.db'}"
    upgrade(url)
    asyncio.run(_deliver(url, "t1-gone"))
    assert cli.check(course_dir, database_url=url.replace("+aiosqlite", "")) == 1
    err = capsys.readouterr().err
    assert "the lesson 't1-gone' is no longer in the course, but 1 participant has" in err
    assert err.endswith("Found 1 problem in 1 file.\n")


async def _deliver(url: str, lesson_id: str) -> None:
    now = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            person = await participants.register(session, "console", "p", "lt", now)
            session.add(Enrollment(participant_id=person.id, course_id="mini", started_at=now))
            await session.flush()
            enrollment = await session.scalar(select(Enrollment))
            assert enrollment is not None
            session.add(
                LessonDelivery(enrollment_id=enrollment.id, lesson_id=lesson_id, delivered_at=now)
            )
    finally:
        await engine.dispose()


@pytest.fixture
def preview_settings(tmp_path: Path) -> Iterator[Settings]:
    yield Settings(
        _env_file=None,  # type: ignore[call-arg]
        content_dir=Path(__file__).resolve().parents[2] / "content",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'never-used.db'}",
        default_language="lt",
    )


async def test_preview_starts_at_the_lesson_without_onboarding(
    preview_settings: Settings, tmp_path: Path
) -> None:
    typed = iter(["/progress\n", "/quit\n"])
    shown: list[str] = []
    code = await preview(
        preview_settings, "m1-speed", read_line=lambda: next(typed), write=shown.append
    )
    text = "\n".join(shown)
    assert code == 0
    assert text.startswith("Preview of lesson m1-speed (m1, lesson 2 of 6) on a throwaway")
    lesson = ContentStore(preview_settings.content_dir).index.lesson("m1-speed").lesson
    assert html.unescape(lesson.title["lt"]) in text
    assert lesson.quiz[0].prompt["lt"] in text
    assert "English" not in text  # no onboarding questions
    assert "Pirmiausia – telefonas" not in text  # earlier lessons are not shown...
    assert "▓░░░░░ 1/6" in text  # ...but count as done, so "next" goes on in course order
    assert not (tmp_path / "never-used.db").exists()


async def test_preview_of_an_unknown_lesson_lists_the_ids(
    preview_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await preview(preview_settings, "nope", read_line=lambda: "", write=print)
    assert code == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("There is no lesson 'nope' in the course. The lesson ids are: m1-")
