"""Sending claimed outbox rows: one person's in order, part by part, at each channel's pace."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import OutboxMessage
from bot.delivery import claims
from bot.delivery.channel import ChannelSender, DeliveryError, DeliveryKind
from bot.delivery.claims import Claimed, Identity
from bot.delivery.leases import keep_renewed
from bot.delivery.limiter import RateLimiter
from bot.delivery.outbox import REPLY_PURPOSE, OutboxState
from bot.delivery.payload import load_replies
from bot.delivery.settle import Outcome, Settler
from bot.kernel.clock import Clock
from bot.kernel.messages import Notice

log = logging.getLogger("bot.delivery")
NO_SENDER_WAIT = timedelta(hours=1)
HELD_RECHECK = timedelta(hours=6)


class RowSender:
    """Sends rows already claimed, renewing their leases while it holds them.

    Each row is sent one part at a time, the progress committed as it goes: a crash repeats at
    most the part in flight. Each channel has its own limiter: a 429 holds that platform for its
    retry_after; consecutive 5xx or dropped connections open its circuit (one probe, then on);
    403 marks the identity blocked and skips it until the person writes again; a refusal for one
    recipient (outside Messenger's window) holds that recipient's rows only; other refusals fail
    the row."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        senders: Mapping[str, ChannelSender],
        limiter_for: Callable[[str], RateLimiter],
        *,
        lease: timedelta,
        max_attempts: int,
        backoff: timedelta,
        max_backoff: timedelta,
        max_wait: float,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._senders = senders  # the OutboxSender's registry of adapters, shared
        self._limiter_for = limiter_for
        self._lease = lease
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._max_wait = max_wait  # a wait longer than this puts the row back instead
        self.settler = Settler(sessions, clock)
        self._person_locks: dict[int, asyncio.Lock] = {}
        self._in_flight: set[int] = set()  # rows this worker is sending: leases renewed
        self.owing: set[int] = set()  # people with rows this process could not send yet
        self._heartbeat: asyncio.Task[None] | None = None

    async def aclose(self) -> None:
        """Finish recording what was sent; stop renewing leases (shutdown)."""
        await self.settler.close()
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

    async def send_batch(self, claimed: list[Claimed]) -> Counter[str]:
        """Rows of many people: each person's in order, the people concurrently."""
        by_person: dict[int, list[Claimed]] = defaultdict(list)
        for row in claimed:
            by_person[row.participant_id].append(row)
        results = await asyncio.gather(
            *(self.send_rows(rows) for rows in by_person.values()), return_exceptions=True
        )
        counts: Counter[str] = Counter()
        for result in results:
            if isinstance(result, BaseException):
                log.error("outbox send failed: %r", result, exc_info=result)
                counts["error"] += 1
            else:
                counts.update(result)
        return counts

    async def send_rows(self, rows: list[Claimed], *, locked: bool = False) -> Counter[str]:
        """One person's rows in order; after one that did not go, the rest wait too."""
        if not rows:
            return Counter()
        if not locked:
            async with self._lock(rows[0].participant_id):
                return await self.send_rows(rows, locked=True)
        self._hold(rows)
        counts: Counter[str] = Counter()
        try:
            for number, row in enumerate(rows):
                outcome = await self._send_row(row)
                await self.settler.record(row, outcome)
                counts[outcome.state] += 1
                if outcome.state in (OutboxState.PENDING, OutboxState.HELD):
                    self.owing.add(row.participant_id)
                elif number == len(rows) - 1:
                    self.owing.discard(row.participant_id)
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
            replies = row.replies if row.replies is not None else load_replies(row.payload)
        except (TypeError, ValueError) as error:
            return Outcome(OutboxState.FAILED, error=f"unreadable payload: {error}"[:300])
        limiter = self._limiter_for(identity.channel)
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
                await self.progress(row)
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

    async def progress(self, row: Claimed) -> None:
        """Commit how many parts of a row went, so a restart goes on from the next one."""
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(parts_sent=row.parts_sent)
            )

    async def _release(self, rows: list[Claimed], not_before: datetime) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([row.id for row in rows]))
                .values(state=OutboxState.PENDING, lease_until=None, not_before=not_before)
            )
