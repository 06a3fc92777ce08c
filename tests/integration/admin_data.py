"""A small, fully known course population for the trainer and coordinator tools' tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.content.loader import ContentStore
from bot.conversation.features import build_registry
from bot.conversation.router import Dialogue
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
from bot.kernel.clock import FakeClock
from bot.kernel.context import Deps
from bot.kernel.i18n import Translations
from tests.conftest import VILNIUS

Sessions = async_sessionmaker[AsyncSession]
OPEN_TEXT = "Ąžuolas čiupo žąsį: ėjome į šokį, ūkininkai džiaugėsi"
ADMIN_ID = "boss"


def admin_dialogue(
    sessions: Sessions, content: ContentStore, translations: Translations, clock: FakeClock
) -> Dialogue:
    """The whole bot with every feature; the console user "boss" is an admin."""
    deps = Deps(
        content=content,
        clock=clock,
        sessions=sessions,
        console_admins=frozenset({ADMIN_ID}),
        bot_username="CultureCoachTestBot",
    )
    return Dialogue(
        sessions, content, translations, clock, VILNIUS, registry=build_registry(), deps=deps
    )


async def add_person(
    session: AsyncSession,
    user_id: str,
    now: datetime,
    *,
    name: str,
    municipality: str = "utena",
    role: str = "pr",
    cohort: Cohort | None = None,
    seen: datetime | None = None,
    onboarded: bool = True,
    grants: tuple[str, ...] = (),
) -> Participant:
    """An onboarded participant reachable in the console as `user_id`."""
    person = Participant(
        language="lt",
        name=name,
        municipality=municipality,
        institution="Kultūros centras „Ąžuolynas“",
        role=role,
        privacy_accepted_at=now - timedelta(days=20),
        onboarded_at=now - timedelta(days=20) if onboarded else None,
        created_at=now - timedelta(days=20),
        last_seen_at=seen or now,
        cohort_id=cohort.id if cohort else None,
    )
    person.identities.append(
        ChannelIdentity(channel="console", external_id=user_id, created_at=now)
    )
    session.add(person)
    await session.flush()
    for grant in grants:
        session.add(RoleGrant(participant_id=person.id, role=grant, granted_at=now))
    await session.flush()
    return person


async def add_progress(
    session: AsyncSession,
    person: Participant,
    now: datetime,
    course_id: str,
    lessons: list[str],
    answers: list[tuple[str, str, str | None, str | None, bool | None]],
) -> Enrollment:
    """An enrollment with completed lessons and answers (lesson, question, options, text, ok)."""
    enrollment = Enrollment(
        participant_id=person.id, course_id=course_id, started_at=now - timedelta(days=20)
    )
    session.add(enrollment)
    await session.flush()
    for n, lesson in enumerate(lessons):
        moment = now - timedelta(days=10 - n)
        session.add(
            LessonDelivery(
                enrollment_id=enrollment.id,
                lesson_id=lesson,
                delivered_at=moment,
                completed_at=moment + timedelta(hours=1),
            )
        )
    for lesson, question, options, text, correct in answers:
        session.add(
            Answer(
                enrollment_id=enrollment.id,
                lesson_id=lesson,
                question_id=question,
                option_id=options,
                text=text,
                is_correct=correct,
                answered_at=now - timedelta(days=2),
            )
        )
    await session.flush()
    return enrollment


async def seed(sessions: Sessions, clock: FakeClock, content: ContentStore) -> dict[str, int]:
    """Three participants (Rūta, Jonas, Ona the coordinator), one still onboarding, ideas.

    Today is Tuesday 2026-11-24; the cohort started Monday 2026-11-16: six lesson days
    before today, so Rūta (2 lessons) is behind and Jonas (6) is not; Ona has no cohort and
    enrolled today, so nothing is expected of her yet. Jonas paused his lessons."""
    now = clock.now()
    index = content.index
    m1 = [lesson.id for lesson in index.course.modules[0].lessons]
    m2 = [lesson.id for lesson in index.course.modules[1].lessons]
    async with sessions() as session, session.begin():
        cohort = Cohort(
            name="Utenos grupė", invite_code="UTENA2026", start_date=date(2026, 11, 16),
            created_at=now,
        )  # fmt: skip
        session.add(cohort)
        await session.flush()
        ruta = await add_person(
            session, "ruta", now, name="Rūta Žemaitytė", cohort=cohort,
            seen=now - timedelta(days=1),
        )  # fmt: skip
        jonas = await add_person(
            session, "jonas", now, name="Jonas Šalčius", municipality="zarasai", role="head",
            cohort=cohort, seen=now - timedelta(days=10),
        )  # fmt: skip
        ona = await add_person(
            session, "ona", now, name="Ona Čepaitė", municipality="zarasai", role="organiser",
            grants=("coordinator",),
        )  # fmt: skip
        await add_person(session, "newbie", now, name="Naujokas", onboarded=False)
        course = index.course.id
        await add_progress(
            session, ruta, now, course, m1[:2],
            [
                ("m1-mobile", "m1-mobile-q1", "b,e", None, True),
                ("m1-mobile", "m1-mobile-q2", "true", None, True),
                ("m1-mobile", "m1-mobile-q3", "a", None, False),
            ],
        )  # fmt: skip
        jonas_enrollment = await add_progress(
            session, jonas, now, course, [*m1, m2[0]],
            [
                ("m2-persona", "m2-persona-q3", None, OPEN_TEXT, None),
                ("m1-speed", "m1-speed-q1", "b", None, True),
            ],
        )  # fmt: skip
        jonas_enrollment.paused_at = now - timedelta(days=3)
        ona_enrollment = Enrollment(participant_id=ona.id, course_id=course, started_at=now)
        session.add(ona_enrollment)
        session.add_all(
            [
                Idea(
                    participant_id=ruta.id, title="Naujienlaiškis „Šviesa“", status="started",
                    created_at=now - timedelta(days=5), started_at=now - timedelta(days=4),
                ),
                Idea(
                    participant_id=jonas.id, title="Renginių kalendorius", status="done",
                    created_at=now - timedelta(days=6), started_at=now - timedelta(days=6),
                    done_at=now - timedelta(days=1),
                ),
            ]
        )  # fmt: skip
        await session.flush()
        return {"ruta": ruta.id, "jonas": jonas.id, "ona": ona.id, "cohort": cohort.id}


@pytest.fixture
def everything(
    sessions: Sessions, content: ContentStore, translations: Translations, clock: FakeClock
) -> Dialogue:
    """The whole bot, with an admin named boss."""
    return admin_dialogue(sessions, content, translations, clock)
