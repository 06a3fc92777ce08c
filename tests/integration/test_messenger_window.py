"""Messenger's 24-hour rule through the outbox, with a fake clock and a fake Graph API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.messenger.adapter import MessengerChannel, MessengerSender
from bot.channels.messenger.api import MessengerAPI
from bot.content.loader import ContentStore
from bot.conversation.router import Dialogue
from bot.db.models import ChannelIdentity, OutboxMessage
from bot.delivery.limiter import RateLimiter
from bot.delivery.outbox import enqueue
from bot.delivery.sender import OutboxSender
from bot.kernel.clock import FakeClock
from bot.kernel.i18n import Translations
from bot.kernel.messages import Message
from bot.web.app import create_web_app
from bot.web.messenger import MessengerWebhook
from tests.fakes.graph_api import FakeGraphAPI, FakeMessengerUser, page_body, sign

SECRET = "app-secret"
TAG = "CONFIRMED_EVENT_UPDATE"
Sessions = async_sessionmaker[AsyncSession]


@dataclass
class World:
    client: httpx.AsyncClient
    graph: FakeGraphAPI
    outbox: OutboxSender
    messenger: MessengerSender

    async def write(self, user: FakeMessengerUser, text: str) -> None:
        raw = json.dumps(page_body(user.text(text))).encode()
        headers = {"X-Hub-Signature-256": sign(raw, SECRET)}
        answer = await self.client.post("/messenger/webhook", content=raw, headers=headers)
        assert answer.status_code == 200


@pytest.fixture
async def world(
    dialogue: Dialogue,
    content: ContentStore,
    translations: Translations,
    sessions: Sessions,
    clock: FakeClock,
) -> AsyncIterator[World]:
    async def no_wait(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))

    async with FakeGraphAPI() as graph, httpx.AsyncClient() as http:
        api = MessengerAPI(
            http, base_url=graph.base_url, page_access_token=graph.page_access_token, sleep=no_wait
        )
        webhook = MessengerWebhook(
            MessengerChannel(dialogue, api),
            app_secret=SECRET,
            verify_token="v",
            max_body_bytes=100_000,
        )
        messenger = MessengerSender(api, sessions, translations, tag=TAG)
        outbox = OutboxSender(sessions, clock, limiter=RateLimiter(clock, sleep=no_wait))
        outbox.register(messenger)
        web = create_web_app(sessions=sessions, content=content, messenger=webhook)
        transport = httpx.ASGITransport(app=web)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield World(client, graph, outbox, messenger)


async def queue_lesson(sessions: Sessions, clock: FakeClock, key: str, text: str) -> None:
    async with sessions() as session, session.begin():
        identity = await session.scalar(select(ChannelIdentity))
        assert identity is not None
        await enqueue(
            session,
            participant_id=identity.participant_id,
            dedupe_key=key,
            replies=[Message(f"<b>{text}</b>")],
            now=clock.now(),
            purpose="lesson",
        )


async def rows(sessions: Sessions) -> dict[str, OutboxMessage]:
    async with sessions() as session:
        return {row.dedupe_key: row for row in await session.scalars(select(OutboxMessage))}


async def test_lessons_wait_outside_the_window_and_one_tagged_notice_says_so(
    world: World, sessions: Sessions, clock: FakeClock
) -> None:
    ana = FakeMessengerUser("psid-ana")
    await world.write(ana, "Labas")
    await queue_lesson(sessions, clock, "lesson-1", "Pamoka 1")
    await world.outbox.send_due()
    (first,) = [c for c in world.graph.delivered() if c.text == "Pamoka 1"]
    assert first.messaging_type == "UPDATE" and first.tag is None

    clock.advance(timedelta(hours=25))  # the window has closed
    await queue_lesson(sessions, clock, "lesson-2", "Pamoka 2")
    await world.outbox.send_due()
    assert not [c for c in world.graph.calls if c.text == "Pamoka 2"]
    held = (await rows(sessions))["lesson-2"]
    assert held.state == "held" and held.channel == "messenger"
    assert held.last_error is not None and "messenger" in held.last_error

    assert await world.messenger.send_waiting_notices(clock.now()) == 1
    (notice,) = [c for c in world.graph.delivered() if c.tag is not None]
    assert notice.messaging_type == "MESSAGE_TAG" and notice.tag == TAG
    assert "pamoka" in notice.text.lower() and notice.recipient == "psid-ana"
    visible = [r for r in (await rows(sessions)).values() if r.purpose == "tagged_notice"]
    assert [(r.state, r.dedupe_key.split(":")[0]) for r in visible] == [("sent", TAG)]

    clock.advance(timedelta(hours=7))  # the recheck time passes: still no window, no 2nd notice
    await world.outbox.send_due()
    assert await world.messenger.send_waiting_notices(clock.now()) == 0
    assert len([c for c in world.graph.calls if c.tag is not None]) == 1
    assert (await rows(sessions))["lesson-2"].state == "held"

    await world.write(ana, "Labas vėl")  # the person writes: the window opens, the lesson goes
    await world.outbox.send_due()
    (second,) = [c for c in world.graph.delivered() if c.text == "Pamoka 2"]
    assert second.messaging_type == "UPDATE"
    assert (await rows(sessions))["lesson-2"].state == "sent"


async def test_a_blocked_person_is_marked_and_not_retried(
    world: World, sessions: Sessions, clock: FakeClock
) -> None:
    ben = FakeMessengerUser("psid-ben")
    await world.write(ben, "Labas")
    world.graph.fail_next(400, code=551)  # "This person isn't available right now."
    await queue_lesson(sessions, clock, "lesson-1", "Pamoka 1")
    await world.outbox.send_due()
    assert (await rows(sessions))["lesson-1"].state == "blocked"
