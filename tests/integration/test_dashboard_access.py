"""/dashboard in the chat: a one-time link that signs in, and on Telegram a Mini App button."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.channels.console.adapter import ConsoleChannel
from bot.channels.telegram.adapter import TelegramChannel
from bot.channels.telegram.updates import RawUpdate
from bot.content.loader import ContentStore
from bot.conversation.features import build_registry
from bot.conversation.router import Dialogue
from bot.kernel.clock import FakeClock
from bot.kernel.context import Deps
from bot.kernel.i18n import Translations
from tests.conftest import VILNIUS
from tests.e2e.test_cli import _run
from tests.fakes.bot_api import FakeBotAPI
from tests.helpers import telegram_channel
from tests.integration.admin_data import add_person
from tests.integration.dashboard_data import Sessions, web_app
from tests.integration.test_telegram import onboard

LINK = re.compile(r"(https?://[^\s<]+)?/dashboard/login/([A-Za-z0-9_-]+)")
LOCAL = "http://127.0.0.1:8080"
PUBLIC = "https://coach.example.org"
ADMIN = 4242


def dialogue_with(
    sessions: Sessions,
    content: ContentStore,
    translations: Translations,
    clock: FakeClock,
    url: str,
) -> Dialogue:
    deps = Deps(
        content=content,
        clock=clock,
        sessions=sessions,
        admin_telegram_ids=frozenset({ADMIN}),
        dashboard_url=url,
    )
    return Dialogue(
        sessions, content, translations, clock, VILNIUS, registry=build_registry(), deps=deps
    )


async def test_the_terminal_prints_a_link_that_signs_in(
    sessions: Sessions, content: ContentStore, translations: Translations, clock: FakeClock
) -> None:
    async with sessions() as session, session.begin():
        await add_person(session, "tom", clock.now(), name="Tomas", grants=("trainer",))
        await add_person(session, "ruta", clock.now(), name="Rūta")
    dialogue = dialogue_with(sessions, content, translations, clock, LOCAL)
    trainer = ConsoleChannel(dialogue, user_id="tom")
    reply = await trainer.send("/dashboard")
    found = LINK.search(reply)
    assert found and found.group(1) == LOCAL, reply
    assert "Kursų skydelis" in reply and "10 min." in reply
    assert trainer.options == []  # no Mini App in a terminal
    learner = ConsoleChannel(dialogue, user_id="ruta")
    assert (await learner.send("/dashboard")).startswith("Komandos /dashboard nežinau.")
    transport = httpx.ASGITransport(app=web_app(sessions, content, translations, clock))
    async with httpx.AsyncClient(transport=transport, base_url=LOCAL) as client:
        signed = await client.post(f"/dashboard/login/{found.group(2)}")
        assert signed.status_code == 303
        assert (await client.get("/dashboard/participants")).status_code == 200
        # a second /dashboard makes the first link useless
        await trainer.send("/dashboard")
        client.cookies.clear()
        assert (await client.post(f"/dashboard/login/{found.group(2)}")).status_code == 403


@pytest.fixture
async def telegram(
    sessions: Sessions, content: ContentStore, translations: Translations, clock: FakeClock
) -> AsyncIterator[tuple[FakeBotAPI, TelegramChannel]]:
    dialogue = dialogue_with(sessions, content, translations, clock, PUBLIC)
    async with FakeBotAPI() as api:
        channel = telegram_channel(api, dialogue, translations)
        async with channel.application:
            yield api, channel


async def test_telegram_gets_a_mini_app_button(
    telegram: tuple[FakeBotAPI, TelegramChannel],
) -> None:
    api, channel = telegram
    boss = api.user(ADMIN, "Boss")
    await onboard(channel, boss)
    await channel.application.process_update(RawUpdate(boss.message_update("/dashboard")))
    call = api.calls_of("sendMessage")[-1]
    assert call.status == 200
    markup = call.params["reply_markup"]
    markup = json.loads(markup) if isinstance(markup, str) else markup
    (button,) = markup["inline_keyboard"][0]
    assert button["web_app"] == {"url": f"{PUBLIC}/dashboard/app"}
    assert f"{PUBLIC}/dashboard/login/" in boss.last["text"]


def test_the_cli_prints_a_link_for_someone_with_a_role(tmp_path: Path) -> None:
    assert _run(["migrate"], tmp_path).returncode == 0
    database = sqlite3.connect(tmp_path / "cli.db")
    now = "2026-11-24 07:00:00.000000"
    database.execute(
        "INSERT INTO participants (id, language, name, created_at, last_seen_at, onboarded_at)"
        " VALUES (7, 'lt', 'Ona', ?, ?, ?)",
        (now, now, now),
    )
    database.execute(
        "INSERT INTO participants (id, language, name, created_at, last_seen_at)"
        " VALUES (8, 'lt', 'Jonas', ?, ?)",
        (now, now),
    )
    database.execute(
        "INSERT INTO role_grants (participant_id, role, granted_at) VALUES (7, 'coordinator', ?)",
        (now,),
    )
    database.commit()
    made = _run(["dashboard-link", "--participant", "7"], tmp_path)
    assert made.returncode == 0, made.stderr
    found = LINK.search(made.stdout)
    assert found and found.group(1) == LOCAL, made.stdout
    (stored,) = database.execute("SELECT token_hash FROM dashboard_login_tokens").fetchone()
    assert found.group(2) not in stored
    refused = _run(["dashboard-link", "--participant", "8"], tmp_path)
    assert refused.returncode == 2 and "no trainer, coordinator or admin role" in refused.stderr
    missing = _run(["dashboard-link", "--participant", "99"], tmp_path)
    assert missing.returncode == 2
