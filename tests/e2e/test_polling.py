"""End to end: `python -m bot run` as its own process, polling the fake Bot API server."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.fakes.bot_api import FakeBotAPI, FakeUser

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def _button(user: FakeUser, label: str) -> tuple[dict, str]:
    for text, data in user.buttons(user.last):
        if label in text:
            return user.last, data
    raise AssertionError(f"no button {label!r} in {user.last['text']!r}")


async def _step(
    api: FakeBotAPI, user: FakeUser, action: str, expect: str, *, press: bool = False
) -> None:
    before = len(user.sent)
    if press:
        user.press(*_button(user, action))
    else:
        user.send(action)

    def arrived() -> bool:
        return any(expect in (m.get("text") or "") for m in user.sent[before:])

    await api.wait_until(
        arrived, timeout=20, describe=lambda: f"{expect!r} in {user.sent[before:]}"
    )


async def test_a_participant_onboards_and_answers_over_polling(tmp_path: Path) -> None:
    async with FakeBotAPI() as api:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_BASE_URL": api.root_url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}",
            "CONTENT_DIR": str(ROOT / "content"),
            "LOG_LEVEL": "INFO",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            user = api.user(777, first_name="Aušra")
            await _step(api, user, "/start", "Kuria kalba")
            await _step(api, user, "Lietuviškai", "Jūsų duomenys", press=True)
            await _step(api, user, "Sutinku", "vardą ir pavardę", press=True)
            await _step(api, user, "Aušra Kazlauskienė", "savivaldybėje")
            await _step(api, user, "Anykščiai", "įstaigoje", press=True)
            await _step(api, user, "Anykščių kultūros centras", "veiklos sritis")
            await _step(api, user, "Organizuoju", "Kada", press=True)
            await _step(api, user, "08:00", "Klausimas 1 iš", press=True)
            # The first question is multiple choice: tick one option, then submit.
            question = user.last
            _label, toggle = user.buttons(question)[0]
            user.press(question, toggle)

            def ticked() -> bool:
                return any(t.startswith("☑") for t, _ in user.buttons(question))

            await api.wait_until(ticked, timeout=20, describe="no option ticked")
            await _step(api, user, "Pateikti", "Klausimas 2 iš", press=True)
            assert user.message(question["message_id"])["reply_markup"] is None
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
        log = stderr.decode()
        assert process.returncode == 0, log
        assert api.token not in log and "Aušra" not in log
        assert "update channel=telegram" in log and "outcome=ok" in log
        # At shutdown PTB confirms the offset with a last getUpdates, which supersedes the
        # abandoned long poll: Telegram answers that one 409. Nothing else may be refused.
        refused = [(c.method, c.status) for c in api.calls if c.status >= 400]
        assert refused in ([], [("getupdates", 409)]), refused
