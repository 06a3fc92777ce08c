"""The limiter keeps its pace when waiters wake a little late, and never beats 30 a second."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from bot.delivery.limiter import RateLimiter


async def test_late_wake_ups_do_not_slow_the_pace_nor_break_the_limit() -> None:
    clock = FakeClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))

    async def sleep_late(seconds: float) -> None:  # every wake-up 2 ms late, as under load
        clock.advance(timedelta(seconds=seconds + 0.002))

    gap = 1 / 29.5
    limiter = RateLimiter(clock, per_second=30, sleep=sleep_late, min_gap=gap)
    start = clock.now()
    sent = []
    for n in range(300):
        await limiter.wait(f"chat-{n}")
        sent.append(clock.now())
    elapsed = (sent[-1] - start).total_seconds()
    assert elapsed == pytest.approx(299 * gap, rel=0.01)  # not 299 × (gap + 2 ms)
    for i in range(len(sent) - 30):
        assert sent[i + 30] - sent[i] >= timedelta(seconds=1)  # never 31 in a second
