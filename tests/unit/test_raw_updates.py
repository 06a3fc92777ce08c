"""Telegram's updates read straight from their JSON (bot/channels/telegram/updates.py): the
same Inbound python-telegram-bot's parsed Update gave, for every kind the bot asks for, and
nothing for what it must ignore or cannot read."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from telegram import Bot, Update

from bot.channels.telegram.updates import RawUpdate, to_inbound
from bot.kernel.messages import Inbound, InboundKind

ONA = {"id": 1001, "is_bot": False, "first_name": "Ona", "language_code": "lt"}
CHAT = {"id": 1001, "type": "private", "first_name": "Ona"}
BOT = {"id": 42, "is_bot": True, "first_name": "Culture Coach", "username": "coach_bot"}
QUESTION = {
    "message_id": 9,
    "date": 1_765_000_000,
    "chat": CHAT,
    "from": BOT,
    "text": "Ar svetainė pritaikyta telefonui?",
    "reply_markup": {"inline_keyboard": [[{"text": "Taip", "callback_data": "quiz:1:yes"}]]},
}


def message(**fields: Any) -> dict[str, Any]:
    body = {"message_id": 10, "date": 1_765_000_000, "chat": CHAT, "from": ONA, **fields}
    return {"update_id": 500, "message": body}


def press(**fields: Any) -> dict[str, Any]:
    query = {"id": "7788", "from": ONA, "chat_instance": "-1", "message": QUESTION, **fields}
    return {"update_id": 501, "callback_query": query}


def common(update_id: int) -> dict[str, Any]:
    return {"channel": "telegram", "user_id": "1001", "update_id": str(update_id)}


CASES: list[tuple[str, dict[str, Any], Inbound | None]] = [
    (
        "a command",
        message(text="/start", entities=[{"type": "bot_command", "offset": 0, "length": 6}]),
        Inbound(kind=InboundKind.TEXT, text="/start", language_code="lt", **common(500)),
    ),
    (
        "text with every diacritic",
        message(text="Ąžuolas čiūžė į šventę ųęė"),
        Inbound(
            kind=InboundKind.TEXT,
            text="Ąžuolas čiūžė į šventę ųęė",
            language_code="lt",
            **common(500),
        ),
    ),
    (
        "a button press",
        press(data="quiz:1:yes"),
        Inbound(
            kind=InboundKind.BUTTON,
            payload="quiz:1:yes",
            message_id="9",
            ack_id="7788",
            language_code="lt",
            **common(501),
        ),
    ),
    (
        "a press on a message too old to be shown",
        press(data="menu", message={"message_id": 3, "date": 0, "chat": CHAT}),
        Inbound(
            kind=InboundKind.BUTTON,
            payload="menu",
            message_id="3",
            ack_id="7788",
            language_code="lt",
            **common(501),
        ),
    ),
    (
        "a photo with a caption, the largest size",
        message(
            photo=[
                {"file_id": "small", "file_unique_id": "s", "width": 90, "height": 90},
                {"file_id": "large", "file_unique_id": "l", "width": 1280, "height": 1280},
            ],
            caption="Nauja afiša",
        ),
        Inbound(
            kind=InboundKind.OTHER,
            attachment="photo:large",
            text="Nauja afiša",
            language_code="lt",
            **common(500),
        ),
    ),
    (
        "a document",
        message(document={"file_id": "doc1", "file_unique_id": "d", "file_name": "planas.pdf"}),
        Inbound(
            kind=InboundKind.OTHER, attachment="document:doc1", language_code="lt", **common(500)
        ),
    ),
    (
        "a sticker",
        message(
            sticker={
                "file_id": "st",
                "file_unique_id": "s",
                "type": "regular",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
            }
        ),
        Inbound(kind=InboundKind.OTHER, language_code="lt", **common(500)),
    ),
    (
        "no language code",
        message(text="labas", **{"from": {"id": 1001, "is_bot": False, "first_name": "Ona"}}),
        Inbound(kind=InboundKind.TEXT, text="labas", **common(500)),
    ),
    (
        "a group chat",
        message(text="/start", chat={"id": -5, "type": "group", "title": "Kursas"}),
        None,
    ),
    ("another bot", message(text="hi", **{"from": BOT}), None),
    ("a channel post", {"update_id": 502, "channel_post": QUESTION}, None),
    ("a press in an inline message", press(data="x", message=None, inline_message_id="ab"), None),
]


@pytest.mark.parametrize(("name", "data", "expected"), CASES, ids=[c[0] for c in CASES])
def test_updates_read_as_telegram_sent_them(
    name: str, data: dict[str, Any], expected: Inbound | None
) -> None:
    clean = {k: v for k, v in data.get("callback_query", {}).items() if v is not None}
    if "callback_query" in data:
        data = {**data, "callback_query": clean}
    before = copy.deepcopy(data)
    assert to_inbound(RawUpdate(data)) == expected
    assert data == before  # read, never changed
    if not {"message", "callback_query"} & data.keys():
        return  # a kind the bot never asks Telegram for (allowed_updates)
    # python-telegram-bot reads the same people and chats from it
    parsed = Update.de_json(copy.deepcopy(data), Bot("1:x"))
    raw = RawUpdate(data)
    user, chat = parsed.effective_user, parsed.effective_chat
    assert raw.user_key == (user.id if user else chat.id if chat else None)
    assert raw.chat_id == (str(chat.id) if chat else None)


@pytest.mark.parametrize(
    "data",
    [
        {"update_id": 5, "message": "not an object"},
        {"update_id": 5, "message": {"text": "no sender, no chat"}},
        {"update_id": 5, "callback_query": {"id": "1", "from": {"first_name": "no id"}}},
        {"update_id": 5, "message": {"chat": CHAT, "from": {"id": "1001"}, "text": "x"}},
        {"update_id": 5, "message": {"chat": "private", "from": ONA, "text": "x"}},
    ],
)
def test_shapes_no_client_sends_are_ignored_not_fatal(data: dict[str, Any]) -> None:
    assert to_inbound(RawUpdate(data)) is None


@pytest.mark.parametrize("data", [{}, {"update_id": "5"}, {"update_id": True}, {"update_id": None}])
def test_an_update_needs_its_number(data: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="update_id"):
        RawUpdate(data)
