"""A Telegram user of the fake Bot API: writes to the bot, presses buttons, reads its replies."""

from __future__ import annotations

import copy
import re
import time
from typing import TYPE_CHECKING, Any

from telegram import Message

from tests.fakes.telegram_html import utf16_len

if TYPE_CHECKING:
    from tests.fakes.bot_api import FakeBotAPI

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)")
_VIEW_KEYS = ("text", "caption", "reply_markup", "photo", "document")
# A message of the chat: its dict (as returned by the fake), its id, or PTB's Message.
MessageRef = dict[str, Any] | int | Message


class FakeUser:
    """A user in a private chat with the bot (chat id = user id).

    The chat keeps every message in Telegram's form; message ids count from 1 and are shared by
    the user's and the bot's messages, as in a real private chat.
    """

    def __init__(
        self,
        server: FakeBotAPI,
        user_id: int,
        first_name: str,
        language_code: str | None,
        username: str | None = None,
    ) -> None:
        self.server = server
        self.user_id = user_id
        self.first_name = first_name
        self.language_code = language_code
        self.username = username
        self.blocked = False  # True: the bot gets 403 "Forbidden: bot was blocked by the user"
        self._store: dict[int, dict[str, Any]] = {}
        self._bot_ids: list[int] = []
        self._deleted: set[int] = set()
        self._last_id = 0

    # --- what Telegram puts in updates -------------------------------------------------------

    @property
    def user(self) -> dict[str, Any]:
        """The ``User`` object of this user."""
        user: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    @property
    def chat(self) -> dict[str, Any]:
        """The ``Chat`` object of the private chat with this user."""
        chat: dict[str, Any] = {"id": self.user_id, "type": "private"}
        chat["first_name"] = self.first_name
        if self.username:
            chat["username"] = self.username
        return chat

    def message_update(self, text: str) -> dict[str, Any]:
        """A new message from the user as an Update, stored in the chat but not enqueued."""
        message: dict[str, Any] = {
            "message_id": self._next_message_id(),
            "from": self.user,
            "chat": self.chat,
            "date": int(time.time()),
            "text": text,
        }
        command = _COMMAND.match(text)
        if command:
            length = utf16_len(command.group())
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        self._store[message["message_id"]] = message
        return {"update_id": self.server.new_update_id(), "message": copy.deepcopy(message)}

    def callback_update(
        self, message: MessageRef, data: str, *, strict: bool = True
    ) -> dict[str, Any]:
        """A press of a callback button as an Update, not enqueued; its query id is live.

        With ``strict`` the message must be a bot message still in the chat whose current
        keyboard has a button with this ``callback_data``, since that is all a user can press.
        """
        stored = self._resolve(message)
        if strict:
            if stored["message_id"] not in self._bot_ids or stored["message_id"] in self._deleted:
                raise AssertionError(f"message {stored['message_id']} is not a bot message here")
            if data not in [pressed for _, pressed in self.buttons(stored["message_id"])]:
                raise AssertionError(
                    f"message {stored['message_id']} has no button with callback_data {data!r}; "
                    f"its buttons: {self.buttons(stored['message_id'])}"
                )
        query: dict[str, Any] = {
            "id": self.server.new_callback_query_id(),
            "from": self.user,
            "message": copy.deepcopy(stored),
            "chat_instance": str(-(self.user_id * 1_000_003 + self.server.bot_id) % 10**19),
            "data": data,
        }
        self.server.open_callback_queries[query["id"]] = query
        return {"update_id": self.server.new_update_id(), "callback_query": copy.deepcopy(query)}

    def send(self, text: str) -> dict[str, Any]:
        """The user writes ``text``; the Update is enqueued for getUpdates and returned."""
        return self.server.enqueue(self.message_update(text))

    def press(self, message: MessageRef, data: str, *, strict: bool = True) -> dict[str, Any]:
        """The user presses a callback button; the Update is enqueued and returned."""
        return self.server.enqueue(self.callback_update(message, data, strict=strict))

    # --- what the user sees ------------------------------------------------------------------

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The bot's messages still in the chat, oldest first, each as it is now (after edits).

        Copies in Telegram's form, with ``text``, ``caption``, ``reply_markup``, ``photo`` and
        ``document`` always present (``None`` when the message has none).
        """
        return [self._view(i) for i in self._bot_ids if i not in self._deleted]

    @property
    def last(self) -> dict[str, Any]:
        """The bot's latest message still in the chat."""
        shown = self.messages
        if not shown:
            raise AssertionError(f"the bot has sent nothing to chat {self.user_id}")
        return shown[-1]

    @property
    def sent(self) -> list[dict[str, Any]]:
        """Every message the bot sent here, deleted ones included, each as it is now."""
        return [self._view(i) for i in self._bot_ids]

    def message(self, message_id: int) -> dict[str, Any]:
        """The current state of one message of the chat (the user's or the bot's)."""
        return self._view(self._resolve(message_id)["message_id"])

    def buttons(self, message: MessageRef) -> list[tuple[str, str]]:
        """``(text, callback_data)`` of the callback buttons of a message's current keyboard."""
        markup = self._resolve(message).get("reply_markup") or {}
        return [
            (button["text"], button["callback_data"])
            for row in markup.get("inline_keyboard", [])
            for button in row
            if "callback_data" in button
        ]

    async def wait_for_messages(
        self,
        count: int,
        timeout: float = 10,  # noqa: ASYNC109
    ) -> list[dict[str, Any]]:
        """Wait until the bot has sent ``count`` messages here; returns :attr:`sent`."""

        def describe() -> str:
            texts = [m["text"] or m["caption"] for m in self.sent]
            refused = [
                f"{c.method} -> {c.status} {c.description}"
                for c in self.server.calls
                if c.status >= 300 and c.params.get("chat_id") == self.user_id
            ]
            return (
                f"expected at least {count} bot messages in chat {self.user_id} within "
                f"{timeout}s, got {len(texts)}: {texts}; refused calls: {refused}"
            )

        await self.server.wait_until(lambda: len(self._bot_ids) >= count, timeout, describe)
        return self.sent

    # --- used by the server ------------------------------------------------------------------

    def _next_message_id(self) -> int:
        self._last_id += 1
        return self._last_id

    def _add_bot_message(self, message: dict[str, Any]) -> dict[str, Any]:
        self._store[message["message_id"]] = message
        self._bot_ids.append(message["message_id"])
        return message

    def _find(self, message_id: Any) -> dict[str, Any] | None:
        if not isinstance(message_id, int) or message_id in self._deleted:
            return None
        return self._store.get(message_id)

    def _is_bot_message(self, message_id: int) -> bool:
        return message_id in self._bot_ids

    def _delete(self, message_id: int) -> None:
        self._deleted.add(message_id)

    def _resolve(self, message: MessageRef) -> dict[str, Any]:
        if isinstance(message, Message):
            message_id = message.message_id
        else:
            message_id = message if isinstance(message, int) else message["message_id"]
        stored = self._store.get(message_id)
        if stored is None:
            raise AssertionError(f"chat {self.user_id} has no message {message_id}")
        return stored

    def _view(self, message_id: int) -> dict[str, Any]:
        view = copy.deepcopy(self._store[message_id])
        for key in _VIEW_KEYS:
            view.setdefault(key, None)
        return view

    def __repr__(self) -> str:
        return f"FakeUser(user_id={self.user_id}, first_name={self.first_name!r})"
