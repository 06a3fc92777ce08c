"""The coordinator's chart and export files, and certificates, arrive on Telegram as a photo
and documents."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import delete, select

from bot.channels.telegram.adapter import TelegramChannel
from bot.channels.telegram.updates import RawUpdate
from bot.content.loader import ContentStore
from bot.conversation.features import build_registry
from bot.conversation.router import Dialogue
from bot.db.models import Answer, Enrollment, Idea, IdeaStep, LessonDelivery, Participant
from bot.kernel.clock import FakeClock
from bot.kernel.context import Deps
from bot.kernel.i18n import Translations
from tests.conftest import VILNIUS
from tests.fakes.bot_api import FakeBotAPI, FakeUser
from tests.helpers import tasks_done, telegram_channel
from tests.integration.admin_data import Sessions
from tests.integration.test_telegram import onboard

ADMIN = 4242


@pytest.fixture
async def telegram(
    sessions: Sessions, content: ContentStore, translations: Translations, clock: FakeClock
) -> AsyncIterator[tuple[FakeBotAPI, TelegramChannel, Dialogue]]:
    deps = Deps(
        content=content, clock=clock, sessions=sessions, admin_telegram_ids=frozenset({ADMIN})
    )
    dialogue = Dialogue(
        sessions, content, translations, clock, VILNIUS, registry=build_registry(), deps=deps
    )
    async with FakeBotAPI() as api:
        channel = telegram_channel(
            api,
            dialogue,
            translations,
            error_text="Klaida",
        )
        async with channel.application:
            yield api, channel, dialogue


async def feed(channel: TelegramChannel, update: dict) -> None:
    await channel.application.process_update(RawUpdate(update))


def tap_data(user: FakeUser, data: str) -> dict:
    message = next(
        m for m in reversed(user.messages) if (any(d == data for _, d in user.buttons(m)))
    )
    return user.callback_update(message, data)


async def test_stats_chart_is_a_photo_and_the_workbook_a_document(
    telegram: tuple[FakeBotAPI, TelegramChannel, Dialogue],
) -> None:
    api, channel, dialogue = telegram
    boss = api.user(ADMIN, "Boss")
    await onboard(channel, boss)
    await feed(channel, boss.message_update("/stats"))
    await tasks_done(dialogue)  # the chart is drawn outside the turn, then sent
    photo = api.calls_of("sendPhoto")[-1]
    assert photo.status == 200
    file_id = photo.result["photo"][-1]["file_id"]
    png = api.file_bytes(file_id)
    assert png is not None and png.startswith(b"\x89PNG\r\n\x1a\n")

    await feed(channel, boss.message_update("/export"))
    await feed(channel, tap_data(boss, "export:xlsx"))
    await tasks_done(dialogue)
    sent = api.calls_of("sendDocument")[-1]
    assert sent.status == 200
    document = sent.result["document"]
    assert document["file_name"].endswith(".xlsx")
    data = api.file_bytes(document["file_id"])
    assert data is not None
    book = load_workbook(io.BytesIO(data))
    people = list(book["Dalyviai"].iter_rows(values_only=True))
    assert people[1][1] == "Jonas Petraitis" and people[1][2] == "Zarasai"
    assert people[1][3] == "Zarasų krašto muziejus"
    edits = [c.params.get("text") for c in api.calls_of("editMessageText")]
    assert edits[-1] == "⏳ Ruošiu: 📊 Excel darbaknygė (XLSX)… Failą atsiųsiu čia."
    assert boss.last["text"] == "✅ Išsiųsta: 📊 Excel darbaknygė (XLSX)."


async def test_a_certificate_reaches_telegram_as_a_pdf_even_after_a_502(
    telegram: tuple[FakeBotAPI, TelegramChannel, Dialogue],
    sessions: Sessions,
    content: ContentStore,
    clock: FakeClock,
) -> None:
    api, channel, dialogue = telegram
    learner = api.user(5151, "Jonas")
    await onboard(channel, learner)
    async with sessions() as session, session.begin():
        person = await session.scalar(select(Participant))
        assert person is not None
        enrollment = await session.scalar(
            select(Enrollment).where(Enrollment.participant_id == person.id)
        )
        if enrollment is None:
            enrollment = Enrollment(
                participant_id=person.id, course_id=content.index.course.id, started_at=clock.now()
            )
            session.add(enrollment)
            await session.flush()
        await session.execute(
            delete(LessonDelivery).where(LessonDelivery.enrollment_id == enrollment.id)
        )
        for module in content.index.course.modules:
            for lesson in module.lessons:
                session.add(
                    LessonDelivery(
                        enrollment_id=enrollment.id,
                        lesson_id=lesson.id,
                        delivered_at=clock.now(),
                        completed_at=clock.now(),
                    )
                )
                session.add_all(
                    Answer(enrollment_id=enrollment.id, lesson_id=lesson.id,
                           question_id=question.id, option_id="a", is_correct=True,
                           answered_at=clock.now())
                    for question in lesson.quiz
                    if question.options
                )  # fmt: skip
        idea = Idea(participant_id=person.id, title="Renginių kalendorius", status="started",
                    created_at=clock.now())  # fmt: skip
        idea.steps.append(IdeaStep(position=1, text="Surinkti datas", done_at=clock.now()))
        session.add(idea)
    api.fail_next("sendDocument", status=502, description="Bad Gateway")
    await feed(channel, learner.message_update("/certificate"))
    assert "Sveikiname baigus kursus" in learner.last["text"]
    await tasks_done(dialogue)
    assert api.calls_of("sendDocument")[-1].status == 502  # owed, not lost
    clock.advance(timedelta(seconds=10))
    await dialogue.outbox.send_due()
    sent = [c for c in api.calls_of("sendDocument") if c.status == 200]
    assert len(sent) == 1  # once, after the retry
    document = sent[0].result["document"]
    assert document["file_name"].startswith("pazymejimas-KK-")
    data = api.file_bytes(document["file_id"])
    assert data is not None and data.startswith(b"%PDF-")
    text = " ".join(PdfReader(io.BytesIO(data)).pages[0].extract_text().split())
    assert "Jonas Petraitis" in text and "Zarasų krašto muziejus, Zarasai" in text
