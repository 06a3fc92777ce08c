"""The one composition root: the app and every channel wired to it."""

from bot.app.channels import command_texts, console_channel, telegram_channel
from bot.app.core import App, build_app, channel_limiters

__all__ = [
    "App",
    "build_app",
    "channel_limiters",
    "command_texts",
    "console_channel",
    "telegram_channel",
]
