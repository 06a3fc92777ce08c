"""Long-lived services a handler may need beyond its database session, built once at start.

Features add their own fields here (with defaults), so tests can build a Deps with only
what they exercise."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.content.loader import ContentStore
from bot.kernel.clock import Clock

if TYPE_CHECKING:
    from bot.conversation.tasks import TaskRunner
    from bot.kernel.coach import IdeaCoach


@dataclass
class Deps:
    """What the dialogue's handlers share across updates."""

    content: ContentStore
    clock: Clock
    sessions: async_sessionmaker[AsyncSession] | None = None
    # Telegram user ids with the admin role (ADMIN_TELEGRAM_IDS).
    admin_telegram_ids: frozenset[int] = frozenset()
    # Terminal users with the admin role (`python -m bot chat --admin`).
    console_admins: frozenset[str] = field(default_factory=frozenset)
    # The Telegram bot's username, for invite links t.me/<username>?start=CODE: BOT_USERNAME,
    # else filled from getMe when the bot starts on Telegram; empty: links show /start CODE.
    bot_username: str = ""
    # How long a /link code works (LINK_CODE_MINUTES).
    link_code_ttl: timedelta = timedelta(minutes=30)
    # The improvement-idea coach (issue 6): its catalogue, page fetcher and background checks;
    # built on first use with the safe default policy when not given.
    ideas: IdeaCoach | None = None
    # Slow work outside the turn (exports, charts, content reload, web audits): set up by the
    # Dialogue with the feature registry's task handlers.
    tasks: TaskRunner | None = None
