"""Schedule maths: lesson days, Lithuanian public holidays, the send window and each person's
lesson time, in the cohort's time zone (DST-safe with zoneinfo). Pure, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.pace import is_public_holiday
from bot.domain.profile import InvalidAnswer

DEFAULT_LESSON_DAYS = "12345"
DEFAULT_WINDOW = (time(8, 0), time(20, 0))
SEARCH_DAYS = 400  # a lesson day is always found within this many days
WEEKDAY_ORDER = "1234567"


def parse_lesson_days(text: str) -> frozenset[int]:
    """ISO weekdays from a string like "12345" (Monday to Friday); ValueError if invalid."""
    days = frozenset(int(ch) for ch in text if ch.isdigit())
    if not days or not days <= set(range(1, 8)) or len(text) != len(set(text)):
        raise ValueError(f"lesson days must be ISO weekday digits 1-7, got {text!r}")
    return days


@dataclass(frozen=True)
class ScheduleRules:
    """A cohort's schedule (or the default one for people without a cohort)."""

    zone: ZoneInfo
    lesson_days: frozenset[int] = frozenset(range(1, 6))
    lessons_per_day: int = 1
    window_start: time = DEFAULT_WINDOW[0]
    window_end: time = DEFAULT_WINDOW[1]
    start_date: date | None = None

    def is_lesson_day(self, day: date) -> bool:
        """A lesson weekday, not a public holiday, not before the cohort starts."""
        if self.start_date is not None and day < self.start_date:
            return False
        return day.isoweekday() in self.lesson_days and not is_public_holiday(day)

    def local(self, moment: datetime) -> datetime:
        """The moment in the schedule's time zone."""
        return moment.astimezone(self.zone)

    def lesson_time(self, preferred: time | None) -> time:
        """The person's time, kept inside the send window (a time chosen before the window
        changed, or during onboarding, moves to the nearest edge)."""
        if preferred is None:
            return self.window_start
        return min(max(preferred, self.window_start), self.window_end)

    def slots(self, day: date, preferred: time | None) -> list[datetime]:
        """The day's lesson slots (UTC), earliest first; none on a day without lessons."""
        if not self.is_lesson_day(day):
            return []
        first = self.lesson_time(preferred)
        start = _at(day, first, self.zone)
        end = _at(day, self.window_end, self.zone)
        step = (end - start) / max(self.lessons_per_day, 1)
        step = timedelta(minutes=int(step.total_seconds() // 60))
        if step <= timedelta(0):
            return [start]
        return [start + step * n for n in range(self.lessons_per_day)]

    def first_slot_from(self, moment: datetime, preferred: time | None) -> datetime:
        """The first slot at or after `moment`."""
        day = self.local(moment).date()
        for _ in range(SEARCH_DAYS):
            for slot in self.slots(day, preferred):
                if slot >= moment:
                    return slot
            day += timedelta(days=1)
        raise ValueError("no lesson day within a year: check the cohort's lesson days")

    def next_lesson_after(self, last: datetime, preferred: time | None) -> datetime:
        """When the lesson after one delivered at `last` is due: the next slot of the same day
        when several lessons a day are planned, else the first slot of the next lesson day."""
        day = self.local(last).date()
        later_today = [slot for slot in self.slots(day, preferred) if slot > last]
        if self.lessons_per_day > 1 and later_today:
            return later_today[0]
        following = datetime.combine(day + timedelta(days=1), time(0), self.zone)
        return self.first_slot_from(following.astimezone(UTC), preferred)

    def in_window(self, moment: datetime) -> bool:
        """Whether a lesson may go out at `moment`: a lesson day, inside the send window."""
        local = self.local(moment)
        return (
            self.is_lesson_day(local.date())
            and self.window_start <= local.time().replace(tzinfo=None) <= self.window_end
        )

    def check_time(self, preferred: time) -> time:
        """A lesson time the person may choose: inside the window, else InvalidAnswer."""
        if not self.window_start <= preferred <= self.window_end:
            raise InvalidAnswer("outside_window")
        return preferred


def _at(day: date, clock_time: time, zone: ZoneInfo) -> datetime:
    """A wall-clock time on a day in a zone, as UTC. A time skipped by the spring DST change
    (e.g. 03:30) falls an hour later; a repeated one (autumn) takes its first occurrence."""
    return datetime.combine(day, clock_time, zone).astimezone(UTC)
