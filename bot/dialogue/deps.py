"""Long-lived services a handler may need beyond its database session, built once at start.

Features add their own fields here (with defaults), so tests can build a Deps with only
what they exercise."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.content.loader import ContentStore


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
