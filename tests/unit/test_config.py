"""Settings are read from the environment, validated, and built when asked, not at import."""

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import Settings


def test_defaults_run_on_sqlite_in_lithuanian(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "TELEGRAM_BOT_TOKEN", "DEFAULT_LANGUAGE", "TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.database_url.startswith("sqlite+aiosqlite")
    assert settings.default_language == "lt"
    assert settings.timezone == "Europe/Vilnius"
    assert settings.telegram_bot_token is None


def test_admin_ids_and_secret_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", "11, 22;33")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:SECRET")
    settings = Settings(_env_file=None)
    assert settings.admin_telegram_ids == {11, 22, 33}
    assert "SECRET" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TIMEZONE", "Mars/Olympus"),
        ("DEFAULT_LANGUAGE", "de"),
        ("ADMIN_TELEGRAM_IDS", "alice"),
        ("TELEGRAM_API_BASE_URL", "api.telegram.org"),
    ],
)
def test_wrong_settings_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings(_env_file=None)


def test_every_setting_is_documented_in_env_example() -> None:
    """Whoever runs the bot finds each setting, with its explanation, in .env.example."""
    text = (Path(__file__).resolve().parents[2] / ".env.example").read_text(encoding="utf-8")
    missing = [
        name.upper()
        for name in Settings.model_fields
        if not re.search(rf"^#?\s*{name.upper()}=", text, re.MULTILINE)
    ]
    assert missing == []
