"""Whether a participant keeps pace with the course: pure, no I/O.

The plain rule used by /stats, /participants and the exports: the course expects the cohort's
lessons per lesson day (by default one, Monday to Friday; never on a Lithuanian public holiday)
from the participant's start (their cohort's start date, else the day they enrolled) up to
yesterday, never more than the course has. Someone who completed fewer lessons than that is
behind schedule. Today is not counted, so nobody is "behind" in the morning before today's
lesson arrived."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=16)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("LT", years=year))


WEEKDAYS = "12345"  # ISO weekdays with lessons: Monday to Friday


def is_public_holiday(day: date) -> bool:
    """A Lithuanian public holiday (no lessons)."""
    return day in _holidays(day.year)


def is_lesson_day(day: date, weekdays: str = WEEKDAYS) -> bool:
    """One of `weekdays` (ISO numbers as text, "12345") and not a Lithuanian public holiday."""
    return str(day.isoweekday()) in weekdays and day not in _holidays(day.year)


@lru_cache(maxsize=4096)  # a report asks it for every participant; a cohort shares its start
def lesson_days_before(start: date, today: date, weekdays: str = WEEKDAYS) -> int:
    """Lesson days from `start` (included) to `today` (excluded)."""
    days, cursor = 0, start
    while cursor < today:
        days += is_lesson_day(cursor, weekdays)
        cursor += timedelta(days=1)
    return days


def expected_lessons(
    start: date, today: date, total: int, weekdays: str = WEEKDAYS, per_day: int = 1
) -> int:
    """Lessons the schedule expects done by now."""
    return min(lesson_days_before(start, today, weekdays) * per_day, total)


def is_behind(
    done: int, start: date, today: date, total: int, weekdays: str = WEEKDAYS, per_day: int = 1
) -> bool:
    """Whether fewer lessons are completed than the schedule expects."""
    return done < expected_lessons(start, today, total, weekdays, per_day)
