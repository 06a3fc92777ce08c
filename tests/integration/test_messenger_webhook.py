"""Messenger end to end: signed webhook bodies in, Send API calls out to a fake Graph API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.messenger.adapter import MessengerChannel
from bot.channels.messenger.api import MessengerAPI
from bot.content.loader import ContentStore
from bot.conversation.router import Dialogue
from bot.db.models import ChannelIdentity, Participant
from bot.kernel.clock import FakeClock
from bot.web.app import create_web_app
from bot.web.messenger import MessengerWebhook
from tests.fakes.graph_api import FakeGraphAPI, FakeMessengerUser, page_body, sign

APP_SECRET = "messenger-app-secret"
VERIFY_TOKEN = "verify-me-please"
MAX_BODY = 64 * 1024


@dataclass
class Page:
    """The web app with Messenger, its fake Graph API and the backoff sleeps it asked for."""

    client: httpx.AsyncClient
    graph: FakeGraphAPI
    sleeps: list[float]

    async def post(self, body: dict[str, Any] | bytes, *, secret: str | None = APP_SECRET):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Hub-Signature-256"] = sign(raw, secret)
        return await self.client.post("/messenger/webhook", content=raw, headers=headers)


@pytest.fixture
async def page(dialogue: Dialogue, content: ContentStore) -> AsyncIterator[Page]:
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async with FakeGraphAPI() as graph, httpx.AsyncClient() as http:
        api = MessengerAPI(
            http, base_url=graph.base_url, page_access_token=graph.page_access_token, sleep=sleep
        )
        webhook = MessengerWebhook(
            MessengerChannel(dialogue, api),
            app_secret=APP_SECRET,
            verify_token=VERIFY_TOKEN,
            max_body_bytes=MAX_BODY,
        )
        web = create_web_app(sessions=dialogue.deps.sessions, content=content, messenger=webhook)  # type: ignore[arg-type]
        transport = httpx.ASGITransport(app=web)
        async with httpx.AsyncClient(transport=transport, base_url="http://coach.test") as client:
            yield Page(client, graph, sleeps)


async def people(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count(Participant.id))) or 0)


async def test_verification_handshake(page: Page) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "4711"}
    answer = await page.client.get("/messenger/webhook", params=params)
    assert answer.status_code == 200 and answer.text == "4711"
    wrong = await page.client.get(
        "/messenger/webhook", params={**params, "hub.verify_token": "guess"}
    )
    assert wrong.status_code == 403 and "4711" not in wrong.text


async def test_a_signed_message_is_answered_through_the_send_api(
    page: Page, sessions: async_sessionmaker[AsyncSession]
) -> None:
    ana = FakeMessengerUser("psid-ana")
    answer = await page.post(page_body(ana.text("Labas")))
    assert answer.status_code == 200
    (welcome,) = [c for c in page.graph.delivered("psid-ana") if c.quick_replies]
    assert welcome.messaging_type == "RESPONSE"
    assert {q["payload"] for q in welcome.quick_replies} >= {"lang:lt", "lang:en"}
    assert "<" not in "".join(c.text for c in page.graph.calls)  # no HTML on Messenger
    async with sessions() as session:
        identity = await session.scalar(select(ChannelIdentity))
        assert identity is not None and identity.channel == "messenger"
        assert identity.external_id == "psid-ana" and identity.last_inbound_at is not None
    lt = next(q for q in welcome.quick_replies if q["payload"] == "lang:lt")
    before = len(page.graph.calls)
    assert (await page.post(page_body(ana.quick_reply(lt["title"], "lang:lt")))).status_code == 200
    assert len(page.graph.calls) > before  # the quick reply moved onboarding on


@pytest.mark.parametrize("secret", [None, "wrong-secret"])
async def test_a_wrong_or_missing_signature_is_refused_and_nothing_happens(
    page: Page, sessions: async_sessionmaker[AsyncSession], secret: str | None
) -> None:
    answer = await page.post(page_body(FakeMessengerUser("psid-eve").text("hi")), secret=secret)
    assert answer.status_code == 403
    assert page.graph.calls == [] and await people(sessions) == 0


async def test_the_same_message_id_twice_is_processed_once(
    page: Page, sessions: async_sessionmaker[AsyncSession]
) -> None:
    body = page_body(FakeMessengerUser("psid-jonas").text("Labas"))
    assert (await page.post(body)).status_code == 200
    sent = len(page.graph.calls)
    assert (await page.post(body)).status_code == 200
    assert len(page.graph.calls) == sent and await people(sessions) == 1


async def test_an_oversized_body_is_refused(page: Page, sessions: async_sessionmaker) -> None:
    body = page_body(FakeMessengerUser("psid-big").text("x" * (MAX_BODY + 1)))
    answer = await page.post(body)
    assert answer.status_code == 413
    assert page.graph.calls == [] and await people(sessions) == 0


async def test_batched_entries_reach_each_person(
    page: Page, sessions: async_sessionmaker[AsyncSession]
) -> None:
    ana, ben = FakeMessengerUser("psid-a"), FakeMessengerUser("psid-b")
    body = page_body(ana.text("Labas"), ben.text("Sveiki"))
    assert (await page.post(body)).status_code == 200
    assert page.graph.delivered("psid-a") and page.graph.delivered("psid-b")
    assert await people(sessions) == 2


async def test_server_errors_and_rate_limits_are_retried_by_the_outbox(
    page: Page, dialogue: Dialogue, clock: FakeClock, sessions: async_sessionmaker[AsyncSession]
) -> None:
    page.graph.fail_next(500)
    page.graph.fail_next(429, code=613, retry_after=7)
    ana = FakeMessengerUser("psid-r")
    # The turn is committed with its reply: 200 at once, whatever the Send API says.
    assert (await page.post(page_body(ana.text("Labas")))).status_code == 200
    assert [c.status for c in page.graph.calls] == [500]
    assert page.graph.delivered("psid-r") == []
    clock.advance(timedelta(seconds=6))  # the backoff after a 5xx
    await dialogue.outbox.send_due()
    assert [c.status for c in page.graph.calls] == [500, 429]
    clock.advance(timedelta(seconds=5))
    await dialogue.outbox.send_due()  # Meta said 7 s: not yet
    assert [c.status for c in page.graph.calls] == [500, 429]
    clock.advance(timedelta(seconds=3))
    await dialogue.outbox.send_due()
    assert [c.status for c in page.graph.calls][:3] == [500, 429, 200]
    assert page.sleeps == []  # no sleeping inside a send: the outbox waits instead
    assert len([c for c in page.graph.delivered("psid-r") if c.quick_replies]) == 1


async def test_a_processing_failure_answers_500_and_the_redelivery_is_processed_once(
    page: Page, sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.db import participants

    real = participants.register
    failures = [RuntimeError("database hiccup")]

    async def flaky(*args: Any, **kwargs: Any) -> Participant:
        if failures:
            raise failures.pop()
        return await real(*args, **kwargs)

    monkeypatch.setattr(participants, "register", flaky)
    body = page_body(FakeMessengerUser("psid-f").text("Labas"))
    first = await page.post(body)
    assert first.status_code == 500 and await people(sessions) == 0
    sorry = [c.text for c in page.graph.delivered("psid-f")]
    assert any("Atsiprašau" in text for text in sorry)
    assert (await page.post(body)).status_code == 200
    assert (await page.post(body)).status_code == 200
    assert await people(sessions) == 1
    welcomes = [c for c in page.graph.delivered("psid-f") if c.quick_replies]
    assert len(welcomes) == 1


async def test_health_and_readiness(page: Page) -> None:
    assert (await page.client.get("/healthz")).json() == {"status": "ok"}
    ready = await page.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] and ready.json()["content"]
