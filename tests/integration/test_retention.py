"""Retention: a cohort's participants are erased RETENTION_DAYS after its last lesson day;
trainers are warned once, seven days before; everyone else is untouched."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.content.loader import ContentStore
from bot.db.models import AuditLogEntry, Cohort, OutboxMessage, Participant, ProcessedUpdate
from bot.features.privacy.retention import cohort_end, sweep
from bot.kernel.clock import FakeClock
from bot.kernel.context import Deps
from bot.kernel.i18n import Translations
from tests.conftest import VILNIUS
from tests.integration.admin_data import add_person

Sessions = async_sessionmaker[AsyncSession]
RETENTION = 30


def _cohort(start: date, lessons_per_day: int = 1) -> Cohort:
    return Cohort(
        name="Utenos grupė",
        invite_code="UTENA2026",
        start_date=start,
        created_at=datetime(2025, 12, 1, tzinfo=UTC),
        lesson_days="12345",
        lessons_per_day=lessons_per_day,
    )


def test_a_cohort_ends_on_its_last_lesson_day_skipping_weekends_and_holidays() -> None:
    monday = date(2026, 12, 21)  # 24, 25 and 26 December are public holidays in Lithuania
    assert cohort_end(_cohort(monday), 5) == date(2026, 12, 29)
    assert cohort_end(_cohort(monday, lessons_per_day=2), 5) == date(2026, 12, 23)
    assert cohort_end(_cohort(date(2026, 11, 23)), 1) == date(2026, 11, 23)


async def test_trainers_are_warned_once_then_the_cohort_is_erased(
    sessions: Sessions, content: ContentStore, translations: Translations, clock: FakeClock
) -> None:
    start = date(2026, 9, 1)
    async with sessions() as session, session.begin():
        cohort = _cohort(start)
        session.add(cohort)
        await session.flush()
        now = clock.now()
        for n in range(3):
            await add_person(session, f"member-{n}", now, name=f"Narys {n}", cohort=cohort)
        await add_person(session, "outsider", now, name="Kita Grupė")
        await add_person(session, "trainer", now, name="Lektorė", grants=("trainer",))
        cohort_id = cohort.id
    end = cohort_end(_cohort(start), len(content.index.lessons))
    erase_on = end + timedelta(days=RETENTION)
    deps = Deps(content=content, clock=clock, sessions=sessions)

    async def run_on(day: date) -> tuple[int, int]:
        at = datetime(day.year, day.month, day.day, 3, 0, tzinfo=VILNIUS)
        report = await sweep(sessions, deps, translations, at, VILNIUS, RETENTION)
        return report.erased, report.warned

    assert await run_on(erase_on - timedelta(days=8)) == (0, 0)
    assert await run_on(erase_on - timedelta(days=7)) == (0, 1)
    assert await run_on(erase_on - timedelta(days=6)) == (0, 0)  # warned once only
    async with sessions() as session:
        warning = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.purpose != "reply")
        )
        assert warning is not None and warning.purpose == "retention"
        assert "Utenos grupė" in str(warning.payload) and "(3 dalyviai)" in str(warning.payload)
        assert warning.dedupe_key == f"retention-warning:{cohort_id}:{erase_on.isoformat()}"
    assert await run_on(erase_on) == (3, 0)
    assert await run_on(erase_on + timedelta(days=1)) == (0, 0)
    async with sessions() as session:
        names = set(await session.scalars(select(Participant.name)))
        assert names == {"Kita Grupė", "Lektorė"}
        entry = await session.scalar(select(AuditLogEntry))
        assert entry is not None and entry.action == "retention.erase"
        assert entry.target == f"cohort:{cohort_id}" and entry.actor_id is None
        assert await session.scalar(select(func.count(Cohort.id))) == 1  # the group stays


async def test_the_update_ledger_keeps_one_week(
    sessions: Sessions, content: ContentStore, translations: Translations, clock: FakeClock
) -> None:
    now = clock.now()
    async with sessions() as session, session.begin():
        for days, key in ((8, "old"), (6, "recent")):
            session.add(
                ProcessedUpdate(
                    channel="telegram", update_key=key, processed_at=now - timedelta(days=days)
                )
            )
    deps = Deps(content=content, clock=clock, sessions=sessions)
    report = await sweep(sessions, deps, translations, now, VILNIUS, RETENTION)
    assert report.forgotten_updates == 1
    async with sessions() as session:
        assert list(await session.scalars(select(ProcessedUpdate.update_key))) == ["recent"]
