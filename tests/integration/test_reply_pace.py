"""Replies to someone waiting go out at once and count against the platform's pace, which
the outbox shares: bulk sending gives way; a 429 on a reply holds everyone, then retries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from telegram import Update

from bot.clock import FakeClock
from bot.delivery.limiter import RateLimiter
from bot.dialogue.router import Dialogue
from bot.i18n import Translations
from tests.fakes.bot_api import FakeBotAPI
from tests.helpers import telegram_channel


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


async def test_replies_count_against_the_shared_pace_and_a_429_is_retried(
    api: FakeBotAPI, dialogue: Dialogue, translations: Translations, clock: FakeClock
) -> None:
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.advance(timedelta(seconds=seconds))

    limiter = RateLimiter(clock, per_second=2, per_chat_seconds=1, sleep=sleep)
    channel = telegram_channel(
        api,
        dialogue,
        translations,
        error_text="klaida",
        limiter=limiter,
        sleep=sleep,
    )
    user = api.user(901)
    api.fail_next("sendMessage", status=429, description="Too Many Requests", retry_after=3)
    async with channel.application:
        update = Update.de_json(user.message_update("/start"), channel.application.bot)
        assert await channel.handle_update(update)
    assert "Sveiki!" in user.last["text"]  # delivered after the 429 and a wait
    assert sleeps == [3.0]
    await limiter.wait("someone-else")  # the reply took one of this second's two slots
    assert sleeps == [3.0]
    await limiter.wait("a-third-chat")  # the second is full: bulk sending waits
    assert sleeps[1:] == [pytest.approx(1.0)]
