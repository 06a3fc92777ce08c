"""Benchmark of the schedule tick: 10,000 participants on SQLite; time per tick with nothing
due and with 1,000 due, and peak memory. Goals: empty tick < 50 ms, 1,000 due queued < 2 s,
< 200 MB.  Run: python bench/schedule.py [--participants N] [--due N] [--database-url URL]"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time as timer
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.content.loader import ContentStore  # noqa: E402
from bot.db.engine import create_engine, create_session_factory  # noqa: E402
from bot.db.migrate import upgrade  # noqa: E402
from bot.db.models import (  # noqa: E402
    ChannelIdentity,
    Enrollment,
    LessonDelivery,
    OutboxMessage,
    Participant,
)
from bot.features.timetable.dispatch import ScheduleConfig  # noqa: E402
from bot.features.timetable.tick import ScheduleTick  # noqa: E402
from bot.kernel.clock import FakeClock  # noqa: E402
from bot.kernel.i18n import Translations  # noqa: E402

VILNIUS = ZoneInfo("Europe/Vilnius")


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=VILNIUS).astimezone(UTC)


async def seed(url: str, content: ContentStore, people: int, due: int) -> None:
    """People who got lesson 1 on Monday; `due` of them due Tuesday 09:00, the rest later."""
    engine = create_engine(url)
    monday = local(2026, 11, 23, 9)
    first = content.index.lessons[0].lesson.id
    course = content.index.course.id
    async with engine.begin() as connection:
        await connection.execute(
            insert(Participant),
            [
                {
                    "id": n + 1,
                    "language": "lt",
                    "name": f"P{n}",
                    "preferred_time": time(9) if n < due else time(15),
                    "onboarded_at": monday,
                    "created_at": monday,
                    "last_seen_at": monday,
                }
                for n in range(people)
            ],
        )
        await connection.execute(
            insert(ChannelIdentity),
            [
                {
                    "participant_id": n + 1,
                    "channel": "telegram",
                    "external_id": str(10_000 + n),
                    "created_at": monday,
                }
                for n in range(people)
            ],
        )
        await connection.execute(
            insert(Enrollment),
            [
                {"id": n + 1, "participant_id": n + 1, "course_id": course, "started_at": monday}
                for n in range(people)
            ],
        )
        await connection.execute(
            insert(LessonDelivery),
            [
                {
                    "enrollment_id": n + 1,
                    "lesson_id": first,
                    "delivered_at": monday,
                    "completed_at": monday,
                }
                for n in range(people)
            ],
        )
        tuesday = local(2026, 11, 24, 9)
        await connection.execute(
            update(Enrollment).where(Enrollment.id <= due).values(next_due_at=tuesday)
        )
        await connection.execute(
            update(Enrollment)
            .where(Enrollment.id > due)
            .values(next_due_at=local(2026, 11, 24, 15))
        )
    await engine.dispose()


async def measure(url: str, people: int, due: int) -> None:
    content = ContentStore(ROOT / "content")
    translations = Translations("lt")
    await seed(url, content, people, due)
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    clock = FakeClock(local(2026, 11, 24, 8, 30))
    tick = ScheduleTick(sessions, content, translations, clock, ScheduleConfig(zone=VILNIUS))
    empty = []
    for _ in range(20):
        started = timer.perf_counter()
        await tick()
        empty.append((timer.perf_counter() - started) * 1000)
    clock.set(local(2026, 11, 24, 9, 0, 10))
    started = timer.perf_counter()
    counts = await tick()
    busy = timer.perf_counter() - started
    async with sessions() as session:
        queued = await session.scalar(select(func.count()).select_from(OutboxMessage))
    await engine.dispose()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    empty.sort()
    print(f"participants: {people}, due: {due}, database: {url.split(':')[0]}")
    print(f"empty tick: median {empty[len(empty) // 2]:.1f} ms, worst {empty[-1]:.1f} ms")
    print(f"tick with {due} due: {busy:.2f} s ({dict(counts)}), outbox rows queued: {queued}")
    print(f"peak memory: {rss_mb:.0f} MB (max RSS of the process, seeding included)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = args.database_url or f"sqlite+aiosqlite:///{directory}/bench.db"
        upgrade(url)
        asyncio.run(measure(url, args.participants, args.due))


if __name__ == "__main__":
    main()
