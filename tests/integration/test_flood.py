"""Flood control: one "please slow down", a short pause, and nobody else is affected."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.console.adapter import ConsoleChannel
from bot.content.loader import ContentStore
from bot.conversation.flood import FloodGuard, Verdict
from bot.conversation.router import Dialogue
from bot.db.models import ProcessedUpdate
from bot.kernel.clock import FakeClock
from bot.kernel.i18n import Translations
from bot.kernel.messages import Inbound, InboundKind
from tests.conftest import VILNIUS


def _dialogue(
    sessions: async_sessionmaker[AsyncSession],
    content: ContentStore,
    translations: Translations,
    clock: FakeClock,
) -> Dialogue:
    guard = FloodGuard(5, timedelta(seconds=10), timedelta(seconds=60))
    return Dialogue(sessions, content, translations, clock, VILNIUS, flood=guard)


async def test_a_flood_gets_one_warning_then_silence_then_normal_service(
    sessions: async_sessionmaker[AsyncSession],
    content: ContentStore,
    translations: Translations,
    clock: FakeClock,
) -> None:
    dialogue = _dialogue(sessions, content, translations, clock)
    chatty, calm = ConsoleChannel(dialogue, "chatty"), ConsoleChannel(dialogue, "calm")
    replies = [await chatty.send("/start") for _ in range(5)]
    assert all("Sveiki" in reply or "Tęskime" in reply for reply in replies)
    warning = await chatty.send("/start")
    assert "Rašote labai greitai" in warning and "po 1 minutės" in warning
    assert await chatty.send("/start") == ""  # ignored during the pause
    assert "Sveiki" in await calm.send("/start")  # someone else is served at once
    clock.advance(timedelta(seconds=61))
    assert "Tęskime" in await chatty.send("/start")


async def test_ignored_updates_touch_no_database(
    sessions: async_sessionmaker[AsyncSession],
    content: ContentStore,
    translations: Translations,
    clock: FakeClock,
) -> None:
    dialogue = _dialogue(sessions, content, translations, clock)
    for update_id in range(1, 21):
        await dialogue.handle(
            Inbound("telegram", "42", InboundKind.TEXT, text="hi", update_id=str(update_id))
        )
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 5


def test_the_window_slides_and_memory_stays_bounded(clock: FakeClock) -> None:
    guard = FloodGuard(2, timedelta(seconds=10), timedelta(seconds=30))
    now = clock.now()
    assert guard.check("t", "1", now) is Verdict.HANDLE
    assert guard.check("t", "1", now + timedelta(seconds=9)) is Verdict.HANDLE
    assert guard.check("t", "1", now + timedelta(seconds=11)) is Verdict.HANDLE  # first slid out
    for user in range(5000):
        guard.check("t", str(user), now + timedelta(hours=1, seconds=user))
    assert len(guard._senders) < 2100


def test_forgetting_the_quiet_keeps_who_is_paused_and_who_just_wrote(clock: FakeClock) -> None:
    guard = FloodGuard(2, timedelta(seconds=10), timedelta(minutes=5))
    now = clock.now()
    guard.check("t", "old", now)
    guard.check("t", "flooder", now)
    guard.check("t", "flooder", now)
    assert guard.check("t", "flooder", now) is Verdict.WARN  # paused for 5 minutes
    guard.check("t", "old", now + timedelta(seconds=1))  # wrote again: moves to the back
    later = now + timedelta(minutes=4)
    guard.check("t", "new", later)
    assert guard.check("t", "flooder", later) is Verdict.DROP  # still paused, still known
    assert guard.check("t", "old", later + timedelta(seconds=30)) is Verdict.HANDLE
    much_later = now + timedelta(hours=1)
    guard.check("t", "last", much_later)
    assert list(guard._senders) == [("t", "last")]  # everyone quiet for long is gone
