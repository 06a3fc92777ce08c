"""Cohort rules: names, start dates typed by a trainer, invite codes. Pure, no I/O."""

from __future__ import annotations

import re
import secrets
import string
from datetime import date

from bot.domain.profile import InvalidAnswer, clean_text

COHORT_NAME_MAX = 100
INVITE_ALPHABET = string.ascii_letters + string.digits
INVITE_LENGTH = 10
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DOTTED = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$")


def validate_cohort_name(raw: str) -> str:
    """A cohort's name: 2–100 characters, at least two letters or digits, not a command."""
    text = clean_text(raw)
    if text.startswith("/"):
        raise InvalidAnswer("command")
    if sum(ch.isalnum() for ch in text) < 2:
        raise InvalidAnswer("too_short")
    if len(text) > COHORT_NAME_MAX:
        raise InvalidAnswer("too_long")
    return text


def parse_start_date(raw: str, today: date) -> date:
    """A start date typed as 2026-12-01 or 1.12.2026 (also 1/12/2026).

    Reasons: "date_format" (not a date in those forms), "date_invalid" (no such day),
    "date_past" (more than a year ago), "date_far" (more than two years ahead)."""
    text = clean_text(raw)
    iso, dotted = _ISO.match(text), _DOTTED.match(text)
    if iso:
        year, month, day = (int(part) for part in iso.groups())
    elif dotted:
        day, month, year = (int(part) for part in dotted.groups())
    else:
        raise InvalidAnswer("date_format")
    try:
        value = date(year, month, day)
    except ValueError:
        raise InvalidAnswer("date_invalid") from None
    if (today - value).days > 366:
        raise InvalidAnswer("date_past")
    if (value - today).days > 2 * 366:
        raise InvalidAnswer("date_far")
    return value


def new_invite_code() -> str:
    """A fresh, hard-to-guess invite code (fits Telegram's /start parameter: letters, digits)."""
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))


def invite_link(bot_username: str, code: str) -> str | None:
    """t.me/<bot>?start=CODE, or None while the bot's username is unknown."""
    return f"https://t.me/{bot_username}?start={code}" if bot_username else None
