"""Answer options come in an order of each participant's own: shuffled per person and
question, the same every time the question is shown, with feedback following the option."""

from __future__ import annotations

from bot.channels.console.adapter import ConsoleChannel
from bot.conversation.router import Dialogue
from tests.integration.test_dialogue_console import onboard, press
from tests.integration.test_question_types import mini  # noqa: F401  (fixture)


def _labels(chat: ConsoleChannel) -> list[str]:
    return [option.removeprefix("☐ ") for option in chat.options if option.startswith("☐")]


async def test_each_person_sees_their_own_stable_order_and_feedback_follows(
    mini: Dialogue,  # noqa: F811
) -> None:
    orders: dict[str, list[str]] = {}
    for n in range(8):
        chat = ConsoleChannel(mini, user_id=f"person{n}")
        await onboard(chat)
        await chat.send(press(chat, "Šis"))  # the single-choice question, answered right
        orders[chat.user_id] = _labels(chat)  # the multiple-choice question that follows
        assert sorted(orders[chat.user_id]) == ["Antras", "Ketvirtas", "Pirmas", "Trečias"]
    assert len({tuple(order) for order in orders.values()}) > 1  # not everyone's the same

    chat = ConsoleChannel(mini, user_id="person0")
    await chat.send("/start")  # the open question again: the same order as before
    assert _labels(chat) == orders["person0"]
    await chat.send(press(chat, "Trečias"))
    reply = await chat.send(press(chat, "Pateikti"))
    right = ", ".join(label for label in orders["person0"] if label in {"Pirmas", "Antras"})
    assert f"Teisingas atsakymas: {right}" in reply
    assert "Trečias — Netinka." in reply  # the feedback of the option chosen
