"""Telegram's sending side for the outbox: PTB's Bot, its errors mapped to DeliveryError."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.channels.base import Outbound
from bot.channels.telegram import CHANNEL, send_reply
from bot.delivery.sender import DeliveryError, DeliveryKind


class TelegramSender:
    """Sends outbox replies to a Telegram chat (a private chat's id is the user's id)."""

    channel = CHANNEL

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send(self, external_id: str, replies: Sequence[Outbound]) -> None:
        """Send the replies in order; DeliveryError says whether to retry, skip or give up."""
        await self._bot.initialize()  # once; a no-op afterwards
        for reply in replies:
            try:
                await send_reply(self._bot, int(external_id), reply)
            except RetryAfter as error:
                with warnings.catch_warnings():  # PTB 22 warns that the type will change
                    warnings.simplefilter("ignore")
                    retry = error.retry_after
                seconds = retry if isinstance(retry, int | float) else retry.total_seconds()
                raise DeliveryError(
                    DeliveryKind.RETRY, "429 too many requests", retry_after=float(seconds)
                ) from error
            except Forbidden as error:
                raise DeliveryError(DeliveryKind.BLOCKED, f"403 {error.message}") from error
            except BadRequest as error:
                raise DeliveryError(DeliveryKind.FAILED, f"400 {error.message}") from error
            except (NetworkError, TelegramError) as error:  # 5xx, timeouts, connection errors
                kind = type(error).__name__
                raise DeliveryError(DeliveryKind.RETRY, f"{kind}: {error.message}") from error

    # --- a message kept up to date outside any update (a broadcast's live progress) ---------

    async def post(self, external_id: str, text: str) -> str:
        """Send a new HTML text message and return its message id, for later edits."""
        await self._bot.initialize()
        try:
            sent = await self._bot.send_message(int(external_id), text, parse_mode=ParseMode.HTML)
        except TelegramError as error:
            raise _delivery_error(error) from error
        return str(sent.message_id)

    async def edit(self, external_id: str, message_id: str, text: str) -> None:
        """Replace the text of a message sent by `post`; an unchanged text is not an error."""
        await self._bot.initialize()
        try:
            await self._bot.edit_message_text(
                text,
                chat_id=int(external_id),
                message_id=int(message_id),
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
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            retry = error.retry_after
        seconds = retry if isinstance(retry, int | float) else retry.total_seconds()
        return DeliveryError(DeliveryKind.RETRY, "429 too many requests", retry_after=seconds)
    if isinstance(error, Forbidden):
        return DeliveryError(DeliveryKind.BLOCKED, f"403 {error.message}")
    if isinstance(error, BadRequest):
        return DeliveryError(DeliveryKind.FAILED, f"400 {error.message}")
    return DeliveryError(DeliveryKind.RETRY, f"{type(error).__name__}: {error.message}")
