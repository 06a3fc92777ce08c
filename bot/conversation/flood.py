"""Flood control: someone sending too much gets one "please slow down", then a short pause.

Counted per platform identity, in this process's memory, before any database work, so a
flood costs almost nothing and never delays anyone else's updates."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum


class Verdict(Enum):
    """What to do with one update."""

    HANDLE = "handle"
    WARN = "warn"  # the first update over the limit: say "slow down" once
    DROP = "drop"  # within the pause that follows: ignore


@dataclass
class _Sender:
    times: deque[datetime] = field(default_factory=deque)
    paused_until: datetime | None = None
    language: str | None = None


class FloodGuard:
    """Allows `limit` updates per `window` per sender; beyond that pauses them for `pause`."""

    def __init__(self, limit: int, window: timedelta, pause: timedelta) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit, self.window, self.pause = limit, window, pause
        self._senders: dict[tuple[str, str], _Sender] = {}

    def check(self, channel: str, user_id: str, now: datetime) -> Verdict:
        """Count one update from this sender and say whether to handle it."""
        self._forget_quiet(now)
        key = (channel, user_id)
        # The most recent sender goes last, so the quiet ones are found at the front.
        sender = self._senders.pop(key, None) or _Sender()
        self._senders[key] = sender
        if sender.paused_until is not None:
            if now < sender.paused_until:
                return Verdict.DROP
            sender.paused_until = None
            sender.times.clear()
        while sender.times and now - sender.times[0] >= self.window:
            sender.times.popleft()
        sender.times.append(now)
        if len(sender.times) > self.limit:
            sender.paused_until = now + self.pause
            return Verdict.WARN
        return Verdict.HANDLE

    def remember_language(self, channel: str, user_id: str, language: str | None) -> None:
        """The sender's language, so a "slow down" needs no database read."""
        sender = self._senders.get((channel, user_id))
        if sender is not None and language:
            sender.language = language

    def language(self, channel: str, user_id: str) -> str | None:
        """The sender's last known language."""
        sender = self._senders.get((channel, user_id))
        return sender.language if sender else None

    def _forget_quiet(self, now: datetime) -> None:
        """Drop senders idle for longer than a window and a pause: memory stays bounded.
        Senders are kept in the order they last wrote, so only the front is looked at (a
        pause ends within that horizon too): constant work per update, however many write."""
        horizon = self.window + self.pause
        while self._senders:
            key, sender = next(iter(self._senders.items()))
            if sender.times and now - sender.times[-1] <= horizon:
                return
            if sender.paused_until is not None and sender.paused_until > now:
                return
            del self._senders[key]
