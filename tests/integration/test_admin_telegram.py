"""The coordinator's chart and export files arrive on Telegram as a photo and a document."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from openpyxl import load_workbook
from telegram import Update

from bot.channels.telegram.adapter import TelegramChannel
from bot.content.loader import ContentStore
from bot.conversation.features import build_registry
from bot.conversation.router import Dialogue
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
    await channel.application.process_update(Update.de_json(update, channel.application.bot))


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
