"""Channels wired to the app: Telegram (polling or webhook), Messenger and the terminal.
Each registers its sender with the outbox, so every message leaves through one road."""

from __future__ import annotations

from collections.abc import Callable

from bot.app.core import ERROR_TEXT, App
from bot.channels.console.adapter import ConsoleChannel
from bot.channels.telegram.adapter import BotCommandText, TelegramChannel
from bot.conversation.router import COMMANDS, Dialogue
from bot.kernel.i18n import Translations


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


def telegram_channel(app: App, *, webhook: bool = False) -> TelegramChannel:
    """The Telegram adapter for this app (the token must be set); `webhook`: no Updater."""
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
        on_username=None if app.dialogue.deps.bot_username else _set_bot_username(app),
        webhook=webhook,
        outbox=app.outbox,
        limiter=app.limiters.get("telegram"),
    )


def _set_bot_username(app: App) -> Callable[[str], None]:
    """Fill the invite links' bot username from Telegram's getMe (BOT_USERNAME unset)."""

    def remember(username: str) -> None:
        app.dialogue.deps.bot_username = username

    return remember


def console_channel(app: App, user_id: str) -> ConsoleChannel:
    """The terminal adapter for this app: the outbox delivers to it, limits off."""
    return ConsoleChannel(app.dialogue, user_id=user_id, outbox=app.outbox)
