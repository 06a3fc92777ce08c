"""A module's question bank (imported from Moodle GIFT) in spaced review and /review."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.__main__ import main
from bot.channels.console.adapter import ConsoleChannel
from bot.content.loader import ContentStore
from bot.conversation.router import Dialogue
from bot.db.models import ReviewCard
from bot.kernel.clock import FakeClock
from bot.kernel.i18n import Translations
from tests.conftest import VILNIUS
from tests.helpers import answer_in_console
from tests.integration.test_dialogue_console import onboard, press

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
def banked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ContentStore:
    """The small fixture course with a bank for module t1, imported from GIFT."""
    directory = tmp_path / "content"
    shutil.copytree(FIXTURES / "course", directory)
    monkeypatch.setenv("CONTENT_DIR", str(directory))
    gift = FIXTURES / "gift" / "multilang.gift"
    assert main(["content", "import-gift", str(gift), "--module", "t1"]) == 0
    return ContentStore(directory)


async def test_bank_questions_come_to_review_after_the_modules_last_lesson(
    banked: ContentStore, sessions: Sessions, translations: Translations, clock: FakeClock
) -> None:
    bank = banked.index.course.bank("t1")
    assert [q.prompt["lt"] for q in bank] == ["Kur rašyti datą?", "Ar 2 < 3 ir 4 > 3?"]
    chat = ConsoleChannel(Dialogue(sessions, banked, translations, clock, VILNIUS))
    await onboard(chat)
    first, second = banked.index.lessons[0].lesson, banked.index.lessons[1].lesson
    for question in first.quiz:
        await answer_in_console(chat, question)
    assert "Peržiūrų nėra" in await chat.send("/review")
    async with sessions() as session:
        ids = set(await session.scalars(select(ReviewCard.question_id)))
    assert ids == {q.id for q in first.quiz}  # the module is not done: no bank yet

    await chat.send(press(chat, "Kita pamoka"))
    for question in second.quiz:
        await answer_in_console(chat, question)
    await chat.send("/review")
    async with sessions() as session:
        cards = {c.question_id: c for c in await session.scalars(select(ReviewCard))}
    finished = cards[second.quiz[0].id].last_review_at
    assert finished is not None
    assert cards[bank[0].id].reviews == 0 and cards[bank[0].id].last_review_at is None
    assert cards[bank[0].id].due_at == finished + timedelta(days=1)
    assert cards[bank[1].id].due_at == finished + timedelta(days=2)

    clock.set(clock.now() + timedelta(days=1, hours=1))
    prompts = []
    reply = await chat.send("/review")
    while "Peržiūra" in reply and "Peržiūrų nėra" not in reply:
        prompts.append(reply)
        await chat.send(press(chat, "Rodyti"))
        reply = await chat.send(press(chat, "Gerai"))
        reply = reply.split("Įrašyta", 1)[-1]
    assert any("Kur rašyti datą?" in prompt for prompt in prompts)
    assert not any("Ar 2 < 3" in prompt for prompt in prompts)  # tomorrow's
    async with sessions() as session:
        card = await session.scalar(select(ReviewCard).where(ReviewCard.question_id == bank[0].id))
    assert card is not None and card.reviews == 1 and card.due_at > clock.now()
