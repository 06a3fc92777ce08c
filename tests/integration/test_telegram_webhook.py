"""Telegram in webhook mode against the fake Bot API: setWebhook, then updates POSTed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_app
from bot.app.web import add_messenger_notices, build_web
from bot.config import Settings
from bot.content.loader import ContentStore
from bot.conversation.router import Dialogue
from bot.db.models import Participant
from bot.kernel.i18n import Translations
from bot.web.app import create_web_app
from bot.web.telegram import TelegramWebhook, derive_secret
from tests.conftest import CONTENT_DIR
from tests.fakes.bot_api import FakeBotAPI
from tests.helpers import telegram_channel

URL = "https://coach.example.org/telegram/webhook"
SECRET = "webhook-secret_42"


@dataclass
class Hook:
    client: httpx.AsyncClient
    api: FakeBotAPI

    async def post(self, update: dict[str, Any], secret: str | None = SECRET) -> httpx.Response:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        return await self.client.post("/telegram/webhook", json=update, headers=headers)


@pytest.fixture
async def hook(
    dialogue: Dialogue, content: ContentStore, translations: Translations
) -> AsyncIterator[Hook]:
    async with FakeBotAPI() as api:
        channel = telegram_channel(
            api,
            dialogue,
            translations,
            error_text="Atsiprašau, įvyko klaida.",
            webhook=True,
        )
        assert channel.application.updater is None
        webhook = TelegramWebhook(channel, url=URL, secret=SECRET, max_body_bytes=100_000)
        sessions = dialogue.deps.sessions
        assert sessions is not None
        web = create_web_app(sessions=sessions, content=content, telegram=webhook)
        async with web.router.lifespan_context(web):  # what uvicorn runs at start and stop
            transport = httpx.ASGITransport(app=web)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                yield Hook(client, api)


async def people(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count(Participant.id))) or 0)


async def test_the_webhook_is_registered_with_its_secret(hook: Hook) -> None:
    assert hook.api.webhook_url == URL
    assert hook.api.webhook_secret_token == SECRET
    assert hook.api.allowed_updates == ["message", "callback_query"]
    assert hook.api.my_commands("lt")  # the command menu is published too


async def test_an_update_is_answered_after_processing(
    hook: Hook, sessions: async_sessionmaker[AsyncSession]
) -> None:
    user = hook.api.user(701, "Ona")
    answer = await hook.post(user.message_update("/start"))
    assert answer.status_code == 200
    assert user.messages and "lang:lt" in [d for _, d in user.buttons(user.last)]
    press = user.callback_update(user.last, "lang:lt")
    assert (await hook.post(press)).status_code == 200
    assert hook.api.callback_answers and await people(sessions) == 1


@pytest.mark.parametrize("secret", [None, "wrong", SECRET + "x"])
async def test_a_wrong_secret_is_refused(
    hook: Hook, sessions: async_sessionmaker[AsyncSession], secret: str | None
) -> None:
    user = hook.api.user(702)
    answer = await hook.post(user.message_update("/start"), secret=secret)
    assert answer.status_code == 403
    assert user.messages == [] or all(m["from"]["id"] == 702 for m in user.messages)
    assert await people(sessions) == 0


async def test_a_failure_is_answered_with_an_error_and_the_redelivery_is_processed_once(
    hook: Hook, sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.db import participants

    real = participants.register
    failures = [RuntimeError("database hiccup")]

    async def flaky(*args: Any, **kwargs: Any) -> Participant:
        if failures:
            raise failures.pop()
        return await real(*args, **kwargs)

    monkeypatch.setattr(participants, "register", flaky)
    user = hook.api.user(703)
    update = user.message_update("/start")
    first = await hook.post(update)
    assert first.status_code >= 500 and await people(sessions) == 0
    assert "Atsiprašau" in user.last["text"]
    assert (await hook.post(update)).status_code == 200  # Telegram delivers it again
    assert (await hook.post(update)).status_code == 200  # ... and once more: a duplicate
    assert await people(sessions) == 1
    language_questions = [m for m in user.messages if "lang:lt" in [d for _, d in user.buttons(m)]]
    assert len(language_questions) == 1


async def test_bad_bodies_are_refused(hook: Hook) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    bad = await hook.client.post("/telegram/webhook", content=b"{not json", headers=headers)
    assert bad.status_code == 400
    for body in (b"[1, 2]", b'{"message": {"text": "hi"}}', b'{"update_id": "7"}'):
        refused = await hook.client.post("/telegram/webhook", content=body, headers=headers)
        assert refused.status_code == 400, body  # not an update: no update_id to confirm
    huge = await hook.client.post("/telegram/webhook", content=b"x" * 200_000, headers=headers)
    assert huge.status_code == 413


async def test_settings_build_the_webhook_app(database_url: str, tmp_path: Path) -> None:
    async with FakeBotAPI() as api:
        settings = Settings(
            _env_file=None,
            telegram_bot_token=api.token,
            telegram_api_base_url=api.root_url,
            database_url=database_url,
            content_dir=CONTENT_DIR,
            webhook_base_url="https://coach.example.org/",
            messenger_app_secret="app-secret",
            messenger_verify_token="verify",
            messenger_page_access_token="page-token",
            messenger_api_base_url="http://127.0.0.1:9/v21.0",
        )
        app = await build_app(settings, migrate=False)
        try:
            async with httpx.AsyncClient() as http:
                parts = build_web(app, http)
                assert parts.messenger_sender is not None
                add_messenger_notices(app, parts)
                assert {"outbox", "messenger_notices"} <= set(app.jobs.jobs)
                async with parts.web.router.lifespan_context(parts.web):
                    assert api.webhook_url == URL
                    assert api.webhook_secret_token == derive_secret(api.token)
                    assert api.token not in str(api.webhook_secret_token)
                    transport = httpx.ASGITransport(app=parts.web)
                    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
                        assert (await c.get("/readyz")).status_code == 200
                        handshake = {"hub.mode": "subscribe", "hub.verify_token": "verify"}
                        answer = await c.get("/messenger/webhook", params=handshake)
                        assert answer.status_code == 200
                        # the dashboard is served by the same app (issue 17)
                        signin = await c.get("/dashboard/signin")
                        assert signin.status_code == 200 and "/dashboard" in signin.text
                        mini_app = await c.get("/dashboard/app")
                        assert 'name="initData"' in mini_app.text
        finally:
            await app.aclose()
