"""Benchmark of the course dashboard: 2,000 participants and 50,000 answers on SQLite; the
render time of the Overview page (and of the Participants page), median of several runs,
through the real Starlette app (sign-in, role check, snapshot, template, SVG charts).

Run: python bench/dashboard.py [--participants N] [--answers N] [--runs N] [--database-url URL]

`populate()` is also the browser tests' population (tests/browser), at a smaller size."""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time as timer
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app.core import keep_startup_objects  # noqa: E402
from bot.content.loader import ContentStore  # noqa: E402
from bot.db.engine import create_engine, create_session_factory  # noqa: E402
from bot.db.migrate import upgrade  # noqa: E402
from bot.db.models import (  # noqa: E402
    Answer,
    Broadcast,
    ChannelIdentity,
    Cohort,
    Enrollment,
    Idea,
    IdeaStep,
    LessonDelivery,
    OutboxMessage,
    Participant,
    RoleGrant,
)
from bot.domain.profile import Municipality, Role  # noqa: E402
from bot.features.dashboard_access.signin import create_link_token  # noqa: E402
from bot.kernel.clock import Clock, FakeClock  # noqa: E402
from bot.kernel.i18n import Translations  # noqa: E402
from bot.web.app import create_web_app  # noqa: E402
from bot.web.dashboard.config import DashboardConfig  # noqa: E402
from bot.web.dashboard.pages import dashboard_routes  # noqa: E402

VILNIUS = ZoneInfo("Europe/Vilnius")
# (first name, surname) pairs that agree: a woman's surname ends in -ienė, -aitė, -ytė, ...
WOMEN = ["Rūta", "Ona", "Aušra", "Gintarė", "Eglė", "Laima", "Dalia", "Ieva", "Milda", "Živilė"]
MEN = ["Jonas", "Žydrūnas", "Vytautas", "Šarūnas", "Kęstutis", "Tomas", "Mindaugas"]
WOMEN_LAST = ["Kazlauskienė", "Žemaitytė", "Čepaitė", "Vaitkutė", "Būtėnaitė", "Jankauskienė"]
MEN_LAST = ["Petraitis", "Šalčius", "Jankauskas", "Mockus", "Grigas", "Kazlauskas"]
IDEAS = ["Renginių kalendorius svetainėje", "Instagramo paskyra bibliotekai",
         "Naujienlaiškis „Šviesa“", "Nuotraukų galerija su aprašymais",
         "Vaizdo pasakojimai apie kraštiečius"]  # fmt: skip
STEPS = ["Susitarti su vadovu", "Sukurti paskyrą", "Paskelbti pirmąjį įrašą",
         "Pakviesti bendruomenę", "Įvertinti rezultatus"]  # fmt: skip
ADMIN_USER = "admin"


def name(rng: random.Random) -> str:
    """A Lithuanian name whose parts agree."""
    if rng.random() < 0.7:  # culture workers are mostly women
        return f"{rng.choice(WOMEN)} {rng.choice(WOMEN_LAST)}"
    return f"{rng.choice(MEN)} {rng.choice(MEN_LAST)}"


async def populate(
    sessions: async_sessionmaker[AsyncSession],
    content: ContentStore,
    now: datetime,
    people: int,
    answers: int,
    seed: int = 17,
) -> int:
    """`people` onboarded participants across the six municipalities, about `answers`
    answers spread over the last 12 weeks, ideas with steps, reminders, three broadcasts;
    and an admin (returned: their id) who holds the trainer and coordinator roles."""
    rng = random.Random(seed)
    index = content.index
    refs = index.lessons
    questions = [(ref.lesson.id, q.id) for ref in refs for q in ref.lesson.quiz]
    per_person = max(1, min(len(questions), round(answers / max(people, 1))))
    places = [m.value for m in Municipality if m is not Municipality.OTHER]
    roles = [r.value for r in Role]
    async with sessions() as session, session.begin():
        cohorts = []
        for n, place in enumerate(("Utenos", "Zarasų", "Molėtų", "Anykščių")):
            cohort = Cohort(
                name=f"{place} grupė", invite_code=f"BENCH{n}",
                start_date=(now - timedelta(weeks=12)).date(), created_at=now,
            )  # fmt: skip
            session.add(cohort)
            cohorts.append(cohort)
        await session.flush()
        admin = Participant(
            language="lt", name="Administratorė Aušrinė", municipality="utena", role="head",
            onboarded_at=now - timedelta(weeks=13), created_at=now - timedelta(weeks=13),
            last_seen_at=now, preferred_time=time(9, 0),
        )  # fmt: skip
        session.add(admin)
        await session.flush()
        session.add(
            ChannelIdentity(
                participant_id=admin.id, channel="console", external_id=ADMIN_USER, created_at=now
            )
        )
        for role in ("admin", "trainer", "coordinator"):
            session.add(RoleGrant(participant_id=admin.id, role=role, granted_at=now))
        # each person's pace: answers spread evenly from their start to their last visit
        plans = []
        for _ in range(people):
            began = now - timedelta(days=rng.uniform(21, 84))
            last = now - timedelta(days=rng.uniform(0, 20) ** 1.5 / 4)
            plans.append((began, last))
        rows = [
            {
                "language": "lt" if rng.random() < 0.9 else "en",
                "name": name(rng),
                "municipality": rng.choice(places),
                "institution": "Kultūros centras",
                "role": rng.choice(roles),
                "cohort_id": rng.choice(cohorts).id,
                "privacy_accepted_at": began,
                "onboarded_at": began,
                "created_at": began,
                "last_seen_at": last,
                "preferred_time": time(rng.choice((8, 12, 17)), 0),
            }
            for began, last in plans
        ]
        ids = list(await session.scalars(insert(Participant).returning(Participant.id), rows))
        await session.execute(
            insert(ChannelIdentity),
            [{"participant_id": pid, "channel": "console", "external_id": f"p{pid}",
              "created_at": now} for pid in ids],
        )  # fmt: skip
        enrollments = list(
            await session.scalars(
                insert(Enrollment).returning(Enrollment.id),
                [
                    {
                        "participant_id": pid, "course_id": index.course.id,
                        "started_at": now - timedelta(weeks=12), "reminder_count": 0,
                        "paused_at": now - timedelta(days=2) if rng.random() < 0.08 else None,
                    }
                    for pid in ids
                ],
            )
        )  # fmt: skip
        deliveries, answered = [], []
        counts = [
            max(1, min(len(questions), int(rng.gauss(per_person, per_person / 3))))
            for _ in enrollments
        ]
        while sum(counts) != min(answers, len(questions) * len(counts)):  # exactly `answers`
            k = rng.randrange(len(counts))
            if sum(counts) < answers and counts[k] < len(questions):
                counts[k] += 1
            elif sum(counts) > answers and counts[k] > 1:
                counts[k] -= 1
        for enrollment, count, (began, last) in zip(enrollments, counts, plans, strict=True):
            lessons_seen: dict[str, datetime] = {}
            step = (last - began - timedelta(hours=1)) / count
            for k, (lesson_id, question_id) in enumerate(questions[:count]):
                moment = began + step * k + timedelta(minutes=rng.randint(0, 50))
                lessons_seen.setdefault(lesson_id, moment)
                answered.append(
                    {
                        "enrollment_id": enrollment, "lesson_id": lesson_id,
                        "question_id": question_id, "option_id": "a",
                        "is_correct": rng.random() < 0.72, "answered_at": moment,
                    }
                )  # fmt: skip
            for lesson_id, moment in lessons_seen.items():
                deliveries.append(
                    {"enrollment_id": enrollment, "lesson_id": lesson_id,
                     "delivered_at": moment, "completed_at": moment + timedelta(minutes=9)}
                )  # fmt: skip
        for first in range(0, len(answered), 5000):
            await session.execute(insert(Answer), answered[first : first + 5000])
        for first in range(0, len(deliveries), 5000):
            await session.execute(insert(LessonDelivery), deliveries[first : first + 5000])
        for pid in rng.sample(ids, max(1, people // 10)):
            idea = Idea(
                participant_id=pid, title=rng.choice(IDEAS),
                status=rng.choice(("planned", "in_progress", "in_progress", "done")),
                created_at=now - timedelta(days=20), started_at=now - timedelta(days=18),
            )  # fmt: skip
            idea.done_at = now - timedelta(days=2) if idea.status == "done" else None
            session.add(idea)
            await session.flush()
            done = len(STEPS) if idea.done_at else rng.randint(0, len(STEPS) - 1)
            for position, text in enumerate(STEPS, start=1):
                session.add(
                    IdeaStep(
                        idea_id=idea.id, position=position, text=text,
                        done_at=now - timedelta(days=10 - position) if position <= done else None,
                    )
                )  # fmt: skip
        await session.execute(
            insert(OutboxMessage),
            [
                {"participant_id": pid, "purpose": "reminder", "dedupe_key": f"reminder:{n}",
                 "payload": [], "state": "sent", "not_before": now, "attempts": 1,
                 "parts_sent": 1, "created_at": now}
                for pid in rng.sample(ids, max(1, people // 4))
                for n in range(rng.randint(1, 3))
            ],
        )  # fmt: skip
        texts = ["Rytoj – nuotolinis seminaras apie socialinius tinklus!",
                 "Primename: iki penktadienio užbaikite 2 modulį.",
                 "Ačiū visiems už idėjas – jos jau galerijoje."]  # fmt: skip
        for n, text in enumerate(texts):
            audience = ("all", "municipality:zarasai", "behind")[n]
            broadcast = Broadcast(
                author_id=admin.id, text=text, audience=audience,
                state="done" if n else "sending", recipients=0,
                created_at=now - timedelta(days=7 - n), started_at=now - timedelta(days=7 - n),
                report={},
            )  # fmt: skip
            session.add(broadcast)
            await session.flush()
            chosen = rng.sample(ids, min(len(ids), max(3, people // (n + 2))))
            broadcast.recipients = len(chosen)
            states = ["sent"] * 17 + ["blocked", "failed"] + (["pending"] if n == 0 else ["sent"])
            await session.execute(
                insert(OutboxMessage),
                [
                    {"participant_id": pid, "purpose": "broadcast",
                     "dedupe_key": f"broadcast:{broadcast.id}", "broadcast_id": broadcast.id,
                     "payload": [], "state": rng.choice(states), "not_before": now,
                     "attempts": 1, "parts_sent": 0, "created_at": now}
                    for pid in chosen
                ],
            )  # fmt: skip
        return admin.id


def dashboard_app(sessions: async_sessionmaker[AsyncSession], content: ContentStore, clock: Clock):  # type: ignore[no-untyped-def]
    """The web app with the dashboard, as bot.app.web builds it."""
    config = DashboardConfig(
        sessions=sessions,
        content=content,
        translations=Translations("lt"),
        clock=clock,
        zone=VILNIUS,
    )
    return create_web_app(sessions=sessions, content=content, routes=dashboard_routes(config))


async def measure(url: str, people: int, answers: int, runs: int) -> None:
    """Seed, sign in, and time the pages."""
    content = ContentStore(ROOT / "content")
    clock = FakeClock(datetime(2026, 12, 6, 10, 0, tzinfo=UTC))
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    started = timer.perf_counter()
    admin = await populate(sessions, content, clock.now(), people, answers)
    async with sessions() as session:
        counted = len(list(await session.scalars(select(Answer.id))))
    print(f"seeded {people:,} participants, {counted:,} answers "
          f"in {timer.perf_counter() - started:.1f} s")  # fmt: skip
    async with sessions() as session, session.begin():
        token = await create_link_token(session, admin, "console", ADMIN_USER, clock.now())
    web = dashboard_app(sessions, content, clock)
    keep_startup_objects()  # as python -m bot dashboard does before it serves
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        assert (await client.post(f"/dashboard/login/{token}")).status_code == 303
        for path in ("/dashboard/overview", "/dashboard/participants"):
            times = []
            for _ in range(runs + 1):
                began = timer.perf_counter()
                page = await client.get(path)
                times.append(timer.perf_counter() - began)
                assert page.status_code == 200, page.text[:200]
            times = times[1:]  # the first warms the caches
            print(
                f"{path}: median {statistics.median(times) * 1000:.0f} ms, "
                f"min {min(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
                f"({runs} runs, {len(page.content) / 1024:.0f} KiB)"
            )
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--participants", type=int, default=2000)
    parser.add_argument("--answers", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        asyncio.run(measure(url, args.participants, args.answers, args.runs))


if __name__ == "__main__":
    main()
