"""Webhook and Messenger settings: validated, and every secret kept out of the logs."""

from __future__ import annotations

import logging

import pytest
from pydantic import ValidationError

from bot.config import Settings
from bot.logs import RedactSecrets


def test_secrets_are_hidden_and_redacted_from_log_lines() -> None:
    settings = Settings(
        _env_file=None,
        telegram_bot_token="123:TOKEN-abc",
        webhook_secret="hook-secret-1",
        messenger_app_secret="app-secret-2",
        messenger_verify_token="verify-token-3",
        messenger_page_access_token="page-token-4",
    )
    assert settings.messenger_enabled
    secrets = settings.secrets()
    assert all(secret not in repr(settings) for secret in secrets)
    record = logging.LogRecord("x", logging.INFO, "", 0, "%s", (" ".join(secrets),), None)
    RedactSecrets(secrets).filter(record)
    assert record.getMessage() == " ".join(["***"] * 5)


@pytest.mark.parametrize(
    ("name", "value"),
    [("webhook_base_url", "http://coach.example.org"), ("webhook_secret", "no spaces allowed")],
)
def test_wrong_webhook_settings_are_refused(name: str, value: str) -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, **{name: value})


def test_blank_messenger_settings_leave_messenger_off() -> None:
    settings = Settings(_env_file=None, messenger_app_secret=" ", webhook_base_url="")
    assert not settings.messenger_enabled and settings.webhook_base_url is None
