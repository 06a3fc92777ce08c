"""Telegram Mini App initData, checked exactly as Telegram documents it
(https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app):

secret_key = HMAC_SHA256(key="WebAppData", msg=bot_token);
hash = hex(HMAC_SHA256(key=secret_key, msg=data_check_string)), where data_check_string is
every received field but `hash`, as "key=value", sorted by key, joined by "\\n"."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

MAX_AGE = timedelta(days=1)


@dataclass(frozen=True)
class WebAppUser:
    """The Telegram user a valid initData names."""

    user_id: int
    language_code: str | None
    auth_date: datetime


def secret_key(bot_token: str) -> bytes:
    """HMAC_SHA256 of the bot token with the key "WebAppData"."""
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    """Every field but `hash`, as key=value lines sorted by key."""
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def sign(fields: dict[str, str], bot_token: str) -> str:
    """The hash Telegram puts into initData for these fields (tests and the fake use it too)."""
    message = data_check_string(fields).encode()
    return hmac.new(secret_key(bot_token), message, hashlib.sha256).hexdigest()


def verify(
    init_data: str, bot_token: str, now: datetime, max_age: timedelta = MAX_AGE
) -> WebAppUser | None:
    """The user of a genuine, fresh initData string; None if anything is off (forged, tampered,
    signed by another bot, older than `max_age`, from the future, or without a user)."""
    if not init_data or len(init_data) > 10_000:
        return None
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return None
    fields = dict(pairs)
    if len(fields) != len(pairs):  # a key given twice
        return None
    given = fields.get("hash", "")
    if not given or not hmac.compare_digest(sign(fields, bot_token), given):
        return None
    try:
        auth_date = datetime.fromtimestamp(int(fields.get("auth_date", "")), UTC)
        user = json.loads(fields.get("user", ""))
        user_id = int(user["id"])
    except (ValueError, TypeError, KeyError, OverflowError, OSError):
        return None
    if auth_date > now + timedelta(minutes=5) or now - auth_date > max_age:
        return None
    language = user.get("language_code")
    return WebAppUser(user_id, language if isinstance(language, str) else None, auth_date)
