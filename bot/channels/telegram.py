"""Telegram adapter (python-telegram-bot 22): updates in as Inbound, replies out as messages."""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    ContextTypes,
    TypeHandler,
)

from bot.channels.base import (
    Button,
    Document,
    EditSource,
    Handler,
    Image,
    Inbound,
    InboundKind,
    Media,
    Message,
    Notice,
    Outbound,
    Photo,
)

CHANNEL = "telegram"
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
    if isinstance(update, Update):
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
    return None


def to_inbound(update: Update) -> Inbound | None:
    """Turn a private-chat message or button press into an Inbound; None for anything else."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != "private" or user.is_bot:
        return None
    common: dict[str, Any] = {
        "channel": CHANNEL,
        "user_id": str(user.id),
        "update_id": str(update.update_id),
        "language_code": user.language_code,
    }
    if update.callback_query is not None:
        return Inbound(kind=InboundKind.BUTTON, payload=update.callback_query.data or "", **common)
    message = update.message
    if message is None:
        return None
    if message.text is not None:
        return Inbound(kind=InboundKind.TEXT, text=message.text, **common)
    if message.photo:
        photo = f"photo:{message.photo[-1].file_id}"
        return Inbound(
            kind=InboundKind.OTHER, attachment=photo, text=message.caption or "", **common
        )
    if message.document is not None:
        document = f"document:{message.document.file_id}"
        return Inbound(
            kind=InboundKind.OTHER, attachment=document, text=message.caption or "", **common
        )
    return Inbound(kind=InboundKind.OTHER, **common)


def _markup(buttons: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.payload) for b in row] for row in buttons]
    )


async def send_reply(bot: Bot, chat_id: int | str, reply: Outbound) -> None:
    """Send one new message (text, picture or file) to a chat; edits and notices need the
    pressed button's update, so they are not sent here. Shared with the outbox sender."""
    if isinstance(reply, Image):
        await bot.send_photo(
            chat_id=chat_id,
            photo=reply.url,
            caption=reply.caption or None,
            parse_mode=ParseMode.HTML,
        )
    elif isinstance(reply, Photo):
        await bot.send_photo(
            chat_id,
            InputFile(reply.data, filename=reply.filename),
            caption=reply.caption or None,
            parse_mode=ParseMode.HTML,
        )
    elif isinstance(reply, Document):
        await bot.send_document(
            chat_id,
            InputFile(reply.data, filename=reply.filename),
            caption=reply.caption or None,
            parse_mode=ParseMode.HTML,
        )
    elif isinstance(reply, Media) and reply.channel == CHANNEL:
        send = bot.send_photo if reply.kind == "photo" else bot.send_document
        await send(chat_id, reply.file_id, caption=reply.caption or None, parse_mode=ParseMode.HTML)
    elif isinstance(reply, Message):
        await bot.send_message(
            chat_id=chat_id,
            text=reply.text,
            parse_mode=ParseMode.HTML,
            reply_markup=_markup(reply.buttons),
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )


class SharedLimiter(Protocol):
    """The platform's pace, shared by replies and the outbox (bot/delivery/limiter.py)."""

    def note_sent(self, key: str) -> None: ...

    def hold_for(self, seconds: float) -> None: ...


def _seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that the type will change
        warnings.simplefilter("ignore")
        retry = error.retry_after
    return float(retry if isinstance(retry, int | float) else retry.total_seconds())


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
        limiter: SharedLimiter | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._handler = handler
        self._limiter = limiter  # shared with the outbox, so bulk sending gives way
        self._sleep = sleep
        self._commands = commands
        self._on_username = on_username  # told the bot's username once getMe answers
        self._default_language = default_language
        self._error_text = error_text
        builder = (
            ApplicationBuilder()
            .token(token)
            .base_url(f"{api_base_url}/bot")
            .base_file_url(f"{api_base_url}/file/bot")
            .concurrent_updates(PerUserUpdateProcessor())
        )
        if webhook:  # updates arrive at the web app (bot/web), not through an Updater
            builder = builder.updater(None)
        self.application: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.application.add_error_handler(self._on_error)

    async def _on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Hand one update to the dialogue and deliver its replies."""
        await self.handle_update(update)

    async def handle_update(self, update: Update) -> bool:
        """Handle one update and deliver its replies; False if processing failed (nothing was
        committed), so a webhook answers with an error and Telegram delivers it again."""
        inbound = to_inbound(update)
        if inbound is None:
            return True
        turn = await self._handler.handle(inbound)
        await self.deliver(update, turn.replies)
        return turn.ok

    async def deliver(self, update: Update, replies: list[Outbound]) -> None:
        """Send replies to the chat the update came from, in order."""
        chat = update.effective_chat
        query = update.callback_query
        assert chat is not None
        if query is not None:
            notice = next((r.text for r in replies if isinstance(r, Notice)), None) or None
            try:
                await query.answer(text=notice)
            except TelegramError as error:  # too old, or a network hiccup: the replies matter more
                log.warning("callback answer failed update=%s: %s", update.update_id, error)
        bot = self.application.bot
        for reply in replies:
            if isinstance(reply, EditSource) and query is not None and query.message is not None:
                await self._edit(update, query.message.message_id, reply)
            else:
                await self._send_now(bot, chat.id, reply)
            if self._limiter is not None and not isinstance(reply, Notice):
                self._limiter.note_sent(str(chat.id))

    async def _send_now(self, bot: Bot, chat_id: int, reply: Outbound) -> None:
        """Send a reply; after a 429, hold everyone's sending and try once more."""
        try:
            await send_reply(bot, chat_id, reply)
        except RetryAfter as error:
            seconds = _seconds(error)
            if self._limiter is not None:
                self._limiter.hold_for(seconds)
            log.warning("reply rate-limited: retrying in %.1f s", seconds)
            await self._sleep(seconds)
            await send_reply(bot, chat_id, reply)

    async def _edit(self, update: Update, message_id: int, reply: EditSource) -> None:
        chat_id = update.effective_chat.id if update.effective_chat else 0
        bot = self.application.bot
        try:
            markup = _markup(reply.buttons)
            if reply.text is None:
                await bot.edit_message_reply_markup(
                    chat_id=chat_id, message_id=message_id, reply_markup=markup
                )
            else:
                await bot.edit_message_text(
                    chat_id=chat_id,
                    message_id=message_id,
                    text=reply.text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
        except BadRequest as error:  # already edited, or too old to edit: nothing to fix
            log.info("edit skipped update=%s: %s", update.update_id, error)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log a failed update with its id and tell the person, so the bot never goes silent."""
        update_id = update.update_id if isinstance(update, Update) else None
        log.error(
            "telegram update failed update=%s: %r", update_id, context.error, exc_info=context.error
        )
        if isinstance(update, Update) and update.effective_chat is not None:
            try:
                await self.application.bot.send_message(update.effective_chat.id, self._error_text)
            except TelegramError as error:
                log.error("could not report the failure update=%s: %r", update_id, error)

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
