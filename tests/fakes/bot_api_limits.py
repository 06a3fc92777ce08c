"""Telegram's flood limits, for the fake Bot API's opt-in enforcement mode (tests and
benchmarks): about 30 messages a second overall, and per chat a small burst (3) then about
one a second; beyond that, 429 with a retry_after, as Telegram answers."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.fakes.bot_api_params import ApiError

COUNTED = ("send", "edit", "copy", "forward")  # sendChatAction aside


@dataclass
class FloodLimits:
    """Accepts a message if fewer than `per_second` were accepted in the last second and the
    chat is within its allowance: `chat_burst` messages at once, then one per
    `per_chat_seconds` (a leaky bucket). `tolerance` (seconds) forgives network jitter
    between the sender's clock and the arrival here."""

    per_second: int = 30
    per_chat_seconds: float = 1.0
    tolerance: float = 0.0
    chat_burst: int = 3
    clock: Callable[[], float] = time.monotonic
    refused: int = 0
    _recent: deque[float] = field(default_factory=deque)
    _chat_tat: dict[str, float] = field(default_factory=dict)

    def counts(self, method: str) -> bool:
        """Whether calls of `method` count against the limits."""
        return method.startswith(COUNTED) and method != "sendchataction"

    def check(self, chat_id: object) -> None:
        """Take a slot for a message to `chat_id`, or raise the 429 Telegram would answer."""
        now = self.clock()
        window = 1.0 - self.tolerance
        while self._recent and self._recent[0] <= now - window:
            self._recent.popleft()
        wait = 0.0
        if len(self._recent) >= self.per_second:
            wait = self._recent[0] + window - now
        chat = str(chat_id)
        interval = self.per_chat_seconds
        tat = self._chat_tat.get(chat, now)  # when the chat's bucket would be empty
        allowed_at = tat - interval * (self.chat_burst - 1) - self.tolerance
        if now < allowed_at:
            wait = max(wait, allowed_at - now)
        if wait > 0:
            self.refused += 1
            retry = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", retry)
        self._recent.append(now)
        self._chat_tat[chat] = max(tat, now) + interval
