"""The first five minutes: the greeting speaks the phone's language, a typed "1" at a
text step is an answer and not the "Back" button, and onboarding ends with the person's name."""

from __future__ import annotations

import pytest

from bot.channels.console.adapter import ConsoleChannel
from bot.conversation.router import Dialogue
from bot.kernel.messages import Inbound, InboundKind, Message
from tests.integration.test_dialogue_console import press
from tests.integration.test_question_types import mini  # noqa: F401  (fixture)


@pytest.mark.parametrize(
    ("language_code", "greeting"),
    [
        ("en-GB", "Hello! 👋 I am Culture Coach"),
        ("lt", "Sveiki! 👋"),
        (None, "Sveiki! 👋"),
        ("de", "Sveiki! 👋"),
    ],
)
async def test_the_greeting_speaks_the_phones_language(
    mini: Dialogue,  # noqa: F811
    language_code: str | None,
    greeting: str,
) -> None:
    turn = await mini.handle(
        Inbound(
            "telegram", "77", InboundKind.TEXT, "/start", update_id="1", language_code=language_code
        )
    )
    first = turn.replies[0]
    assert isinstance(first, Message) and first.text.startswith(greeting)
    labels = [button.label for row in first.buttons for button in row]
    assert labels == ["🇱🇹 Lietuviškai", "🇬🇧 English"]  # the choice of the other is there


async def test_a_typed_1_at_a_text_step_is_a_name_and_back_is_0(
    mini: Dialogue,  # noqa: F811
) -> None:
    chat = ConsoleChannel(mini, user_id="slip")
    await chat.send("/start")
    await chat.send(press(chat, "Lietuviškai"))
    asked = await chat.send("1")  # I agree
    assert chat.options == ["⬅️ Atgal"] and chat.keys() == ["0"]
    assert "[0] ⬅️ Atgal" in asked and "[1]" not in asked
    slipped = await chat.send("1")  # not Back: taken as a (too short) name
    assert "per trump" in slipped.lower()
    back = await chat.send("0")
    assert "privatum" in back.lower() or "duomen" in back.lower()


async def test_onboarding_ends_with_the_persons_name_in_both_languages(
    mini: Dialogue,  # noqa: F811
) -> None:
    for user, language, thanks in (
        ("lt-user", "Lietuviškai", "Ačiū, Rūta Žemaitytė!"),
        ("en-user", "English", "Thank you, Rūta Žemaitytė!"),
    ):
        chat = ConsoleChannel(mini, user_id=user)
        await chat.send("/start")
        await chat.send(press(chat, language))
        await chat.send("1")
        await chat.send("Rūta Žemaitytė")
        await chat.send(press(chat, "Utena"))
        await chat.send("Utenos A. ir M. Miškinių viešoji biblioteka")
        await chat.send("2")
        assert thanks in await chat.send("12:00")
