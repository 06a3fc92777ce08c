"""The dashboard's test population and a signed-in web client for each role."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.content.loader import ContentStore
from bot.db.models import Broadcast, ChannelIdentity, Idea, IdeaStep, OutboxMessage
from bot.features.dashboard_access.signin import create_link_token
from bot.kernel.clock import FakeClock
from bot.kernel.i18n import Translations
from bot.web.app import create_web_app
from bot.web.dashboard.config import DashboardConfig
from bot.web.dashboard.pages import dashboard_routes
from tests.conftest import VILNIUS
from tests.integration.admin_data import add_person, seed

Sessions = async_sessionmaker[AsyncSession]
BOT_TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"
ADMIN_TELEGRAM_ID = 4242
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def seed_dashboard(
    sessions: Sessions, clock: FakeClock, content: ContentStore
) -> dict[str, int]:
    """admin_data's people (Rūta, Jonas; Ona the coordinator) with a trainer (Tomas), an admin
    by configuration (Telegram 4242), idea steps, reminders and a finished broadcast."""
    ids = await seed(sessions, clock, content)
    now = clock.now()
    async with sessions() as session, session.begin():
        tom = await add_person(
            session, "tom", now, name="Tomas Treneris", municipality="moletai", grants=("trainer",)
        )
        boss = await add_person(session, "boss", now, name="Vadovė Birutė", municipality="utena")
        session.add(
            ChannelIdentity(
                participant_id=boss.id, channel="telegram",
                external_id=str(ADMIN_TELEGRAM_ID), created_at=now,
            )
        )  # fmt: skip
        idea = Idea(
            participant_id=ids["ruta"], title="Instagramo paskyra bibliotekai",
            status="in_progress",
            created_at=now - timedelta(days=3), started_at=now - timedelta(days=3),
        )  # fmt: skip
        session.add(idea)
        await session.flush()
        session.add_all(
            [
                IdeaStep(idea_id=idea.id, position=1, text="Sukurti paskyrą", done_at=now),
                IdeaStep(idea_id=idea.id, position=2, text="Paskelbti pirmąjį įrašą"),
            ]
        )
        broadcast = Broadcast(
            author_id=tom.id, text="Rytoj – seminaras Utenoje!", audience="all", state="done",
            recipients=2, report={"sent": 1, "blocked": 1, "failed": 0, "reasons": {}},
            created_at=now - timedelta(days=1), started_at=now - timedelta(days=1),
            finished_at=now - timedelta(days=1),
        )  # fmt: skip
        session.add(broadcast)
        await session.flush()
        for pid, state in ((ids["ruta"], "sent"), (ids["jonas"], "blocked")):
            session.add(
                OutboxMessage(
                    participant_id=pid, purpose="broadcast", dedupe_key=f"broadcast:{broadcast.id}",
                    broadcast_id=broadcast.id, payload=[], state=state, not_before=now,
                    created_at=now,
                )
            )  # fmt: skip
        for n in range(2):
            session.add(
                OutboxMessage(
                    participant_id=ids["ruta"], purpose="reminder", dedupe_key=f"reminder:{n}",
                    payload=[], state="sent", not_before=now, created_at=now,
                )
            )  # fmt: skip
    return {**ids, "tom": tom.id, "boss": boss.id, "broadcast": broadcast.id}


def web_app(
    sessions: Sessions, content: ContentStore, translations: Translations, clock: FakeClock
):  # type: ignore[no-untyped-def]
    """The Starlette app with the dashboard, as bot.app.web builds it."""
    config = DashboardConfig(
        sessions=sessions,
        content=content,
        translations=translations,
        clock=clock,
        zone=VILNIUS,
        admin_telegram_ids=frozenset({ADMIN_TELEGRAM_ID}),
        bot_token=BOT_TOKEN,
    )
    return create_web_app(sessions=sessions, content=content, routes=dashboard_routes(config))


@pytest.fixture
async def board(
    sessions: Sessions, content: ContentStore, translations: Translations, clock: FakeClock
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, int]]]:
    """A web client on the dashboard (nobody signed in) and the seeded people's ids."""
    ids = await seed_dashboard(sessions, clock, content)
    transport = httpx.ASGITransport(app=web_app(sessions, content, translations, clock))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client, ids


async def link_token(
    sessions: Sessions, clock: FakeClock, participant_id: int, channel: str, external_id: str
) -> str:
    """A one-time sign-in token, as /dashboard makes it."""
    async with sessions() as session, session.begin():
        return await create_link_token(session, participant_id, channel, external_id, clock.now())


# who -> (chat account the link was asked from)
ACCOUNTS = {
    "participant": ("ruta", "console", "ruta"),
    "trainer": ("tom", "console", "tom"),
    "coordinator": ("ona", "console", "ona"),
    "admin": ("boss", "telegram", str(ADMIN_TELEGRAM_ID)),
}


async def sign_in(
    client: httpx.AsyncClient, sessions: Sessions, clock: FakeClock, ids: dict[str, int], who: str
) -> httpx.Response:
    """Open a fresh one-time link of `who` (a role name from ACCOUNTS)."""
    name, channel, external = ACCOUNTS[who]
    token = await link_token(sessions, clock, ids[name], channel, external)
    return await client.post(f"/dashboard/login/{token}")


def csrf_of(page: httpx.Response) -> str:
    """The CSRF token of a page's forms."""
    found = CSRF.search(page.text)
    assert found, "no CSRF field on the page"
    return found.group(1)
