"""One channel's pace: its messages a second overall, each chat's own limit with a small burst,
holds for the whole platform (a 429) or one recipient, replies before bulk, and a circuit that
backs the whole platform off after consecutive failures.

Telegram: about 30 messages a second per bot, about one a second per chat with a burst of a
few, 20 a minute per group. Each channel has its own limiter (bot/delivery/limits.py), so one
platform's refusals never slow another. Time is injected: tests pass a FakeClock and a sleep
that moves it."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.kernel.clock import Clock, SystemClock

Sleep = Callable[[float], Awaitable[None]]
PRUNE_AT = 10_000
PROBE_TIMEOUT = timedelta(seconds=15)  # a probe that never reports frees the circuit again


class RateLimiter:
    """Waits until a message to `key` ("<channel>:<chat id>") may go, then takes its slot."""

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        per_second: float = 30.0,
        per_chat_seconds: float = 1.0,
        chat_burst: int = 1,
        group_per_minute: int = 20,
        sleep: Sleep = asyncio.sleep,
        min_gap: float = 0.0,
        failures_to_open: int = 3,
        cooldown: float = 1.0,
        max_cooldown: float = 30.0,
        unlimited: bool = False,
    ) -> None:
        self._clock = clock or SystemClock()
        self.unlimited = unlimited  # the terminal, and tests that do not time anything
        # Opt-in pacing: at least this many seconds between any two sends (e.g. 1/29.5), so
        # a second's messages go out evenly instead of in one burst that network jitter
        # can push over the platform's window (bench/broadcast.py measures it).
        self._min_gap = timedelta(seconds=min_gap)
        self._per_second = max(1, int(per_second))
        self._per_chat = timedelta(seconds=per_chat_seconds)
        self._per_group = timedelta(seconds=60 / max(1, group_per_minute))
        self._burst = max(1, chat_burst)
        self._sleep = sleep
        self._recent: deque[datetime] = deque()
        # Per chat, the "theoretical arrival time" of the next message (GCRA): a chat may get
        # `chat_burst` messages at once, then one per interval.
        self._chat_tat: dict[str, datetime] = {}
        self._hold_until: datetime | None = None
        self._recipient_hold: dict[str, datetime] = {}
        # The slot the last send was entitled to: a waiter that woke a little late does not
        # push every later send back (the pace is kept, not slowly lost to wake-up delays).
        self._last_slot: datetime | None = None
        self._urgent_ready = 0  # replies waiting only for a free slot: bulk gives way
        # The circuit: consecutive transient failures open it (the platform is held), then one
        # probe goes; its success closes the circuit, its failure opens it for longer.
        self._failures = 0
        self._failures_to_open = max(1, failures_to_open)
        self._base_cooldown = cooldown
        self._cooldown = cooldown
        self._max_cooldown = max_cooldown
        self._circuit_until: datetime | None = None
        self._probe_until: datetime | None = None
        self._probe_done = asyncio.Event()

    # --- holds -----------------------------------------------------------------------------

    def hold_for(self, seconds: float) -> None:
        """Send nothing on this platform for `seconds` (a platform-wide 429)."""
        self.hold(self._clock.now() + timedelta(seconds=seconds))

    def hold(self, until: datetime) -> None:
        """Send nothing on this platform before `until` (a 429's retry_after)."""
        if self._hold_until is None or until > self._hold_until:
            self._hold_until = until

    def hold_recipient(self, key: str, until: datetime) -> None:
        """Send nothing to this one recipient before `until`; everyone else goes on."""
        if key not in self._recipient_hold or until > self._recipient_hold[key]:
            self._recipient_hold[key] = until

    @property
    def circuit_open(self) -> bool:
        """Whether the platform is backed off after consecutive failures."""
        return self._circuit_until is not None

    def record_success(self) -> None:
        """A send went through: the platform works; close the circuit."""
        self._failures = 0
        self._cooldown = self._base_cooldown
        self._circuit_until = None
        self._end_probe()

    def record_failure(self) -> None:
        """A 5xx, a timeout or a dropped connection: after a few in a row, back off the whole
        platform (longer each time a probe fails) instead of retrying each message alone."""
        self._failures += 1
        probing = self._probe_until is not None
        self._end_probe()
        if probing or self._failures >= self._failures_to_open:
            self._circuit_until = self._clock.now() + timedelta(seconds=self._cooldown)
            self._cooldown = min(self._cooldown * 2, self._max_cooldown)

    def _end_probe(self) -> None:
        self._probe_until = None
        self._probe_done.set()
        self._probe_done = asyncio.Event()

    # --- pace ------------------------------------------------------------------------------

    def _chat_interval(self, key: str) -> timedelta:
        chat = key.rsplit(":", 1)[-1]
        return self._per_group if chat.startswith("-") else self._per_chat

    def _chat_ready(self, key: str, now: datetime) -> datetime:
        ready = now
        tat = self._chat_tat.get(key)
        if tat is not None:
            ready = max(ready, tat - self._chat_interval(key) * (self._burst - 1))
        held = self._recipient_hold.get(key)
        if held is not None:
            if held <= now:
                del self._recipient_hold[key]
            else:
                ready = max(ready, held)
        return ready

    def _global_ready(self, now: datetime) -> datetime:
        while self._recent and self._recent[0] <= now - timedelta(seconds=1):
            self._recent.popleft()
        ready = now
        if len(self._recent) >= self._per_second:
            ready = self._recent[0] + timedelta(seconds=1)
        if self._min_gap and self._last_slot and self._last_slot + self._min_gap > ready:
            ready = self._last_slot + self._min_gap
        for hold in (self._hold_until, self._circuit_until):
            if hold is not None and hold > ready:
                ready = hold
        return ready

    def ready_at(self, key: str) -> datetime:
        """When a message to `key` could go, as things stand."""
        now = self._clock.now()
        if self.unlimited:
            return now
        return max(self._chat_ready(key, now), self._global_ready(now))

    async def wait(self, key: str, *, urgent: bool = False, max_wait: float | None = None) -> bool:
        """Wait for a free slot for `key`, then take it; True when taken. With `max_wait`, give
        up (False, nothing taken) when the slot is further away than that: the caller puts
        the message back rather than hold it past its lease. `urgent`: a reply someone waits
        for, served before bulk messages that wait for the same second."""
        if self.unlimited:
            return True
        started = self._clock.now()
        while True:
            now = self._clock.now()
            chat, common = self._chat_ready(key, now), self._global_ready(now)
            ready = max(chat, common)
            if max_wait is not None and (ready - started).total_seconds() > max_wait:
                return False
            if self._circuit_until is not None and self._circuit_until <= now:
                if self._probe_until is not None and self._probe_until > now:
                    await self._await_probe(now)  # one probe at a time while half-open
                    continue
                if chat <= now:
                    self._probe_until = now + PROBE_TIMEOUT
                    self._circuit_until = None
                    break
            if ready <= now and (urgent or not self._urgent_ready):
                break
            waiting_for_slot = urgent and chat <= now
            if waiting_for_slot:
                self._urgent_ready += 1
            try:
                pause = (ready - now).total_seconds() if ready > now else self._gap_seconds()
                await self._sleep(pause)
            finally:
                if waiting_for_slot:
                    self._urgent_ready -= 1
        self._take(key, now)
        return True

    def _gap_seconds(self) -> float:
        return max(self._min_gap.total_seconds(), 0.002)

    async def _await_probe(self, now: datetime) -> None:
        assert self._probe_until is not None
        try:
            await asyncio.wait_for(
                self._probe_done.wait(), (self._probe_until - now).total_seconds()
            )
        except TimeoutError:
            self._end_probe()

    def _take(self, key: str, now: datetime) -> None:
        self._recent.append(now)
        gap = self._min_gap
        if self._last_slot is None or now - self._last_slot > 2 * gap:
            self._last_slot = now
        else:  # the slot this send was entitled to (at most one gap before now)
            self._last_slot = min(now, self._last_slot + gap)
        tat = self._chat_tat.get(key)
        self._chat_tat[key] = max(tat or now, now) + self._chat_interval(key)
        if len(self._chat_tat) > PRUNE_AT:
            self._chat_tat = {k: t for k, t in self._chat_tat.items() if t > now}
