"""The platform's pace: about 30 messages a second overall and one a second per chat, and
a hold for everyone when the platform says "retry after". Time is injected: tests pass a
FakeClock and a sleep that moves it."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.clock import Clock

Sleep = Callable[[float], Awaitable[None]]
PRUNE_AT = 10_000


class RateLimiter:
    """Waits until a message to `key` (a chat) may go."""

    def __init__(
        self,
        clock: Clock,
        *,
        per_second: float = 30.0,
        per_chat_seconds: float = 1.0,
        sleep: Sleep = asyncio.sleep,
        min_gap: float = 0.0,
    ) -> None:
        self._clock = clock
        # Opt-in pacing: at least this many seconds between any two sends (e.g. 1/29.5), so
        # a second's messages go out evenly instead of in one burst that network jitter
        # can push over the platform's window (bench/broadcast.py measures it).
        self._min_gap = timedelta(seconds=min_gap)
        self._per_second = max(1, int(per_second))
        self._per_chat = timedelta(seconds=per_chat_seconds)
        self._sleep = sleep
        self._recent: deque[datetime] = deque()
        self._chat_next: dict[str, datetime] = {}
        self._hold_until: datetime | None = None
        # The slot the last send was entitled to: a waiter that woke a little late does not
        # push every later send back (the pace is kept, not slowly lost to wake-up delays).
        self._last_slot: datetime | None = None

    def note_sent(self, key: str) -> None:
        """A reply that went out at once to someone waiting for it: replies are served first,
        and counting them here makes scheduled and bulk messages give way."""
        now = self._clock.now()
        self._recent.append(now)
        self._last_slot = now if self._last_slot is None else max(self._last_slot, now)
        self._chat_next[key] = now + self._per_chat

    def _take_slot(self, now: datetime) -> None:
        """Record the slot this send was entitled to (at most one gap before now)."""
        gap = self._min_gap
        if self._last_slot is None or now - self._last_slot > 2 * gap:
            self._last_slot = now
        else:
            self._last_slot = min(now, self._last_slot + gap)

    def hold_for(self, seconds: float) -> None:
        """Send nothing to anyone for `seconds` (a 429 answered to a reply)."""
        self.hold(self._clock.now() + timedelta(seconds=seconds))

    def hold(self, until: datetime) -> None:
        """Send nothing to anyone before `until` (a 429's retry_after)."""
        if self._hold_until is None or until > self._hold_until:
            self._hold_until = until

    def _ready_at(self, key: str, now: datetime) -> datetime:
        while self._recent and self._recent[0] <= now - timedelta(seconds=1):
            self._recent.popleft()
        ready = now
        if len(self._recent) >= self._per_second:
            ready = self._recent[0] + timedelta(seconds=1)
        if self._min_gap and self._last_slot and self._last_slot + self._min_gap > ready:
            ready = self._last_slot + self._min_gap
        chat = self._chat_next.get(key)
        if chat is not None and chat > ready:
            ready = chat
        if self._hold_until is not None and self._hold_until > ready:
            ready = self._hold_until
        return ready

    async def wait(self, key: str) -> None:
        """Wait for a free slot for `key`, then take it."""
        while True:
            now = self._clock.now()
            ready = self._ready_at(key, now)
            if ready <= now:
                break
            await self._sleep((ready - now).total_seconds())
        self._recent.append(now)
        self._take_slot(now)
        self._chat_next[key] = now + self._per_chat
        if len(self._chat_next) > PRUNE_AT:
            self._chat_next = {k: t for k, t in self._chat_next.items() if t > now}
