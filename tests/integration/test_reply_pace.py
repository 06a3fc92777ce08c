"""Replies share their platform's pace with lessons and broadcasts: one limiter per channel,
replies first; a 429 on a reply holds that platform, and the reply, durable in the outbox,
goes out once the wait is over."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.telegram.updates import RawUpdate
from bot.conversation.router import Dialogue
from bot.db.models import OutboxMessage
from bot.delivery.limiter import RateLimiter
from bot.kernel.clock import FakeClock
from bot.kernel.i18n import Translations
from tests.fakes.bot_api import FakeBotAPI
from tests.helpers import telegram_channel


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


async def test_replies_count_against_the_channel_pace_and_a_429_holds_the_platform(
    api: FakeBotAPI,
    dialogue: Dialogue,
    translations: Translations,
    clock: FakeClock,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.advance(timedelta(seconds=seconds))

    limiter = RateLimiter(clock, per_second=2, per_chat_seconds=1, sleep=sleep)
    channel = telegram_channel(api, dialogue, translations, error_text="klaida", limiter=limiter)
    user = api.user(901)
    api.fail_next("sendMessage", status=429, description="Too Many Requests", retry_after=3)
    async with channel.application:
        update = RawUpdate(user.message_update("/start"))
        assert await channel.handle_update(update)  # committed: the reply is owed, not lost
        assert user.messages == []
        async with sessions() as session:
            (row,) = await session.scalars(select(OutboxMessage))
            assert row.purpose == "reply" and row.state == "pending"
        # Telegram's retry_after holds Telegram (sleeping here would wait 3 s).
        assert limiter.ready_at("telegram:someone") >= clock.now() + timedelta(seconds=3)
        clock.advance(timedelta(seconds=3))
        await dialogue.outbox.send_due()
    assert "Sveiki!" in user.last["text"]  # delivered once the wait was over
    assert len(user.messages) == 1
    assert sleeps == []
    await limiter.wait("telegram:someone-else")  # the reply took one of this second's two
    assert sleeps == []
    await limiter.wait("telegram:a-third-chat")  # the second is full: bulk sending waits
    assert sleeps == [pytest.approx(1.0)]
