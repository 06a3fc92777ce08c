"""The dialogue on Telegram: python-telegram-bot talks to the fake Bot API over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.telegram.adapter import TelegramChannel
from bot.channels.telegram.updates import RawUpdate
from bot.content.loader import ContentStore
from bot.conversation.router import Dialogue
from bot.db.models import Answer, Participant
from bot.kernel.i18n import Translations
from tests.fakes.bot_api import FakeBotAPI, FakeUser
from tests.helpers import answer_on_telegram, answer_payloads, telegram_channel

ERROR_TEXT = "Atsiprašau, įvyko klaida. Pabandykite dar kartą."


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def channel(
    api: FakeBotAPI, dialogue: Dialogue, translations: Translations
) -> AsyncIterator[TelegramChannel]:
    telegram = telegram_channel(
        api,
        dialogue,
        translations,
        error_text=ERROR_TEXT,
    )
    async with telegram.application:
        yield telegram


async def feed(channel: TelegramChannel, update: dict[str, Any]) -> None:
    """Process one update exactly as polling would hand it over."""
    await channel.application.process_update(RawUpdate(update))


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


def channel_commands_of_features() -> list[tuple[str, str]]:
    """Commands features add for every participant, between the core's head and tail."""
    from bot.conversation.features import build_registry
    from bot.conversation.router import COMMANDS_HEAD, COMMANDS_TAIL

    dialogue_commands = [
        (spec.name, spec.description)
        for spec in build_registry().commands.values()
        if spec.menu and not spec.roles
    ]
    assert all(c not in COMMANDS_HEAD + COMMANDS_TAIL for c in dialogue_commands)
    return dialogue_commands


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
    await answer_on_telegram(lambda u: feed(channel, u), user, lesson.quiz[0])
    edited = user.message(question_message["message_id"])
    assert edited["reply_markup"] is None and "👉 Jūsų atsakymas" in edited["text"]
    assert any("✅ Teisingai!" in m["text"] for m in user.messages)
    assert user.last["text"].startswith("❓ Klausimas 2 iš")
    onboarding_presses = 5
    presses = onboarding_presses + len(answer_payloads(lesson.quiz[0]))
    assert len(api.callback_answers) == presses  # every button press answered
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
    question = content.index.lessons[0].lesson.quiz[0]
    await answer_on_telegram(lambda u: feed(channel, u), user, question)
    final_press = answer_payloads(question)[-1]
    sent_before = len(user.sent)
    await feed(channel, user.callback_update(question_message, final_press, strict=False))
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
    assert [c["command"] for c in api.my_commands("lt")] == [
        "next",
        "progress",
        "language",
        *[name for name, _ in channel_commands_of_features()],
        "cancel",
        "help",
        "start",
    ]
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


STEPS_BEFORE = [
    ("/start", None),
    ("Lietuviškai", "tap"),
    ("Sutinku", "tap"),
    ("Jonas Petraitis", None),
    ("Zarasai", "tap"),
    ("Zarasų krašto muziejus", None),
    ("svetainę", "tap"),
]
WRONG = [
    ("labas", "Kalbą pasirinkite mygtuku"),
    ("sutinku", "paspauskite „Sutinku, tęsti“"),
    ("<b>", "bent dvi raides"),
    ("Vilnius", "Savivaldybę pasirinkite mygtuku"),
    ("x" * 151, "Per ilgas"),
    ("vadovė", "Veiklos sritį pasirinkite mygtuku"),
    ("25:00", "Tokio paros laiko nėra"),
]


@pytest.mark.parametrize("step", range(len(WRONG)))
async def test_a_wrong_input_at_each_onboarding_step_over_telegram(
    api: FakeBotAPI, channel: TelegramChannel, step: int
) -> None:
    user = api.user(600 + step)
    for action, how in STEPS_BEFORE[: step + 1]:
        if how == "tap":
            await tap(channel, user, action)
        else:
            await feed(channel, user.message_update(action))
    question = user.last["text"]
    typed, reason = WRONG[step]
    await feed(channel, user.message_update(typed))
    assert reason in user.messages[-2]["text"]
    assert user.last["text"] == question  # the same question again, with its buttons
    assert refused(api) == []


async def test_progress_over_telegram(
    api: FakeBotAPI, channel: TelegramChannel, content: ContentStore
) -> None:
    user = api.user(700)
    await onboard(channel, user)
    lesson = content.index.lessons[0].lesson
    for question in lesson.quiz:
        await answer_on_telegram(lambda u: feed(channel, u), user, question)
    await tap(channel, user, "Mano pažanga")
    report = user.last["text"]
    total = len(content.index.course.modules[0].lessons)
    assert "Jūsų pažanga" in report and f"1/{total}" in report
    assert "Vidutinis testų rezultatas: 100 %" in report
    assert "Mokotės 1 dieną iš eilės" in report
    assert refused(api) == []
