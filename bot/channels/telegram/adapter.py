"""Telegram adapter (python-telegram-bot 22): updates in as Inbound; replies leave through the
outbox and its TelegramSender (bot/channels/telegram/sender.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import BotCommand
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    ContextTypes,
    TypeHandler,
)

from bot.channels.telegram.request import AiohttpRequest
from bot.channels.telegram.sender import CHANNEL, TelegramSender
from bot.channels.telegram.updates import RawUpdate, RawUpdatesBot, to_inbound
from bot.delivery.limiter import RateLimiter
from bot.delivery.sender import OutboxSender
from bot.kernel.messages import Handler, Message

log = logging.getLogger("bot.telegram")


@dataclass(frozen=True)
class BotCommandText:
    """A command and its description in one language."""

    name: str
    description: str


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Different users' updates run concurrently; one user's updates run in arrival order.

    PTB takes a concurrency slot before an update waits for its user's lock, so the slot
    limit is set far above any one person's backlog: a waiting update costs a coroutine,
    and one fast tapper can never hold every slot while others wait."""

    def __init__(self, max_concurrent_updates: int = 4096) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Await the update's coroutine while holding its user's lock."""
        key = _user_key(update)
        if key is None:
            await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key], self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


def _user_key(update: object) -> int | None:
    return update.user_key if isinstance(update, RawUpdate) else None


class TelegramChannel:
    """Runs the bot on Telegram: polling in, the dialogue's replies out."""

    def __init__(
        self,
        handler: Handler,
        *,
        token: str,
        api_base_url: str,
        commands: dict[str, list[BotCommandText]],
        default_language: str,
        error_text: str,
        on_username: Callable[[str], None] | None = None,
        webhook: bool = False,
        outbox: OutboxSender | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self._handler = handler
        # The outbox the handler writes replies to (the Dialogue's, unless given).
        outbox = outbox if outbox is not None else getattr(handler, "outbox", None)
        self._outbox = outbox
        self._commands = commands
        self._on_username = on_username  # told the bot's username once getMe answers
        self._default_language = default_language
        self._error_text = error_text
        bot = RawUpdatesBot(
            token,
            base_url=f"{api_base_url}/bot",
            base_file_url=f"{api_base_url}/file/bot",
            # aiohttp instead of PTB's httpx: a tenth of the CPU per Bot API call
            # (bot/channels/telegram/request.py); a pool for sends, one connection to poll
            request=AiohttpRequest(pool_size=256),
            get_updates_request=AiohttpRequest(pool_size=1),
        )
        # Updates stay Telegram's JSON (bot/channels/telegram/updates.py)
        builder = ApplicationBuilder().bot(bot).concurrent_updates(PerUserUpdateProcessor())
        if webhook:  # updates arrive at the web app (bot/web), not through an Updater
            builder = builder.updater(None)
        self.application: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        self.application.add_handler(TypeHandler(RawUpdate, self._on_update))
        self.application.add_error_handler(self._on_error)
        self.sender = TelegramSender(self.application.bot)
        if outbox is not None:  # replies, lessons and broadcasts leave through the outbox
            outbox.register(self.sender, limiter)

    async def _on_update(self, update: RawUpdate, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Hand one update to the dialogue (which sends its replies through the outbox)."""
        await self.handle_update(update)

    async def handle_update(self, update: RawUpdate) -> bool:
        """Handle one update; True once it is committed with its replies (they are durable,
        sent at once and retried if a send fails), False if processing failed, so a webhook
        answers with an error and Telegram delivers it again."""
        inbound = to_inbound(update)
        if inbound is None:
            return True
        turn = await self._handler.handle(inbound)
        return turn.ok

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log a failed update with its id and tell the person, so the bot never goes silent."""
        update_id = update.update_id if isinstance(update, RawUpdate) else None
        log.error(
            "telegram update failed update=%s: %r", update_id, context.error, exc_info=context.error
        )
        chat = update.chat_id if isinstance(update, RawUpdate) else None
        if chat is not None:
            if self._outbox is None or not await self._outbox.send_once(
                CHANNEL, chat, [Message(self._error_text)]
            ):
                log.error("could not report the failure update=%s", update_id)

    async def set_commands(self) -> None:
        """Publish the command menu per language; a server that refuses it is only logged."""
        bot = self.application.bot
        for language, commands in self._commands.items():
            menu = [BotCommand(c.name, c.description) for c in commands]
            try:
                await bot.set_my_commands(menu, language_code=language)
                if language == self._default_language:
                    await bot.set_my_commands(menu)
            except TelegramError as error:
                log.warning("setMyCommands refused language=%s: %s", language, error)

    async def run_polling(self, stop: asyncio.Event) -> None:
        """Poll for updates until `stop` is set, then shut down cleanly."""
        app = self.application
        async with app:
            me = await app.bot.get_me()
            log.info("telegram bot id=%s polling", me.id)
            if self._on_username is not None and me.username:
                self._on_username(me.username)
            await self.set_commands()
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(allowed_updates=["message", "callback_query"])
            try:
                await stop.wait()
            finally:
                await app.updater.stop()
                await app.stop()
