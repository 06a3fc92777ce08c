"""Telegram's sending side for the outbox: PTB's Bot, its errors mapped to DeliveryError.

Every message the bot sends on Telegram leaves here: replies (with the edit of the pressed
message and the answer to the press), lessons, reminders, broadcasts and their progress."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from typing import Any

from telegram import Bot, InputFile
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBUserWarning

from bot.channels.telegram.request import AiohttpRequest
from bot.delivery.channel import DeliveryError, DeliveryKind
from bot.kernel.messages import (
    Button,
    Document,
    EditSource,
    Image,
    Media,
    Message,
    Notice,
    Outbound,
    Photo,
)

CHANNEL = "telegram"
log = logging.getLogger("bot.telegram")
# An edit that cannot or need not happen: the message is as wanted, or too old to change.
EDIT_MOOT = ("not modified", "can't be edited", "message to edit not found")
# Texts, edits and press answers are sent as one JSON body through PTB's request object and
# Telegram's answer stays JSON: no Message object the outbox never reads (PTB's Message.de_json
# was a tenth of the bot's CPU in a quiz under py-spy), no parameter-by-parameter encoding
# (half of a call's CPU, bench/telegram_calls.py). A Bot on PTB's own HTTPX request (some
# tests) goes through Bot.do_api_request instead; PTB warns there that a named method exists.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.", category=PTBUserWarning)
PREVIEW_OFF = {"is_disabled": True}


async def call(bot: Bot, method: str, **parameters: Any) -> Any:
    """One Bot API call whose answer stays raw JSON; errors are PTB's, as with bot.send_*."""
    present = {key: value for key, value in parameters.items() if value is not None}
    request = bot.request
    if isinstance(request, AiohttpRequest):
        return await request.post_json(f"{bot.base_url}/{method}", present)
    return await bot.do_api_request(method, api_kwargs=present)


def _markup(buttons: tuple[tuple[Button, ...], ...]) -> dict[str, Any] | None:
    """An inline keyboard as the Bot API's JSON."""
    if not buttons:
        return None
    return {"inline_keyboard": [[_button(b) for b in row] for row in buttons]}


def _button(button: Button) -> dict[str, Any]:
    """A press that comes back (callback data), an address, or a Mini App."""
    if button.url and button.web_app:
        return {"text": button.label, "web_app": {"url": button.url}}
    if button.url:
        return {"text": button.label, "url": button.url}
    return {"text": button.label, "callback_data": button.payload}


async def send_reply(bot: Bot, chat_id: int | str, reply: Outbound) -> None:
    """Send one new message (text, picture or file) to a chat."""
    if isinstance(reply, Image):
        await bot.send_photo(
            chat_id=chat_id,
            photo=reply.url,
            caption=reply.caption or None,
            parse_mode=ParseMode.HTML,
        )
    elif isinstance(reply, Photo | Document):
        upload = bot.send_photo if isinstance(reply, Photo) else bot.send_document
        await upload(
            chat_id,
            InputFile(reply.data, filename=reply.filename),
            caption=reply.caption or None,
            parse_mode=ParseMode.HTML,
        )
    elif isinstance(reply, Media) and reply.channel == CHANNEL:
        send = bot.send_photo if reply.kind == "photo" else bot.send_document
        await send(chat_id, reply.file_id, caption=reply.caption or None, parse_mode=ParseMode.HTML)
    elif isinstance(reply, Message):
        await call(
            bot,
            "sendMessage",
            chat_id=chat_id,
            text=reply.text,
            parse_mode=ParseMode.HTML,
            reply_markup=_markup(reply.buttons),
            link_preview_options=PREVIEW_OFF,
        )


def _retry_seconds(error: RetryAfter) -> float:
    """A 429's retry_after in seconds."""
    with warnings.catch_warnings():  # PTB 22 warns that the type will change
        warnings.simplefilter("ignore")
        retry = error.retry_after
    return float(retry if isinstance(retry, int | float) else retry.total_seconds())


class TelegramSender:
    """Sends outbox rows to a Telegram chat (a private chat's id is the user's id)."""

    channel = CHANNEL

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send(
        self,
        external_id: str,
        replies: Sequence[Outbound],
        source: dict[str, Any] | None = None,
    ) -> None:
        """Send the replies in order; DeliveryError says whether to retry, skip or give up."""
        await self._bot.initialize()  # once; a no-op afterwards
        for reply in replies:
            try:
                if isinstance(reply, Notice):
                    await self._acknowledge(reply, source)
                elif isinstance(reply, EditSource):
                    await self._edit(int(external_id), reply, source)
                else:
                    await send_reply(self._bot, int(external_id), reply)
            except TelegramError as error:
                raise _delivery_error(error) from error

    async def _acknowledge(self, notice: Notice, source: dict[str, Any] | None) -> None:
        """Answer the press (stops the spinner, shows the notice); an old press is moot."""
        ack = (source or {}).get("ack_id")
        if not ack:
            return
        try:
            await call(
                self._bot,
                "answerCallbackQuery",
                callback_query_id=str(ack),
                text=notice.text or None,
            )
        except BadRequest as error:  # too old (the reply still matters more)
            log.info("callback answer skipped: %s", error.message)

    async def _edit(self, chat_id: int, reply: EditSource, source: dict[str, Any] | None) -> None:
        message_id = (source or {}).get("message_id")
        if not message_id:
            return  # nothing was pressed: there is no message to change
        markup = _markup(reply.buttons)
        try:
            if reply.text is None:
                await call(
                    self._bot,
                    "editMessageReplyMarkup",
                    chat_id=chat_id,
                    message_id=int(message_id),
                    reply_markup=markup,
                )
            else:
                await call(
                    self._bot,
                    "editMessageText",
                    chat_id=chat_id,
                    message_id=int(message_id),
                    text=reply.text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    link_preview_options=PREVIEW_OFF,
                )
        except BadRequest as error:
            if any(moot in error.message.lower() for moot in EDIT_MOOT):
                log.info("edit skipped: %s", error.message)
                return
            raise

    # --- a message kept up to date outside any update (a broadcast's live progress) ---------

    async def post(self, external_id: str, text: str) -> str:
        """Send a new HTML text message and return its message id, for later edits."""
        await self._bot.initialize()
        try:
            sent = await call(
                self._bot,
                "sendMessage",
                chat_id=int(external_id),
                text=text,
                parse_mode=ParseMode.HTML,
            )
        except TelegramError as error:
            raise _delivery_error(error) from error
        return str(sent["message_id"])

    async def edit(self, external_id: str, message_id: str, text: str) -> None:
        """Replace the text of a message sent by `post`; an unchanged text is not an error."""
        await self._bot.initialize()
        try:
            await call(
                self._bot,
                "editMessageText",
                chat_id=int(external_id),
                message_id=int(message_id),
                text=text,
                parse_mode=ParseMode.HTML,
            )
        except BadRequest as error:
            if "not modified" in error.message:
                return
            raise _delivery_error(error) from error
        except TelegramError as error:
            raise _delivery_error(error) from error


def _delivery_error(error: TelegramError) -> DeliveryError:
    """A Bot API error as the outbox understands it."""
    if isinstance(error, RetryAfter):
        seconds = _retry_seconds(error)
        return DeliveryError(DeliveryKind.RETRY, "429 too many requests", retry_after=seconds)
    if isinstance(error, Forbidden):
        return DeliveryError(DeliveryKind.BLOCKED, f"403 {error.message}")
    if isinstance(error, BadRequest):
        return DeliveryError(DeliveryKind.FAILED, f"400 {error.message}")
    kind = type(error).__name__  # 5xx, timeouts, connection errors (NetworkError)
    return DeliveryError(DeliveryKind.RETRY, f"{kind}: {error.message}")
