"""Every question type, the module reflection and the lesson picture, on a small fixture
course; plus language switching and onboarding buttons that belong to their step."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.console.adapter import ConsoleChannel
from bot.content.loader import ContentStore
from bot.conversation.router import Dialogue
from bot.db.models import Answer, Participant, Reflection
from bot.kernel.clock import FakeClock
from bot.kernel.i18n import Translations
from bot.kernel.messages import Inbound, InboundKind
from tests.conftest import VILNIUS
from tests.integration.test_dialogue_console import onboard, press

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "course"
Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
def mini(sessions: Sessions, translations: Translations, clock: FakeClock) -> Dialogue:
    return Dialogue(sessions, ContentStore(FIXTURE), translations, clock, VILNIUS)


async def answers(sessions: Sessions) -> dict[str, Answer]:
    async with sessions() as session:
        return {a.question_id: a for a in await session.scalars(select(Answer))}


async def test_every_question_type_and_the_module_reflection(
    mini: Dialogue, sessions: Sessions
) -> None:
    chat = ConsoleChannel(mini)
    first = await onboard(chat)
    assert "[picture: https://example.org/picture.png]" in first
    assert "Labas & sveiki" in first  # content HTML rendered, entity kept

    single = await chat.send(press(chat, "Šis"))
    assert "Teisingai!" in single and "Pažymėkite visus tinkamus atsakymus" in single
    boxes = ["☐ Pirmas", "☐ Antras", "☐ Trečias", "☐ Ketvirtas"]
    assert sorted(chat.options[:-1]) == sorted(boxes) and chat.options[-1] == "✅ Pateikti"

    assert "Pirmiausia pažymėkite bent vieną" in await chat.send(press(chat, "Pateikti"))
    await chat.send(press(chat, "Pirmas"))
    assert "☑ Pirmas" in chat.options and "☐ Pirmas" not in chat.options
    await chat.send(press(chat, "Trečias"))
    await chat.send(press(chat, "Trečias"))  # untick
    assert {"☑ Pirmas", "☐ Antras", "☐ Trečias"} <= set(chat.options)
    multi = await chat.send(press(chat, "Pateikti"))
    assert "Ne visai." in multi and "Teisingas atsakymas: Pirmas, Antras" in multi
    assert "Atsakymą parašykite viena žinute" in multi and chat.options == []

    assert "bent kelis žodžius" in await chat.send("?")
    opened = await chat.send("Pridėsiu renginių kalendorių <b>pagrindiniame</b> puslapyje")
    assert "atsakymas išsaugotas" in opened and "Puiki pradžia." in opened
    assert "Teisingų atsakymų: 1 iš 2" in opened

    stored = await answers(sessions)
    assert stored["t1-a-single"].is_correct is True
    assert (stored["t1-a-multi"].option_id, stored["t1-a-multi"].is_correct) == ("a", False)
    assert stored["t1-a-open"].text == "Pridėsiu renginių kalendorių <b>pagrindiniame</b> puslapyje"
    assert stored["t1-a-open"].is_correct is None

    await chat.send(press(chat, "Kita pamoka"))
    last = await chat.send(press(chat, "Tiesa"))
    assert "Baigėte modulį „Bandomasis modulis“" in last and "Kokią vieną idėją" in last
    saved = await chat.send("Atnaujinsiu svetainės meniu")
    assert "apmąstymas išsaugotas" in saved
    async with sessions() as session:
        reflection = await session.scalar(select(Reflection))
    assert reflection is not None and reflection.module_id == "t1"
    assert reflection.text == "Atnaujinsiu svetainės meniu"

    long_options = await chat.send(press(chat, "Kita pamoka"))
    assert "A — Labai ilgas atsakymo variantas" in long_options and chat.options == ["A", "B"]


async def test_a_reflection_can_be_skipped_and_a_ticked_answer_survives_a_restart(
    mini: Dialogue, sessions: Sessions, translations: Translations, clock: FakeClock
) -> None:
    chat = ConsoleChannel(mini)
    await onboard(chat)
    await chat.send(press(chat, "Šis"))
    await chat.send(press(chat, "Antras"))
    restarted = ConsoleChannel(
        Dialogue(sessions, ContentStore(FIXTURE), translations, clock, VILNIUS)
    )
    resumed = await restarted.send("/start")
    assert "☑ Antras" in resumed
    await restarted.send(press(restarted, "Pirmas"))
    assert "Teisingai!" in await restarted.send(press(restarted, "Pateikti"))
    await restarted.send("Mano idėja")
    await restarted.send(press(restarted, "Kita pamoka"))
    await restarted.send(press(restarted, "Tiesa"))
    assert "Keliaujame toliau" in await restarted.send(press(restarted, "praleisti"))
    assert (
        "Šis mygtukas nebegalioja"
        in (await mini.handle(Inbound("console", "local", InboundKind.BUTTON, payload="r:skip")))
        .replies[0]
        .text
    )  # type: ignore[union-attr]


async def test_a_lesson_whose_first_question_is_open_is_shown_again(mini: Dialogue) -> None:
    chat = ConsoleChannel(mini)
    await onboard(chat)
    again = await chat.send("/next")
    assert "Pirmiausia atsakykite" in again and "Pirmoji pamoka" in again
    await chat.send(press(chat, "Šis"))
    assert "Pirmoji pamoka" not in await chat.send("/next")


async def test_language_can_be_changed_after_onboarding(mini: Dialogue, sessions: Sessions) -> None:
    chat = ConsoleChannel(mini)
    await onboard(chat)
    await chat.send("/language")
    assert "I will speak English" in await chat.send(press(chat, "English"))
    assert "Your progress" in await chat.send("/progress")
    async with sessions() as session:
        saved = await session.scalar(select(Participant))
    assert saved is not None and saved.language == "en"


async def test_an_old_back_button_only_works_on_its_own_step(
    mini: Dialogue, sessions: Sessions
) -> None:
    chat = ConsoleChannel(mini)
    await chat.send("/start")
    for answer in ("1", "1", "Ona Onaitė"):
        await chat.send(answer)
    old_back = Inbound("console", "local", InboundKind.BUTTON, payload="back:name")
    turn = await mini.handle(old_back)
    assert turn.replies[0].text == "Šis mygtukas nebegalioja."  # type: ignore[union-attr]
    current_back = Inbound("console", "local", InboundKind.BUTTON, payload="back:municipality")
    turn = await mini.handle(current_back)
    assert "vardą ir pavardę" in turn.replies[-1].text  # type: ignore[union-attr]
