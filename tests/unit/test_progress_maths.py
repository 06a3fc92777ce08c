"""Progress bars, scores and streaks."""

from datetime import date, timedelta

from bot.domain.progress import progress_bar, score_percent, streak


def test_progress_bar_has_one_cell_per_lesson() -> None:
    assert progress_bar(3, 5) == "▓▓▓░░ 3/5"
    assert progress_bar(0, 5) == "░░░░░ 0/5"
    assert progress_bar(5, 5) == "▓▓▓▓▓ 5/5"


def test_long_modules_scale_but_never_look_finished_or_empty_wrongly() -> None:
    assert progress_bar(1, 40) == "▓░░░░░░░░░ 1/40"
    assert progress_bar(39, 40) == "▓▓▓▓▓▓▓▓▓░ 39/40"
    assert progress_bar(0, 0) == "░ 0/0"


def test_score_is_a_whole_percentage() -> None:
    assert score_percent(2, 3) == 67
    assert score_percent(0, 0) is None


def test_streak_counts_consecutive_days_up_to_today_or_yesterday() -> None:
    today = date(2026, 11, 24)
    days = [today - timedelta(days=n) for n in (0, 1, 2, 4)]
    assert streak(days, today) == 3
    assert streak(days[1:], today) == 2  # today still open
    assert streak([today - timedelta(days=2)], today) == 0
