"""The dashboard's address and sign-in settings."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.config import Settings


def test_the_dashboard_address_falls_back_to_the_webhook_then_the_local_port() -> None:
    assert Settings(_env_file=None).dashboard_url == "http://127.0.0.1:8080"
    assert Settings(_env_file=None, host="0.0.0.0", port=9000).dashboard_url == (
        "http://127.0.0.1:9000"
    )
    webhook = Settings(_env_file=None, webhook_base_url="https://coach.example.org/")
    assert webhook.dashboard_url == "https://coach.example.org"
    own = Settings(
        _env_file=None,
        webhook_base_url="https://coach.example.org",
        public_base_url="https://board.example.org/",
    )
    assert own.dashboard_url == "https://board.example.org"
    assert Settings(_env_file=None, public_base_url=" ").dashboard_url == "http://127.0.0.1:8080"


def test_bad_dashboard_settings_are_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, public_base_url="coach.example.org")
    with pytest.raises(ValidationError):
        Settings(_env_file=None, dashboard_session_hours=0)
    with pytest.raises(ValidationError):
        Settings(_env_file=None, dashboard_link_minutes=0)
