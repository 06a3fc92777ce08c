"""Progress maths: bars, scores and streaks. Pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

FILLED = "▓"
EMPTY = "░"


def progress_bar(done: int, total: int, width: int | None = None) -> str:
    """A text bar like '▓▓▓░░ 3/5'; one cell per lesson up to 10, scaled beyond."""
    if total <= 0:
        return f"{EMPTY} 0/0"
    done = max(0, min(done, total))
    cells = width if width is not None else min(total, 10)
    filled = round(cells * done / total)
    if done and not filled:
        filled = 1
    if done < total and filled == cells:
        filled = cells - 1
    return f"{FILLED * filled}{EMPTY * (cells - filled)} {done}/{total}"


def score_percent(correct: int, answered: int) -> int | None:
    """Share of correct answers in whole percent, or None when nothing was answered."""
    if answered <= 0:
        return None
    return round(100 * correct / answered)


def streak(active_days: Iterable[date], today: date) -> int:
    """Consecutive days with activity, ending today (or yesterday, if today is still open)."""
    days = set(active_days)
    cursor = today if today in days else today - timedelta(days=1)
    count = 0
    while cursor in days:
        count += 1
        cursor -= timedelta(days=1)
    return count
