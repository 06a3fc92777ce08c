"""The limiter keeps its pace when waiters wake a little late, and never beats 30 a second."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.delivery.limiter import RateLimiter
from bot.kernel.clock import FakeClock


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


async def test_consecutive_failures_open_the_circuit_then_one_probe_closes_it() -> None:
    clock = FakeClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))

    async def sleep(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))

    limiter = RateLimiter(clock, sleep=sleep, failures_to_open=3, cooldown=1.0)
    for _ in range(2):
        limiter.record_failure()
    assert not limiter.circuit_open  # two 502s: each message retries on its own
    limiter.record_failure()
    assert limiter.circuit_open
    assert limiter.ready_at("telegram:1") == clock.now() + timedelta(seconds=1)
    await limiter.wait("telegram:1")  # the probe, after the cooldown
    assert clock.now() == datetime(2026, 11, 24, 9, 0, 1, tzinfo=UTC)
    limiter.record_failure()  # the probe failed: longer now
    assert limiter.ready_at("telegram:2") == clock.now() + timedelta(seconds=2)
    await limiter.wait("telegram:2")
    limiter.record_success()  # the platform is back: everyone goes on at once
    assert not limiter.circuit_open
    assert limiter.ready_at("telegram:3") == clock.now()


async def test_a_recipient_hold_and_a_bounded_wait_leave_everyone_else_alone() -> None:
    clock = FakeClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    limiter = RateLimiter(clock, chat_burst=3)
    limiter.hold_recipient("messenger:ruta", clock.now() + timedelta(hours=6))
    assert not await limiter.wait("messenger:ruta", max_wait=5)  # put back, not waited for
    assert await limiter.wait("messenger:jonas", max_wait=5)
    for _ in range(2):  # a burst of three to one chat, then one a second
        assert await limiter.wait("messenger:jonas", max_wait=0)
    assert limiter.ready_at("messenger:jonas") == clock.now() + timedelta(seconds=1)
