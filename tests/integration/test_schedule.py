"""Lessons on a schedule with a fake clock: catch-up after a stop, reminders ending in a
pause, /pause and /resume, /settings, spaced review, and two processes on one database."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.console.adapter import ConsoleChannel
from bot.content.loader import ContentStore
from bot.conversation.router import Dialogue
from bot.db.engine import create_engine, create_session_factory
from bot.db.models import (
    ChannelIdentity,
    Enrollment,
    LessonDelivery,
    OutboxMessage,
    Participant,
    ReviewCard,
)
from bot.features.timetable.dispatch import ScheduleConfig
from bot.features.timetable.settings import paused_participants
from bot.features.timetable.tick import ScheduleTick
from bot.kernel.clock import FakeClock
from bot.kernel.context import Deps
from bot.kernel.i18n import Translations
from tests.conftest import VILNIUS
from tests.helpers import answer_in_console
from tests.integration.test_dialogue_console import onboard

Sessions = async_sessionmaker[AsyncSession]


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=VILNIUS).astimezone(UTC)


def make_tick(
    sessions: Sessions, content: ContentStore, translations: Translations, clock: FakeClock
) -> ScheduleTick:
    return ScheduleTick(sessions, content, translations, clock, ScheduleConfig(zone=VILNIUS))


async def seed(
    sessions: Sessions,
    content: ContentStore,
    count: int,
    delivered_at: datetime,
    *,
    completed: bool = True,
    channel: str = "telegram",
) -> list[int]:
    """Onboarded people whose first lesson went out at `delivered_at`."""
    first = content.index.lessons[0].lesson.id
    ids = []
    async with sessions() as session, session.begin():
        for n in range(count):
            person = Participant(
                language="lt",
                name=f"P{n}",
                preferred_time=time(9),
                onboarded_at=delivered_at,
                created_at=delivered_at,
                last_seen_at=delivered_at,
            )
            external = "local" if channel == "console" else str(1000 + n)
            person.identities.append(
                ChannelIdentity(channel=channel, external_id=external, created_at=delivered_at)
            )
            session.add(person)
            await session.flush()
            enrollment = Enrollment(
                participant_id=person.id, course_id=content.index.course.id, started_at=delivered_at
            )
            session.add(enrollment)
            await session.flush()
            session.add(
                LessonDelivery(
                    enrollment_id=enrollment.id,
                    lesson_id=first,
                    delivered_at=delivered_at,
                    completed_at=delivered_at if completed else None,
                )
            )
            ids.append(person.id)
    return ids


async def purposes(sessions: Sessions) -> Counter[tuple[int, str]]:
    async with sessions() as session:
        rows = await session.execute(
            select(OutboxMessage.participant_id, OutboxMessage.purpose).where(
                OutboxMessage.purpose != "reply"
            )
        )
        return Counter((pid, purpose) for pid, purpose in rows)


async def test_a_restart_three_days_later_sends_one_lesson_each_no_burst(
    sessions: Sessions, content: ContentStore, translations: Translations, clock: FakeClock
) -> None:
    ids = await seed(sessions, content, 3, local(2026, 11, 16, 9))  # Monday
    tick = make_tick(sessions, content, translations, clock)
    clock.set(local(2026, 11, 16, 9, 1))
    await tick()  # plans Tuesday 09:00
    clock.set(local(2026, 11, 19, 11))  # the bot was down Tuesday to Thursday morning
    await tick()
    await tick()
    assert await purposes(sessions) == Counter({(pid, "lesson"): 1 for pid in ids})
    async with sessions() as session:
        due = set(await session.scalars(select(Enrollment.next_due_at)))
        # the quiz is open now: the next look is the reminder, Friday at 09:00
        assert due == {local(2026, 11, 20, 9)}


async def test_after_a_stop_outside_the_window_the_lesson_waits_for_the_next_slot(
    sessions: Sessions, content: ContentStore, translations: Translations, clock: FakeClock
) -> None:
    (pid,) = await seed(sessions, content, 1, local(2026, 11, 18, 9))  # Wednesday
    tick = make_tick(sessions, content, translations, clock)
    clock.set(local(2026, 11, 21, 10))  # Saturday, three days later: no lessons at weekends
    await tick()
    clock.set(local(2026, 11, 23, 8, 59))
    await tick()
    assert not await purposes(sessions)
    clock.set(local(2026, 11, 23, 9, 0, 30))  # Monday 09:00, one tick late
    await tick()
    assert await purposes(sessions) == Counter({(pid, "lesson"): 1})
    clock.set(local(2026, 11, 23, 21))
    assert not await tick()  # nothing more is due today


async def test_unanswered_quiz_gets_three_reminders_then_a_pause(
    sessions: Sessions,
    content: ContentStore,
    translations: Translations,
    clock: FakeClock,
    dialogue: Dialogue,
) -> None:
    (pid,) = await seed(
        sessions, content, 1, local(2026, 11, 16, 9), completed=False, channel="console"
    )
    tick = make_tick(sessions, content, translations, clock)
    for day in (17, 18, 19, 20, 23, 24):  # Tuesday to Friday, then Monday and Tuesday
        clock.set(local(2026, 11, day, 9, 0, 10))
        await tick()
    assert await purposes(sessions) == Counter({(pid, "reminder"): 3, (pid, "pause"): 1})
    async with sessions() as session:
        (paused,) = await paused_participants(session)
        notice = await session.scalar(
            select(OutboxMessage.payload).where(OutboxMessage.purpose == "pause")
        )
    assert paused.participant_id == pid and paused.reason == "reminders"
    assert notice is not None and "/resume" in notice[0]["text"]
    assert paused.paused_at == local(2026, 11, 20, 9, 0, 10)

    chat = ConsoleChannel(dialogue)
    reply = await chat.send("/resume")
    assert "Sveiki sugrįžę" in reply and "Klausimas 1 iš" in reply
    async with sessions() as session:
        assert not await paused_participants(session)


async def test_pause_until_a_date_and_resume(
    dialogue: Dialogue,
    sessions: Sessions,
    content: ContentStore,
    translations: Translations,
    clock: FakeClock,
) -> None:
    chat = ConsoleChannel(dialogue)
    await onboard(chat)
    for question in content.index.lessons[0].lesson.quiz:
        await answer_in_console(chat, question)
    assert "Nepavyko perskaityti datos" in await chat.send("/pause until tomorrow")
    assert "po šiandienos" in await chat.send("/pause until 2026-11-24")
    assert "iki 2026-12-01" in await chat.send("/pause until 2026-12-01")
    tick = make_tick(sessions, content, translations, clock)
    for day in (25, 26, 27, 30):
        clock.set(local(2026, 11, day, 12, 0, 5))
        await tick()
    assert not await purposes(sessions)
    clock.set(local(2026, 12, 1, 12, 0, 5))
    await tick()
    assert sum((await purposes(sessions)).values()) == 1
    assert "sustabdytos" not in await chat.send("/settings")

    reply = await chat.send("/pause")
    assert "Kol pratęsiu" in reply
    assert "/resume" in await chat.send(str(chat.options.index("Kol pratęsiu") + 1))
    assert "Sveiki sugrįžę" in await chat.send("/resume")
    assert "nesustabdytos" in await chat.send("/resume")


async def test_settings_refuse_bad_times_clearly_and_take_a_good_one(
    dialogue: Dialogue, sessions: Sessions
) -> None:
    chat = ConsoleChannel(dialogue)
    await onboard(chat)
    reply = await chat.send("/settings")
    assert "12:00" in reply and "nuo pirmadienio iki penktadienio" in reply
    await chat.send(str(chat.options.index("🕗 Keisti pamokų laiką") + 1))
    assert "VV:MM" in await chat.send("7:5")
    assert "Tokio paros laiko nėra" in await chat.send("25:00")
    assert "tarp 08:00 ir 20:00" in await chat.send("07:00")
    assert "18:30" in await chat.send("18:30")
    async with sessions() as session:
        person = await session.scalar(select(Participant))
        assert person is not None and person.preferred_time == time(18, 30)


async def test_answers_enter_fsrs_review_and_the_next_lesson_mentions_them(
    dialogue: Dialogue,
    sessions: Sessions,
    content: ContentStore,
    translations: Translations,
    clock: FakeClock,
) -> None:
    chat = ConsoleChannel(dialogue)
    await onboard(chat)
    quiz = content.index.lessons[0].lesson.quiz
    await answer_in_console(chat, quiz[0], correct=False)
    for question in quiz[1:]:
        await answer_in_console(chat, question)
    assert "Peržiūrų nėra" in await chat.send("/review")
    async with sessions() as session:
        cards = {c.question_id: c for c in await session.scalars(select(ReviewCard))}
    assert len(cards) == len(quiz)
    answered_at = cards[quiz[0].id].last_review_at
    assert answered_at is not None
    assert cards[quiz[0].id].due_at - answered_at == timedelta(days=1)  # wrong: Again
    for question in quiz[1:]:
        assert cards[question.id].due_at - answered_at == timedelta(days=2)  # right: Good

    clock.set(local(2026, 11, 25, 12, 0, 10))  # Wednesday, lesson time
    await make_tick(sessions, content, translations, clock)()
    async with sessions() as session:
        payload = await session.scalar(
            select(OutboxMessage.payload).where(OutboxMessage.purpose == "lesson")
        )
    assert payload is not None
    assert any("peržiūra: /review" in part.get("text", "") for part in payload)

    reply = await chat.send("/review")
    assert "Peržiūra" in reply
    await chat.send("1")  # show the answer
    reply = await chat.send(str(chat.options.index("🙂 Gerai") + 1))
    assert "Įrašyta" in reply
    async with sessions() as session:
        card = await session.scalar(select(ReviewCard).where(ReviewCard.question_id == quiz[0].id))
    assert card is not None and card.reviews == 2 and card.due_at > clock.now() + timedelta(days=1)


async def test_the_trainers_list_of_paused_participants(
    sessions: Sessions, content: ContentStore, translations: Translations, clock: FakeClock
) -> None:
    deps = Deps(content=content, clock=clock, sessions=sessions, console_admins=frozenset({"boss"}))
    dialogue = Dialogue(sessions, content, translations, clock, VILNIUS, deps=deps)
    learner = ConsoleChannel(dialogue)
    await onboard(learner)
    await learner.send("/pause until 2026-12-10")
    assert "/paused" not in await learner.send("/help")
    trainer = ConsoleChannel(dialogue, user_id="boss")
    await onboard(trainer)
    reply = await trainer.send("/paused")
    assert "Rūta Žemaitytė" in reply and "iki 2026-12-10" in reply


async def test_two_app_instances_dispatch_500_due_lessons_once_each(
    database_url: str,
    sessions: Sessions,
    content: ContentStore,
    translations: Translations,
    clock: FakeClock,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite runs one scheduler process")
    ids = await seed(sessions, content, 500, local(2026, 11, 23, 9))
    clock.set(local(2026, 11, 24, 9, 0, 5))
    engines = [create_engine(database_url) for _ in range(2)]
    try:
        ticks = [
            ScheduleTick(
                create_session_factory(engine),
                content,
                translations,
                clock,
                ScheduleConfig(zone=VILNIUS, batch_size=50),
            )
            for engine in engines
        ]
        results = await asyncio.gather(*(tick() for tick in ticks))
    finally:
        for engine in engines:
            await engine.dispose()
    assert sum(result["lesson"] for result in results) == 500
    assert await purposes(sessions) == Counter({(pid, "lesson"): 1 for pid in ids})
    async with sessions() as session:
        deliveries = await session.scalar(select(func.count()).select_from(LessonDelivery))
    assert deliveries == 1000
