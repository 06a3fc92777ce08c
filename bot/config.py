"""One Settings object, read from the environment and .env, built once at start and passed down."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SUPPORTED_LANGUAGES = ("lt", "en")


class Settings(BaseSettings):
    """Everything the bot can be told from outside; see .env.example for each setting."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org"
    database_url: str = "sqlite+aiosqlite:///./coach.db"
    # PostgreSQL: connections kept open per process (SQLite always uses one)
    database_pool_size: int = Field(default=15, ge=1, le=100)
    content_dir: Path = Path("content")
    default_language: str = "lt"
    timezone: str = "Europe/Vilnius"
    admin_telegram_ids: Annotated[frozenset[int], NoDecode] = Field(default_factory=frozenset)
    log_level: str = "INFO"
    bot_username: str | None = None
    retention_days: int = Field(default=365, ge=8)
    retention_check_hours: float = Field(default=24, gt=0)
    flood_limit: int = Field(default=20, ge=1)
    flood_window_seconds: float = Field(default=10, gt=0)
    flood_pause_seconds: float = Field(default=60, ge=0)
    # /audit page checks (issue 6): allow private/loopback addresses (tests only), timeout.
    audit_allow_private: bool = False
    audit_timeout_seconds: float = Field(default=10, gt=0)
    idea_prompt_tick_seconds: float = Field(default=60, gt=0)
    # --- webhook mode and Messenger (issue 7) ---
    webhook_base_url: str | None = None
    webhook_secret: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    webhook_max_body_bytes: int = Field(default=1_000_000, ge=1024)
    messenger_app_secret: SecretStr | None = None
    messenger_verify_token: SecretStr | None = None
    messenger_page_access_token: SecretStr | None = None
    messenger_api_base_url: str = "https://graph.facebook.com/v21.0"
    messenger_message_tag: str = "CONFIRMED_EVENT_UPDATE"
    link_code_minutes: int = Field(default=30, ge=1)
    # --- schedule, reminders and the outbox (issue 4) ---
    schedule_tick_seconds: float = Field(default=30, gt=0)
    reminder_delay_hours: float = Field(default=24, gt=0)
    reminder_max: int = Field(default=3, ge=1)
    outbox_interval_seconds: float = Field(default=1, gt=0)
    outbox_rate_per_second: float = Field(default=30, ge=1)
    outbox_chat_interval_seconds: float = Field(default=1, ge=0)
    # --- one road out (issue 13): each channel's pace, leases, tracked tasks ---
    outbox_chat_burst: int = Field(default=3, ge=1)
    messenger_rate_per_second: float = Field(default=40, ge=1)
    outbox_lease_seconds: float = Field(default=15, ge=3)
    task_shutdown_seconds: float = Field(default=20, ge=0)
    # --- the web app's pages: certificate checks (issue 16), the dashboard (issue 17) ---
    # Their public address: certificates' QR codes lead to <it>/verify/<code>, sign-in links and
    # Telegram's Mini App button (https:// only) to <it>/dashboard. Empty: WEBHOOK_BASE_URL.
    public_base_url: str | None = None
    dashboard_session_hours: float = Field(default=8, gt=0, le=24 * 7)
    dashboard_link_minutes: int = Field(default=10, ge=1, le=60)

    @field_validator(
        "telegram_bot_token",
        "webhook_base_url",
        "public_base_url",
        "webhook_secret",
        "messenger_app_secret",
        "messenger_verify_token",
        "messenger_page_access_token",
        mode="before",
    )
    @classmethod
    def _blank_token_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def verify_base_url(self) -> str:
        """Where certificates' QR codes point: PUBLIC_BASE_URL, else WEBHOOK_BASE_URL."""
        return (self.public_base_url or self.webhook_base_url or "").rstrip("/")

    @field_validator("webhook_base_url")
    @classmethod
    def _https_webhook(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError("must start with https:// (Telegram and Messenger require TLS)")
        return value.rstrip("/") if value else value

    @field_validator("public_base_url")
    @classmethod
    def _public_address(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (or http:// on a local network)")
        return value.rstrip("/") if value else value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_characters(cls, value: SecretStr | None) -> SecretStr | None:
        secret = value.get_secret_value() if value is not None else None
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ValueError("1-256 characters: letters, digits, _ and - only")
        return value

    @field_validator("messenger_api_base_url")
    @classmethod
    def _strip_messenger_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("bot_username", mode="before")
    @classmethod
    def _plain_username(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip().removeprefix("@") or None
        return value

    @field_validator("telegram_api_base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in SUPPORTED_LANGUAGES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LANGUAGES)}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _parse_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.replace(";", ",").split(",")]
            try:
                return frozenset(int(part) for part in parts if part)
            except ValueError as error:
                raise ValueError("a comma-separated list of numeric Telegram user ids") from error
        if isinstance(value, int):
            return frozenset({value})
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The course's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def messenger_enabled(self) -> bool:
        """Whether the Messenger settings are complete (app secret, verify and page tokens)."""
        return None not in (
            self.messenger_app_secret,
            self.messenger_verify_token,
            self.messenger_page_access_token,
        )

    @property
    def dashboard_url(self) -> str:
        """Where the dashboard is reached from outside (no trailing slash)."""
        if self.public_base_url:
            return self.public_base_url
        if self.webhook_base_url:
            return self.webhook_base_url
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}"

    def secrets(self) -> list[str]:
        """Every secret value that must never appear in a log line."""
        values = (
            self.telegram_bot_token,
            self.webhook_secret,
            self.messenger_app_secret,
            self.messenger_verify_token,
            self.messenger_page_access_token,
        )
        return [value.get_secret_value() for value in values if value is not None]
