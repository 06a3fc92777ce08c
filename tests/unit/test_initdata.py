"""Telegram Mini App initData: checked exactly as Telegram documents it."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from bot.features.dashboard_access.initdata import verify

TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"
NOW = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)


def init_data(
    token: str = TOKEN,
    *,
    age: timedelta = timedelta(minutes=1),
    user_id: int = 4242,
    now: datetime = NOW,
    **extra: str,
) -> str:
    """initData as Telegram builds it, signed with the documented algorithm written out here
    independently of the code under test."""
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps({"id": user_id, "first_name": "Rūta", "language_code": "lt"}),
        "auth_date": str(int((now - age).timestamp())),
        **extra,
    }
    check = "\n".join(f"{k}={fields[k]}" for k in sorted(fields))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


def test_a_genuine_init_data_names_its_user() -> None:
    user = verify(init_data(), TOKEN, NOW)
    assert user is not None
    assert user.user_id == 4242 and user.language_code == "lt"


def test_a_tampered_field_is_refused() -> None:
    genuine = init_data()
    tampered = genuine.replace("4242", "4243")
    assert tampered != genuine
    assert verify(tampered, TOKEN, NOW) is None


def test_an_added_field_is_refused() -> None:
    assert verify(init_data() + "&chat_type=private", TOKEN, NOW) is None


def test_a_stale_init_data_is_refused() -> None:
    assert verify(init_data(age=timedelta(hours=23)), TOKEN, NOW) is not None
    assert verify(init_data(age=timedelta(days=1, seconds=1)), TOKEN, NOW) is None
    assert verify(init_data(age=-timedelta(hours=1)), TOKEN, NOW) is None  # from the future


def test_another_bots_signature_is_refused() -> None:
    assert verify(init_data("654321:another-bot-token"), TOKEN, NOW) is None


def test_missing_or_broken_hash_is_refused() -> None:
    without = "&".join(p for p in init_data().split("&") if not p.startswith("hash="))
    assert verify(without, TOKEN, NOW) is None
    assert verify(init_data() + "&hash=00", TOKEN, NOW) is None  # a key given twice
    assert verify("", TOKEN, NOW) is None
    assert verify("%%%", TOKEN, NOW) is None
