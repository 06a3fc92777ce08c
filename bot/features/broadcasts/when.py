"""A send time typed by a trainer, in the course's time zone: pure, no I/O."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.profile import InvalidAnswer

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T]+(\d{1,2})[:.](\d{2})$")
_DOTTED = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})\s+(\d{1,2})[:.](\d{2})$")
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")
FURTHEST = timedelta(days=90)


def parse_send_time(raw: str, now: datetime, zone: ZoneInfo) -> datetime:
    """A moment typed as "2026-12-01 09:30", "1.12.2026 9:30" or "9:30" (today), read in
    `zone`; returned aware (UTC). Reasons: "when_format", "when_invalid" (no such day or
    hour), "when_past" (already gone), "when_far" (more than 90 days ahead)."""
    text = " ".join(raw.split())
    today = now.astimezone(zone).date()
    iso, dotted, clock = _ISO.match(text), _DOTTED.match(text), _TIME.match(text)
    if iso:
        year, month, day, hour, minute = (int(part) for part in iso.groups())
    elif dotted:
        day, month, year, hour, minute = (int(part) for part in dotted.groups())
    elif clock:
        year, month, day = today.year, today.month, today.day
        hour, minute = (int(part) for part in clock.groups())
    else:
        raise InvalidAnswer("when_format")
    try:
        moment = datetime.combine(date(year, month, day), time(hour, minute), tzinfo=zone)
    except ValueError:
        raise InvalidAnswer("when_invalid") from None
    if moment <= now:
        raise InvalidAnswer("when_past")
    if moment - now > FURTHEST:
        raise InvalidAnswer("when_far")
    return moment.astimezone(ZoneInfo("UTC"))
