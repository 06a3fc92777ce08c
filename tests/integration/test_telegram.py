"""The dialogue on Telegram: python-telegram-bot talks to the fake Bot API over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update

from bot.app import command_texts
from bot.channels.telegram import TelegramChannel
from bot.content.loader import ContentStore
from bot.db.models import Answer, Participant
from bot.dialogue.router import Dialogue
from bot.i18n import Translations
from tests.fakes.bot_api import FakeBotAPI, FakeUser

ERROR_TEXT = "Atsiprašau, man kažkas nepavyko. Pabandykite dar kartą."


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def channel(
    api: FakeBotAPI, dialogue: Dialogue, translations: Translations
) -> AsyncIterator[TelegramChannel]:
    telegram = TelegramChannel(
        dialogue,
        token=api.token,
        api_base_url=api.root_url,
        commands=command_texts(translations),
        default_language="lt",
        error_text=ERROR_TEXT,
    )
    async with telegram.application:
        yield telegram


async def feed(channel: TelegramChannel, update: dict[str, Any]) -> None:
    """Process one update exactly as polling would hand it over."""
    bot = channel.application.bot
    await channel.application.process_update(Update.de_json(update, bot))


def button(user: FakeUser, label: str) -> tuple[dict[str, Any], str]:
    """The latest message with a button whose label contains `label`, and its data."""
    for message in reversed(user.messages):
        for text, data in user.buttons(message):
            if label in text:
                return message, data
    raise AssertionError(f"no button {label!r}")


async def tap(channel: TelegramChannel, user: FakeUser, label: str) -> None:
    message, data = button(user, label)
    await feed(channel, user.callback_update(message, data))


async def onboard(channel: TelegramChannel, user: FakeUser) -> None:
    await feed(channel, user.message_update("/start"))
    await tap(channel, user, "Lietuviškai")
    await tap(channel, user, "Sutinku")
    await feed(channel, user.message_update("Jonas Petraitis"))
    await tap(channel, user, "Zarasai")
    await feed(channel, user.message_update("Zarasų krašto muziejus"))
    await tap(channel, user, "svetainę")
    await tap(channel, user, "17:00")


def refused(api: FakeBotAPI) -> list[str]:
    return [f"{c.method}: {c.description}" for c in api.calls if c.status >= 400]


async def test_onboarding_and_a_quiz_answer_over_the_bot_api(
    api: FakeBotAPI,
    channel: TelegramChannel,
    content: ContentStore,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    user = api.user(501, first_name="Jonas")
    await onboard(channel, user)
    lesson = content.index.lessons[0].lesson
    texts = [m["text"] for m in user.messages]
    assert any(lesson.title["lt"] in t for t in texts)
    question_message = user.last
    assert question_message["text"].startswith("❓ Klausimas 1 iš")
    answer_button = next(
        d
        for _, d in user.buttons(question_message)
        if d.endswith(":" + lesson.quiz[0].correct_option.id)
    )
    await feed(channel, user.callback_update(question_message, answer_button))
    edited = user.message(question_message["message_id"])
    assert edited["reply_markup"] is None and "👉 Jūsų atsakymas" in edited["text"]
    assert any("✅ Teisingai!" in m["text"] for m in user.messages)
    assert user.last["text"].startswith("❓ Klausimas 2 iš")
    assert len(api.callback_answers) == 6  # every button press answered
    assert refused(api) == []
    async with sessions() as session:
        saved = await session.scalar(select(Participant))
        assert saved is not None and saved.municipality == "zarasai" and saved.role == "web"


async def test_a_stale_button_is_answered_politely_and_not_counted(
    api: FakeBotAPI,
    channel: TelegramChannel,
    content: ContentStore,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    user = api.user(502)
    await onboard(channel, user)
    question_message = user.last
    _, data = user.buttons(question_message)[0]
    await feed(channel, user.callback_update(question_message, data))
    sent_before = len(user.sent)
    await feed(channel, user.callback_update(question_message, data, strict=False))
    assert api.callback_answers[-1].text == "Į šį klausimą jau atsakėte."
    assert len(user.sent) == sent_before
    async with sessions() as session:
        assert await session.scalar(select(func.count(Answer.id))) == 1


async def test_the_same_update_twice_is_handled_once(
    api: FakeBotAPI, channel: TelegramChannel, sessions: async_sessionmaker[AsyncSession]
) -> None:
    user = api.user(503)
    update = user.message_update("/start")
    await feed(channel, update)
    replies = len(user.sent)
    await feed(channel, update)
    assert len(user.sent) == replies == 1
    async with sessions() as session:
        assert await session.scalar(select(func.count(Participant.id))) == 1


async def test_a_failed_send_is_reported_to_the_person(
    api: FakeBotAPI, channel: TelegramChannel
) -> None:
    user = api.user(504)
    api.fail_next("sendMessage", status=400, description="Bad Request: message is too long")
    await feed(channel, user.message_update("/start"))
    assert [m["text"] for m in user.messages] == [ERROR_TEXT]


async def test_commands_are_published_in_both_languages_and_a_refusal_is_not_fatal(
    api: FakeBotAPI, channel: TelegramChannel
) -> None:
    await channel.set_commands()
    assert [c["command"] for c in api.my_commands("lt")] == ["next", "progress", "help", "start"]
    assert api.my_commands("en")[0]["description"] == "get the next lesson now"
    assert api.my_commands("")[0]["description"] == "gauti kitą pamoką dabar"
    api.refuse("setMyCommands", 400, "Bad Request: not allowed here")
    await channel.set_commands()  # logged, not raised


async def test_stickers_and_unsupported_updates(api: FakeBotAPI, channel: TelegramChannel) -> None:
    user = api.user(505)
    await feed(channel, user.message_update("/start"))
    sticker = user.message_update("x")
    message = sticker["message"]
    del message["text"]
    message.pop("entities", None)
    message["sticker"] = {
        "file_id": "s1",
        "file_unique_id": "u1",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    await feed(channel, sticker)
    assert "Čia suprantu tik tekstą ir mygtukus." in user.messages[-2]["text"]
    assert refused(api) == []
