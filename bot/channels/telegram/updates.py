"""Telegram updates kept as Telegram's JSON, from getUpdates or a webhook to an Inbound.

python-telegram-bot turns every update into an `Update` of nested objects (the user, the
chat, the message, its keyboard) through `Update.de_json`; the bot reads six fields of it. On
a quiz press that was about 0.09 ms of the turn's 1.6 ms of CPU, paid again for every update of
a busy group. PTB's `Updater` (long polling, its network retry loop, the webhook check at
start, confirming the last offset at stop) and `Application` (the per-user update processor,
the error handler) stay; only `get_updates` returns `RawUpdate`s, and the webhook builds the
same from its body."""

from __future__ import annotations

import datetime as dtm
import logging
from collections.abc import Sequence
from typing import Any

from telegram.ext import ExtBot

from bot.channels.telegram.request import AiohttpRequest
from bot.channels.telegram.sender import CHANNEL
from bot.kernel.messages import Inbound, InboundKind

log = logging.getLogger("bot.telegram")


def _dict(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class RawUpdate:
    """One update as Telegram sent it; PTB's Updater needs only its `update_id`. What the bot
    reads of it (the press or the message, who, which chat) is found once, here."""

    __slots__ = ("chat", "data", "kind", "part", "update_id", "user")

    def __init__(self, data: dict[str, Any]) -> None:
        update_id = data.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            raise ValueError("an update needs an integer update_id")
        self.update_id = update_id
        self.data = data
        # The button press or the message it carries (the two kinds the bot asks for).
        self.kind, self.part = "", {}
        for kind in ("callback_query", "message"):
            part = _dict(data.get(kind))
            if part is not None:
                self.kind, self.part = kind, part
                break
        # Who sent it, and the chat it happened in (of a press: the pressed message's chat).
        self.user = _dict(self.part.get("from"))
        holder = _dict(self.part.get("message")) if self.kind == "callback_query" else self.part
        self.chat = _dict(holder.get("chat")) if holder is not None else None

    @property
    def user_key(self) -> int | None:
        """Whose updates must run in order: the user's, else the chat's."""
        for found in (self.user, self.chat):
            if found is not None and isinstance(found.get("id"), int):
                return int(found["id"])
        return None

    @property
    def chat_id(self) -> str | None:
        """Where to tell the person that their update failed."""
        chat = self.chat
        return str(chat["id"]) if chat is not None and "id" in chat else None


def to_inbound(update: RawUpdate) -> Inbound | None:
    """A private-chat message or button press as an Inbound; None for anything else."""
    user, chat = update.user, update.chat
    if user is None or chat is None or chat.get("type") != "private" or user.get("is_bot"):
        return None
    if not isinstance(user.get("id"), int):
        return None
    common: dict[str, Any] = {
        "channel": CHANNEL,
        "user_id": str(user["id"]),
        "update_id": str(update.update_id),
        "language_code": _text(user.get("language_code")),
    }
    if update.kind == "callback_query":
        query = update.part
        pressed = _dict(query.get("message"))
        message_id = pressed.get("message_id") if pressed is not None else None
        return Inbound(
            kind=InboundKind.BUTTON,
            payload=_text(query.get("data")) or "",
            message_id=str(message_id) if isinstance(message_id, int) else None,
            ack_id=_text(query.get("id")),
            **common,
        )
    message = update.part
    text = _text(message.get("text"))
    if text is not None:
        return Inbound(kind=InboundKind.TEXT, text=text, **common)
    caption = _text(message.get("caption")) or ""
    photos = message.get("photo")
    if isinstance(photos, list) and photos and isinstance(photos[-1], dict):
        photo = f"photo:{photos[-1].get('file_id', '')}"  # the largest size comes last
        return Inbound(kind=InboundKind.OTHER, attachment=photo, text=caption, **common)
    document = _dict(message.get("document"))
    if document is not None:
        attachment = f"document:{document.get('file_id', '')}"
        return Inbound(kind=InboundKind.OTHER, attachment=attachment, text=caption, **common)
    return Inbound(kind=InboundKind.OTHER, **common)


class RawUpdatesBot(ExtBot[None]):
    """PTB's bot whose `get_updates` hands back Telegram's JSON as `RawUpdate`s, fetched as
    one JSON call on the polling connection; every other method is PTB's own."""

    __slots__ = ("_poller",)

    def __init__(
        self,
        token: str,
        *,
        base_url: str,
        base_file_url: str,
        request: AiohttpRequest,
        get_updates_request: AiohttpRequest,
    ) -> None:
        super().__init__(
            token,
            base_url=base_url,
            base_file_url=base_file_url,
            request=request,
            get_updates_request=get_updates_request,
        )
        with self._unfrozen():
            self._poller = get_updates_request

    async def get_updates(  # type: ignore[override]
        self,
        offset: int | None = None,
        limit: int | None = None,
        timeout: int | dtm.timedelta | None = None,  # noqa: ASYNC109 (PTB's signature)
        allowed_updates: Sequence[str] | None = None,
        **_timeouts: Any,
    ) -> tuple[RawUpdate, ...]:
        """Updates after `offset`, waiting up to `timeout` for the first (long polling).
        Telegram's errors are PTB's, as for every other call (BaseRequest.post)."""
        wait = timeout.total_seconds() if isinstance(timeout, dtm.timedelta) else timeout or 0
        parameters: dict[str, Any] = {"timeout": int(wait)}
        if offset is not None:
            parameters["offset"] = offset
        if limit is not None:
            parameters["limit"] = limit
        if allowed_updates is not None:
            parameters["allowed_updates"] = list(allowed_updates)
        read_timeout = self._poller.read_timeout + wait
        result = await self._poller.post_json(
            f"{self.base_url}/getUpdates", parameters, read_timeout=read_timeout
        )
        updates = []
        for item in result:
            try:
                updates.append(RawUpdate(item))
            except (ValueError, AttributeError):  # never seen from Telegram: skipped, not fatal
                log.warning("telegram sent an update without an update_id: skipped")
        return tuple(updates)
