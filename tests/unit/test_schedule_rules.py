"""Schedule maths in Vilnius: DST changes, public holidays, weekends and the window's edges."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bot.domain.profile import InvalidAnswer, parse_time
from bot.domain.timetable import ScheduleRules, parse_lesson_days
from tests.conftest import VILNIUS

EVERY_DAY = frozenset(range(1, 8))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_spring_dst_change_keeps_the_local_lesson_time() -> None:
    rules = ScheduleRules(VILNIUS, EVERY_DAY)
    # Last Sunday of March 2026 is the 29th: 09:00 is 07:00 UTC before, 06:00 UTC after.
    assert rules.slots(date(2026, 3, 28), time(9)) == [utc(2026, 3, 28, 7)]
    assert rules.slots(date(2026, 3, 29), time(9)) == [utc(2026, 3, 29, 6)]
    after_saturday = rules.next_lesson_after(utc(2026, 3, 28, 7, 0, 20), time(9))
    assert after_saturday.astimezone(VILNIUS).replace(tzinfo=None) == datetime(2026, 3, 29, 9)


def test_autumn_dst_change_keeps_the_local_lesson_time() -> None:
    rules = ScheduleRules(VILNIUS, EVERY_DAY)
    # Last Sunday of October 2026 is the 25th: 09:00 is 06:00 UTC before, 07:00 UTC after.
    assert rules.slots(date(2026, 10, 24), time(9)) == [utc(2026, 10, 24, 6)]
    assert rules.next_lesson_after(utc(2026, 10, 24, 6), time(9)) == utc(2026, 10, 25, 7)


def test_a_time_skipped_by_the_clock_change_falls_an_hour_later() -> None:
    rules = ScheduleRules(VILNIUS, EVERY_DAY, window_start=time(0), window_end=time(23, 59))
    (slot,) = rules.slots(date(2026, 3, 29), time(3, 30))
    assert slot.astimezone(VILNIUS).time() == time(4, 30)


def test_weekends_and_public_holidays_are_skipped() -> None:
    rules = ScheduleRules(VILNIUS)
    # Friday 2026-11-27 -> Monday 2026-11-30.
    assert rules.next_lesson_after(utc(2026, 11, 27, 7), time(9)) == utc(2026, 11, 30, 7)
    # Wednesday 2026-12-23 -> Christmas Eve and Christmas Day are holidays -> Monday the 28th.
    assert rules.next_lesson_after(utc(2026, 12, 23, 7), time(9)) == utc(2026, 12, 28, 7)
    assert not rules.is_lesson_day(date(2026, 2, 16))  # Restoration of the State Day
    assert rules.is_lesson_day(date(2026, 2, 17))


def test_the_cohort_start_date_and_lesson_days_count() -> None:
    rules = ScheduleRules(VILNIUS, parse_lesson_days("135"), start_date=date(2026, 12, 2))
    assert rules.first_slot_from(utc(2026, 11, 30, 0), time(9)) == utc(2026, 12, 2, 7)
    assert rules.next_lesson_after(utc(2026, 12, 2, 7), time(9)) == utc(2026, 12, 4, 7)
    with pytest.raises(ValueError):
        parse_lesson_days("189")


def test_two_lessons_a_day_share_the_window() -> None:
    rules = ScheduleRules(VILNIUS, lessons_per_day=2)
    first, second = rules.slots(date(2026, 11, 24), time(8))
    assert second.astimezone(VILNIUS).time() == time(14)
    assert rules.next_lesson_after(first, time(8)) == second
    assert rules.next_lesson_after(second, time(8)) == utc(2026, 11, 25, 6)


def test_the_window_edges() -> None:
    rules = ScheduleRules(VILNIUS)
    assert rules.check_time(time(8)) == time(8)
    assert rules.check_time(time(20)) == time(20)
    for outside in (time(7, 59), time(20, 1)):
        with pytest.raises(InvalidAnswer) as error:
            rules.check_time(outside)
        assert error.value.reason == "outside_window"
    # Tuesday 2026-11-24 in Vilnius (UTC+2): 08:00 and 20:00 inside, a minute out is not.
    assert rules.in_window(utc(2026, 11, 24, 6, 0))
    assert not rules.in_window(utc(2026, 11, 24, 5, 59))
    assert rules.in_window(utc(2026, 11, 24, 18, 0))
    assert not rules.in_window(utc(2026, 11, 24, 18, 1))
    assert rules.lesson_time(time(7, 30)) == time(8)  # an onboarding time before the window
    assert rules.lesson_time(None) == time(8)


def test_times_typed_badly_are_refused_with_their_reason() -> None:
    for typed, reason in (("7:5", "time_format"), ("25:00", "time_range"), ("9:60", "time_range")):
        with pytest.raises(InvalidAnswer) as error:
            parse_time(typed)
        assert error.value.reason == reason
