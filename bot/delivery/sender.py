"""The outbox sender, the one road out: a turn's replies at once, everything else when due."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import claims
from bot.delivery.channel import ChannelSender, DeliveryError, DeliveryKind
from bot.delivery.claims import Claimed, Identity
from bot.delivery.limiter import RateLimiter
from bot.delivery.outbox import REPLY_PURPOSE
from bot.delivery.sending import RowSender
from bot.delivery.settle import Listener, Settled
from bot.kernel.clock import Clock
from bot.kernel.messages import Notice, Outbound

__all__ = ["ChannelSender", "DeliveryError", "DeliveryKind", "OutboxSender", "Settled"]

log = logging.getLogger("bot.delivery")


class OutboxSender:
    """Sends outbox rows: `flush` a person's owed rows now, `send_due` whatever is due.

    Rows are claimed for a short lease that is renewed while this worker sends them, so no row
    is sent by two workers and a dead worker's rows are taken over within seconds."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        limiter: RateLimiter | None = None,
        batch_size: int = 30,
        lease: timedelta = timedelta(seconds=15),
        max_attempts: int = 8,
        backoff: timedelta = timedelta(seconds=5),
        max_backoff: timedelta = timedelta(minutes=30),
        max_batches: int = 20,
        max_wait: float = 5.0,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        # The pace of channels registered without one of their own (tests, the terminal).
        self.limiter = limiter or RateLimiter(clock, unlimited=True)
        self._batch_size = batch_size
        self._lease = lease
        self._max_batches = max_batches
        self._senders: dict[str, ChannelSender] = {}
        self._limiters: dict[str, RateLimiter] = {}
        # Sends claimed rows (sending.py); it reads the adapters registered here.
        self._rows = RowSender(
            sessions,
            clock,
            self._senders,
            self.limiter_for,
            lease=lease,
            max_attempts=max_attempts,
            backoff=backoff,
            max_backoff=max_backoff,
            max_wait=max_wait,
        )

    # --- wiring ----------------------------------------------------------------------------

    def register(self, sender: ChannelSender, limiter: RateLimiter | None = None) -> None:
        """Deliver through this channel adapter from now on, at `limiter`'s pace."""
        self._senders[sender.channel] = sender
        if limiter is not None:
            self._limiters[sender.channel] = limiter

    def sender_for(self, channel: str) -> ChannelSender | None:
        """The adapter registered for `channel`, if any (e.g. to edit a progress message)."""
        return self._senders.get(channel)

    def limiter_for(self, channel: str) -> RateLimiter:
        """The pace of one channel (its own limiter, else the shared default)."""
        return self._limiters.get(channel, self.limiter)

    def add_listener(self, listener: Listener) -> None:
        """Call `listener` (after commit) whenever a row is sent, blocked or failed."""
        self._rows.settler.listeners.append(listener)

    # --- the two ways in -------------------------------------------------------------------

    async def flush(self, participant_id: int) -> Counter[str]:
        """Send a person's owed rows now, in order."""
        async with self._sessions() as session, session.begin():
            claimed = await self.claim_owed(session, participant_id)
        return await self.send_claimed(claimed)

    async def claim_owed(self, session: AsyncSession, participant_id: int) -> list[Claimed]:
        """In the caller's transaction (a turn's, so no extra commit): lease a person's owed
        rows, this turn's replies among them; send them with `send_claimed` after the commit."""
        if not self._senders:
            return []
        now = self._clock.now()
        where = claims.person_clause(participant_id, now)
        return await claims.claim(session, where, now, self._lease, 20)

    def may_owe(self, participant_id: int) -> bool:
        """Whether this process left rows of this person unsent (a failed or paced send):
        their next turn then claims everything owed, in order, not only its own reply."""
        return participant_id in self._rows.owing

    def lease_until(self) -> datetime:
        """The end of a lease taken now."""
        return self._clock.now() + self._lease

    def reply_claimed(
        self,
        row_id: int,
        participant_id: int,
        channel: str,
        external_id: str,
        replies: list[Outbound],
        source: dict[str, Any] | None,
    ) -> Claimed:
        """A turn's reply row written already leased (outbox.enqueue_reply): no claim query;
        the person just wrote on this chat, so it is reachable there."""
        now = self._clock.now()
        identity = Identity(channel, external_id, now, now, blocked=False)
        return Claimed(
            row_id,
            participant_id,
            REPLY_PURPOSE,
            None,
            [],  # the row holds them as JSON; they are at hand here
            0,
            0,
            [identity],
            (channel, external_id),
            source,
            replies,
        )

    async def send_claimed(self, claimed: list[Claimed]) -> Counter[str]:
        """Send rows claimed by `claim_owed` (one person's), in order."""
        return await self._rows.send_rows(claimed)

    async def send_due(self) -> Counter[str]:
        """Send what is due now, batch by batch; returns how many rows ended in each state."""
        totals: Counter[str] = Counter()
        for _ in range(self._max_batches):
            now = self._clock.now()
            async with self._sessions() as session, session.begin():
                claimed = await claims.claim(
                    session, claims.due_clause(now), now, self._lease, self._batch_size
                )
            if not claimed:
                break
            counts = await self._rows.send_batch(claimed)
            log.info(
                "outbox batch claimed=%d %s",
                len(claimed),
                " ".join(f"{k}={v}" for k, v in sorted(counts.items())),
            )
            totals.update(counts)
            if len(claimed) < self._batch_size:
                break
        return totals

    async def send_once(
        self,
        channel: str,
        external_id: str,
        replies: list[Outbound],
        source: dict[str, Any] | None = None,
    ) -> bool:
        """Send a short notice that is not worth a row (a "slow down" before any database
        work, a "sorry" for a turn that was rolled back), at the channel's pace; False if it
        could not go now."""
        sender = self._senders.get(channel)
        if sender is None:
            return False
        limiter = self.limiter_for(channel)
        try:
            for reply in replies:
                key = f"{channel}:{external_id}"
                if not isinstance(reply, Notice) and not await limiter.wait(
                    key, urgent=True, max_wait=2
                ):
                    return False
                await sender.send(external_id, [reply], source or {})
        except Exception as error:
            log.warning("notice not sent channel=%s: %r", channel, error)
            return False
        return True

    async def recover_orphans(self) -> int:
        """At start on SQLite (one process): rows left "sending" by a crash go again."""
        async with self._sessions() as session, session.begin():
            return await claims.recover_orphans(session, self._clock.now())

    async def aclose(self) -> None:
        """Finish recording what was sent; stop renewing leases (shutdown)."""
        await self._rows.aclose()

    # --- kept for callers of the old shape -----------------------------------------------

    async def _progress(self, row: Claimed) -> None:
        """Commit how many parts of a row went (a test stands in for a process that died)."""
        await self._rows.progress(row)
