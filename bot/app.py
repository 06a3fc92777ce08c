"""Composition root: settings -> engine -> content -> dialogue -> channels."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.channels.console import ConsoleChannel
from bot.channels.telegram import BotCommandText, TelegramChannel
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.content.loader import ContentStore
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade_async
from bot.dialogue.deps import Deps
from bot.dialogue.router import COMMANDS, Dialogue
from bot.features import build_registry
from bot.i18n import Translations

ERROR_TEXT = "Sorry, something went wrong on my side. Please try again."


@dataclass
class App:
    """Everything one bot process holds, built once at start."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    content: ContentStore
    translations: Translations
    clock: Clock
    dialogue: Dialogue

    async def aclose(self) -> None:
        """Release the database connections."""
        await self.engine.dispose()


async def build_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    migrate: bool = True,
    console_admins: Iterable[str] = (),
) -> App:
    """Load content (ContentError if invalid), migrate the database and wire the core."""
    content = ContentStore(settings.content_dir)
    translations = Translations(settings.default_language)
    if migrate:
        await upgrade_async(settings.database_url)
    engine = create_engine(settings.database_url)
    sessions = create_session_factory(engine)
    clock = clock or SystemClock()
    deps = Deps(
        content=content,
        clock=clock,
        sessions=sessions,
        admin_telegram_ids=settings.admin_telegram_ids,
        console_admins=frozenset(console_admins),
    )
    dialogue = Dialogue(
        sessions,
        content,
        translations,
        clock,
        settings.zone,
        registry=build_registry(),
        deps=deps,
    )
    return App(settings, engine, sessions, content, translations, clock, dialogue)


def command_texts(
    translations: Translations, dialogue: Dialogue | None = None
) -> dict[str, list[BotCommandText]]:
    """The command menu in every language, for the platform's command list."""
    commands = dialogue.menu_commands() if dialogue is not None else list(COMMANDS)
    return {
        language: [
            BotCommandText(name, translations.get(language).gettext(description))
            for name, description in commands
        ]
        for language in translations.languages
    }


def telegram_channel(app: App) -> TelegramChannel:
    """The Telegram adapter for this app (the token must be set)."""
    token = app.settings.telegram_bot_token
    if token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    return TelegramChannel(
        app.dialogue,
        token=token.get_secret_value(),
        api_base_url=app.settings.telegram_api_base_url,
        commands=command_texts(app.translations, app.dialogue),
        default_language=app.settings.default_language,
        error_text=app.translations.get(None).gettext(ERROR_TEXT),
    )


def console_channel(app: App, user_id: str) -> ConsoleChannel:
    """The terminal adapter for this app."""
    return ConsoleChannel(app.dialogue, user_id=user_id)
