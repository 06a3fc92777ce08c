"""The outbox sender: the one road out. Delivers rows through channel adapters at each
platform's pace: a turn's replies at once after its commit (`flush`), everything else as it
falls due (`send_due`, the periodic job).

Rows are claimed for a short lease that is renewed while this worker sends them, so no row is
sent by two workers and a dead worker's rows are taken over within seconds. Each row is sent
one part at a time, the progress committed as it goes: a crash repeats at most the part in
flight. Each channel has its own limiter: a 429 holds that platform for its retry_after;
consecutive 5xx or dropped connections open its circuit (one probe, then on); 403 marks the
identity blocked and skips it until the person writes again; a refusal for one recipient
(outside Messenger's window) holds that recipient's rows only; other refusals fail the row."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import OutboxMessage
from bot.delivery import claims
from bot.delivery.channel import ChannelSender, DeliveryError, DeliveryKind
from bot.delivery.claims import Claimed, Identity
from bot.delivery.leases import keep_renewed
from bot.delivery.limiter import RateLimiter
from bot.delivery.outbox import REPLY_PURPOSE, OutboxState
from bot.delivery.payload import dump_replies, load_replies
from bot.delivery.settle import Listener, Outcome, Settled, Settler
from bot.kernel.clock import Clock
from bot.kernel.messages import Notice, Outbound

__all__ = ["ChannelSender", "DeliveryError", "DeliveryKind", "OutboxSender", "Settled"]

log = logging.getLogger("bot.delivery")
NO_SENDER_WAIT = timedelta(hours=1)
HELD_RECHECK = timedelta(hours=6)


class OutboxSender:
    """Sends outbox rows: `flush` a person's owed rows now, `send_due` whatever is due."""

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
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._max_batches = max_batches
        self._max_wait = max_wait  # a wait longer than this puts the row back instead
        self._senders: dict[str, ChannelSender] = {}
        self._limiters: dict[str, RateLimiter] = {}
        self._settler = Settler(sessions, clock)
        self._person_locks: dict[int, asyncio.Lock] = {}
        self._in_flight: set[int] = set()  # rows this worker is sending: leases renewed
        self._owing: set[int] = set()  # people with rows this process could not send yet
        self._heartbeat: asyncio.Task[None] | None = None

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
        self._settler.listeners.append(listener)

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
        return participant_id in self._owing

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
            dump_replies(replies),
            0,
            0,
            [identity],
            (channel, external_id),
            source,
        )

    async def send_claimed(self, claimed: list[Claimed]) -> Counter[str]:
        """Send rows claimed by `claim_owed` (one person's), in order."""
        return await self._send_rows(claimed)

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
            counts = await self._send_batch(claimed)
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
        await self._settler.close()
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
            self._heartbeat = None

    # --- sending ---------------------------------------------------------------------------

    def _lock(self, participant_id: int) -> asyncio.Lock:
        lock = self._person_locks.get(participant_id)
        if lock is None:
            if len(self._person_locks) > 10_000:
                self._person_locks = {k: v for k, v in self._person_locks.items() if v.locked()}
            lock = self._person_locks[participant_id] = asyncio.Lock()
        return lock

    async def _send_batch(self, claimed: list[Claimed]) -> Counter[str]:
        by_person: dict[int, list[Claimed]] = defaultdict(list)
        for row in claimed:
            by_person[row.participant_id].append(row)
        results = await asyncio.gather(
            *(self._send_rows(rows) for rows in by_person.values()), return_exceptions=True
        )
        counts: Counter[str] = Counter()
        for result in results:
            if isinstance(result, BaseException):
                log.error("outbox send failed: %r", result, exc_info=result)
                counts["error"] += 1
            else:
                counts.update(result)
        return counts

    async def _send_rows(self, rows: list[Claimed], *, locked: bool = False) -> Counter[str]:
        """One person's rows in order; after one that did not go, the rest wait too."""
        if not rows:
            return Counter()
        if not locked:
            async with self._lock(rows[0].participant_id):
                return await self._send_rows(rows, locked=True)
        self._hold(rows)
        counts: Counter[str] = Counter()
        try:
            for number, row in enumerate(rows):
                outcome = await self._send_row(row)
                await self._record(row, outcome)
                counts[outcome.state] += 1
                if outcome.state in (OutboxState.PENDING, OutboxState.HELD):
                    self._owing.add(row.participant_id)
                elif number == len(rows) - 1:
                    self._owing.discard(row.participant_id)
                if outcome.state is not OutboxState.SENT:
                    later = rows[number + 1 :]
                    if later:
                        await self._release(later, outcome.not_before or self._clock.now())
                        counts["deferred"] += len(later)
                    break
        finally:
            self._let_go(rows)
        return counts

    def _identity(self, row: Claimed) -> Identity | None:
        if row.target is not None:  # a reply: the chat its update came from
            channel, external_id = row.target
            for identity in row.identities:
                if identity.channel == channel and identity.external_id == external_id:
                    return identity if channel in self._senders and not identity.blocked else None
            return None
        usable = [i for i in row.identities if not i.blocked and i.channel in self._senders]
        if not usable:  # else the channel the person used last
            return None
        return max(usable, key=lambda i: (i.last_inbound_at or i.created_at, i.created_at))

    def _unreachable(self, row: Claimed, now: datetime) -> Outcome:
        candidates = row.identities
        if row.target is not None:
            candidates = [i for i in candidates if (i.channel, i.external_id) == row.target]
        if not candidates or all(i.blocked for i in candidates):
            return Outcome(OutboxState.BLOCKED, error="no reachable channel", attempted=False)
        channels = ",".join(sorted({i.channel for i in candidates}))
        reason = f"no sender for channel {channels}"
        return Outcome(OutboxState.HELD, now + NO_SENDER_WAIT, reason, attempted=False)

    async def _send_row(self, row: Claimed) -> Outcome:
        now = self._clock.now()
        identity = self._identity(row)
        if identity is None:
            return self._unreachable(row, now)
        sender = self._senders[identity.channel]
        defer = getattr(sender, "defer_until", None)
        if defer is not None and row.purpose != REPLY_PURPOSE:
            until = defer(identity.last_inbound_at, now)
            if until is not None and until > now:
                reason = f"held by {identity.channel} until {until.isoformat(timespec='minutes')}"
                return Outcome(OutboxState.HELD, until, reason, identity.channel, False)
        try:
            replies = load_replies(row.payload)
        except (TypeError, ValueError) as error:
            return Outcome(OutboxState.FAILED, error=f"unreadable payload: {error}"[:300])
        limiter = self.limiter_for(identity.channel)
        key = f"{identity.channel}:{identity.external_id}"
        urgent = row.purpose == REPLY_PURPOSE
        while row.parts_sent < len(replies):
            part = replies[row.parts_sent]
            # An acknowledgement of a press is no message: it does not wait for a slot.
            if not isinstance(part, Notice) and not await limiter.wait(
                key, urgent=urgent, max_wait=self._max_wait
            ):
                later = max(limiter.ready_at(key), now)
                return Outcome(OutboxState.PENDING, later, "paced", identity.channel, False)
            try:
                if urgent:  # a reply: says what was pressed (possibly nothing)
                    await sender.send(identity.external_id, [part], row.source or {})
                else:
                    await sender.send(identity.external_id, [part])
            except DeliveryError as error:
                return self._failure(row, identity, error, limiter)
            except Exception as error:  # an adapter bug or an unforeseen network error
                failure = DeliveryError(DeliveryKind.RETRY, repr(error)[:200])
                return self._failure(row, identity, failure, limiter)
            if not isinstance(part, Notice):
                limiter.record_success()
            row.parts_sent += 1
            if row.parts_sent < len(replies) and not urgent:
                await self._progress(row)
        return Outcome(OutboxState.SENT, channel=identity.channel)

    def _failure(
        self, row: Claimed, identity: Identity, error: DeliveryError, limiter: RateLimiter
    ) -> Outcome:
        now = self._clock.now()
        reason = f"{error.kind}: {error.reason}"[:300]
        if error.kind is DeliveryKind.BLOCKED:
            rest = [i for i in row.identities if i is not identity]
            reachable = row.target is None and any(
                not i.blocked and i.channel in self._senders for i in rest
            )
            state = OutboxState.PENDING if reachable else OutboxState.BLOCKED
            return Outcome(state, now, reason, identity.channel, blocked=True)
        if error.kind is DeliveryKind.FAILED:
            return Outcome(OutboxState.FAILED, None, reason, identity.channel)
        if error.kind is DeliveryKind.HELD:  # this recipient only, until they write again
            return Outcome(OutboxState.HELD, now + HELD_RECHECK, reason, identity.channel)
        if error.retry_after is not None:  # the platform said how long: the platform waits
            until = now + timedelta(seconds=error.retry_after)
            limiter.hold(until)
            return Outcome(OutboxState.PENDING, until, reason, identity.channel, False)
        limiter.record_failure()
        if row.attempts + 1 >= self._max_attempts:
            return Outcome(OutboxState.FAILED, None, reason, identity.channel)
        delay = min(self._backoff * 2**row.attempts, self._max_backoff)
        return Outcome(OutboxState.PENDING, now + delay, reason, identity.channel)

    # --- leases ----------------------------------------------------------------------------

    def _hold(self, rows: Sequence[Claimed]) -> None:
        self._in_flight.update(row.id for row in rows)
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.create_task(self._renew_leases())

    def _let_go(self, rows: Sequence[Claimed]) -> None:
        self._in_flight.difference_update(row.id for row in rows)

    async def _renew_leases(self) -> None:
        """While this worker holds rows, keep their leases ahead of the clock."""

        async def renew(ids: list[int]) -> None:
            async with self._sessions() as session, session.begin():
                await claims.renew(session, ids, self._clock.now() + self._lease)

        await keep_renewed(
            lambda: list(self._in_flight), renew, self._lease.total_seconds(), "outbox"
        )

    # --- bookkeeping -----------------------------------------------------------------------

    async def _progress(self, row: Claimed) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(parts_sent=row.parts_sent)
            )

    async def _record(self, row: Claimed, outcome: Outcome) -> None:
        await self._settler.record(row, outcome)

    async def _release(self, rows: list[Claimed], not_before: datetime) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([row.id for row in rows]))
                .values(state=OutboxState.PENDING, lease_until=None, not_before=not_before)
            )
