"""What the dashboard's pages need from the app, built once at start."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.content.loader import ContentStore
from bot.kernel.clock import Clock
from bot.kernel.i18n import Translations


@dataclass(frozen=True)
class DashboardConfig:
    """The database, the course, the catalogues, the clock, and the sign-in settings."""

    sessions: async_sessionmaker[AsyncSession]
    content: ContentStore
    translations: Translations
    clock: Clock
    zone: ZoneInfo
    # Admins by configuration (ADMIN_TELEGRAM_IDS; terminal users given --console-admin).
    admin_telegram_ids: frozenset[int] = frozenset()
    console_admins: frozenset[str] = field(default_factory=frozenset)
    # The bot's token checks a Mini App's initData; None: the Mini App sign-in is off.
    bot_token: str | None = None
    session_lifetime: timedelta = timedelta(hours=8)
    # Cookies marked Secure (the dashboard is reached over https).
    secure_cookies: bool = False
