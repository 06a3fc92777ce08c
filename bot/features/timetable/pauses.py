"""Pause and resume: lessons and reminders stop until /resume or a date, then go on afresh."""

from __future__ import annotations

from datetime import date, datetime

from bot.db.models import Enrollment

PAUSE_REASON_REMINDERS = "reminders"
PAUSE_REASON_PERSON = "person"


def pause(
    enrollment: Enrollment,
    now: datetime,
    reason: str,
    *,
    until: date | None = None,
    resume_at: datetime | None = None,
) -> None:
    """Stop lessons and reminders until /resume, or until a date (`resume_at`: its first slot,
    when the scheduler looks again)."""
    enrollment.paused_at = now
    enrollment.paused_until = until
    enrollment.pause_reason = reason
    enrollment.next_due_at = resume_at if until is not None else None


def resume(enrollment: Enrollment, now: datetime) -> None:
    """Lessons go on; reminders count afresh from now."""
    enrollment.paused_at = None
    enrollment.paused_until = None
    enrollment.pause_reason = None
    enrollment.reminder_count = 0
    enrollment.last_reminded_at = now
    enrollment.next_due_at = None  # planned again by the next tick
