"""The outbox sender: delivers due rows through channel adapters at the platform's pace.

Each due row is claimed for a short lease (PostgreSQL: FOR UPDATE SKIP LOCKED, so several
processes share the work), then sent one part at a time, the progress committed after each
part: a crash repeats at most the one message in flight. 429 holds every send for its
retry_after; 403 marks the identity blocked and skips it until the person writes again;
5xx and timeouts are retried with backoff; other refusals are marked failed."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.db.models import ChannelIdentity, OutboxMessage, Participant
from bot.delivery.limiter import RateLimiter
from bot.delivery.outbox import OutboxState
from bot.delivery.payload import load_replies
from bot.dialogue.events import Outbound

log = logging.getLogger("bot.delivery")
NO_SENDER_WAIT = timedelta(hours=1)


class DeliveryKind(StrEnum):
    """Why a send did not go through."""

    BLOCKED = "blocked"  # the person blocked the bot (403): skip them until they write again
    RETRY = "retry"  # rate limited (429, with retry_after), 5xx or a timeout: try again later
    FAILED = "failed"  # refused for good (a bad request): give up on this message


class DeliveryError(Exception):
    """A channel adapter's report of a failed send."""

    def __init__(
        self, kind: DeliveryKind, reason: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason
        self.retry_after = retry_after


class ChannelSender(Protocol):
    """A channel adapter's sending side. It may also define
    ``defer_until(last_inbound_at, now) -> datetime | None`` to hold messages (None: send now),
    and ``post(external_id, text) -> message id`` with ``edit(external_id, message_id, text)``
    to keep one message up to date outside any update (a broadcast's live progress)."""

    channel: str

    async def send(self, external_id: str, replies: Sequence[Outbound]) -> None:
        """Send the replies to one person, in order; DeliveryError if it cannot."""
        ...


@dataclass(frozen=True)
class Settled:
    """A row that reached a final state: what a broadcast counts."""

    outbox_id: int
    participant_id: int
    purpose: str
    broadcast_id: int | None
    state: OutboxState


Listener = Callable[[Settled], Awaitable[None]]


@dataclass(frozen=True)
class _Identity:
    channel: str
    external_id: str
    last_inbound_at: datetime | None
    created_at: datetime
    blocked: bool


@dataclass
class _Claimed:
    id: int
    participant_id: int
    purpose: str
    broadcast_id: int | None
    payload: list[Any]
    attempts: int
    parts_sent: int
    identities: list[_Identity]


@dataclass(frozen=True)
class _Outcome:
    state: OutboxState
    not_before: datetime | None = None
    error: str | None = None
    channel: str | None = None
    attempted: bool = True
    blocked: bool = False  # the channel refused as blocked: mark the identity


class OutboxSender:
    """Sends due outbox rows; `send_due` is the periodic job."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        limiter: RateLimiter | None = None,
        batch_size: int = 30,
        lease: timedelta = timedelta(minutes=2),
        max_attempts: int = 8,
        backoff: timedelta = timedelta(seconds=5),
        max_backoff: timedelta = timedelta(minutes=30),
        max_batches: int = 20,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self.limiter = limiter or RateLimiter(clock)
        self._batch_size = batch_size
        self._lease = lease
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._max_batches = max_batches
        self._senders: dict[str, ChannelSender] = {}
        self._listeners: list[Listener] = []

    def register(self, sender: ChannelSender) -> None:
        """Deliver through this channel adapter from now on."""
        self._senders[sender.channel] = sender

    def sender_for(self, channel: str) -> ChannelSender | None:
        """The adapter registered for `channel`, if any (e.g. to edit a progress message)."""
        return self._senders.get(channel)

    def add_listener(self, listener: Listener) -> None:
        """Call `listener` (after commit) whenever a row is sent, blocked or failed."""
        self._listeners.append(listener)

    async def send_due(self) -> Counter[str]:
        """Send what is due now, batch by batch; returns how many rows ended in each state."""
        totals: Counter[str] = Counter()
        for _ in range(self._max_batches):
            claimed = await self._claim(self._clock.now())
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

    async def _claim(self, now: datetime) -> list[_Claimed]:
        due = or_(
            and_(
                OutboxMessage.state.in_([OutboxState.PENDING, OutboxState.HELD]),
                OutboxMessage.not_before <= now,
            ),
            and_(OutboxMessage.state == OutboxState.SENDING, OutboxMessage.lease_until <= now),
        )
        async with self._sessions() as session, session.begin():
            rows = list(
                await session.scalars(
                    select(OutboxMessage)
                    .where(due)
                    .order_by(OutboxMessage.id)
                    .limit(self._batch_size)
                    .with_for_update(skip_locked=True)
                )
            )
            if not rows:
                return []
            ids = [row.id for row in rows]
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(state=OutboxState.SENDING, lease_until=now + self._lease)
            )
            people = {row.participant_id for row in rows}
            identities: dict[int, list[_Identity]] = defaultdict(list)
            found = await session.execute(
                select(ChannelIdentity, Participant.last_seen_at)
                .join(Participant, Participant.id == ChannelIdentity.participant_id)
                .where(ChannelIdentity.participant_id.in_(people))
            )
            for identity, last_seen in found:
                identities[identity.participant_id].append(_identity(identity, last_seen))
            return [
                _Claimed(
                    row.id,
                    row.participant_id,
                    row.purpose,
                    row.broadcast_id,
                    list(row.payload),
                    row.attempts,
                    row.parts_sent,
                    identities.get(row.participant_id, []),
                )
                for row in rows
            ]

    async def _send_batch(self, claimed: list[_Claimed]) -> Counter[str]:
        by_person: dict[int, list[_Claimed]] = defaultdict(list)
        for row in claimed:
            by_person[row.participant_id].append(row)
        results = await asyncio.gather(
            *(self._send_person(rows) for rows in by_person.values()), return_exceptions=True
        )
        counts: Counter[str] = Counter()
        for result in results:
            if isinstance(result, BaseException):
                log.error("outbox send failed: %r", result, exc_info=result)
                counts["error"] += 1
            else:
                counts.update(result)
        return counts

    async def _send_person(self, rows: list[_Claimed]) -> Counter[str]:
        """One person's rows in order; after one that did not go, the rest wait too."""
        counts: Counter[str] = Counter()
        for number, row in enumerate(rows):
            outcome = await self._send_row(row)
            await self._record(row, outcome)
            counts[outcome.state] += 1
            if outcome.state is not OutboxState.SENT:
                later = rows[number + 1 :]
                if later:
                    await self._release(later, outcome.not_before or self._clock.now())
                    counts["deferred"] += len(later)
                break
        return counts

    async def _send_row(self, row: _Claimed) -> _Outcome:
        now = self._clock.now()
        identity = self._choose(row.identities)
        if identity is None:
            if not row.identities or all(i.blocked for i in row.identities):
                return _Outcome(OutboxState.BLOCKED, error="no reachable channel", attempted=False)
            channels = ",".join(sorted({i.channel for i in row.identities}))
            return _Outcome(
                OutboxState.HELD,
                now + NO_SENDER_WAIT,
                f"no sender for channel {channels}",
                attempted=False,
            )
        sender = self._senders[identity.channel]
        defer = getattr(sender, "defer_until", None)
        if defer is not None:
            until = defer(identity.last_inbound_at, now)
            if until is not None and until > now:
                reason = f"held by {identity.channel} until {until.isoformat(timespec='minutes')}"
                return _Outcome(OutboxState.HELD, until, reason, identity.channel, False)
        try:
            replies = load_replies(row.payload)
        except (TypeError, ValueError) as error:
            return _Outcome(OutboxState.FAILED, error=f"unreadable payload: {error}"[:300])
        key = f"{identity.channel}:{identity.external_id}"
        while row.parts_sent < len(replies):
            await self.limiter.wait(key)
            try:
                await sender.send(identity.external_id, [replies[row.parts_sent]])
            except DeliveryError as error:
                return self._failure(row, identity, error)
            except Exception as error:  # an adapter bug or an unforeseen network error
                return self._failure(
                    row, identity, DeliveryError(DeliveryKind.RETRY, repr(error)[:200])
                )
            row.parts_sent += 1
            if row.parts_sent < len(replies):
                await self._progress(row)
        return _Outcome(OutboxState.SENT, channel=identity.channel)

    def _choose(self, identities: list[_Identity]) -> _Identity | None:
        """The channel the person used last, among those we can send through."""
        usable = [i for i in identities if not i.blocked and i.channel in self._senders]
        if not usable:
            return None
        return max(usable, key=lambda i: (i.last_inbound_at or i.created_at, i.created_at))

    def _failure(self, row: _Claimed, identity: _Identity, error: DeliveryError) -> _Outcome:
        now = self._clock.now()
        reason = f"{error.kind}: {error.reason}"[:300]
        if error.kind is DeliveryKind.BLOCKED:
            rest = [i for i in row.identities if i is not identity]
            state = OutboxState.PENDING if self._choose(rest) is not None else OutboxState.BLOCKED
            return _Outcome(state, now, reason, identity.channel, blocked=True)
        if error.kind is DeliveryKind.FAILED:
            return _Outcome(OutboxState.FAILED, None, reason, identity.channel)
        if error.retry_after is not None:
            until = now + timedelta(seconds=error.retry_after)
            self.limiter.hold(until)
            return _Outcome(OutboxState.PENDING, until, reason, identity.channel)
        if row.attempts + 1 >= self._max_attempts:
            return _Outcome(OutboxState.FAILED, None, reason, identity.channel)
        delay = min(self._backoff * 2**row.attempts, self._max_backoff)
        return _Outcome(OutboxState.PENDING, now + delay, reason, identity.channel)

    async def _progress(self, row: _Claimed) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(parts_sent=row.parts_sent)
            )

    async def _record(self, row: _Claimed, outcome: _Outcome) -> None:
        now = self._clock.now()
        values: dict[str, Any] = {
            "state": outcome.state,
            "lease_until": None,
            "parts_sent": row.parts_sent,
            "last_error": outcome.error,
        }
        if outcome.attempted:
            values["attempts"] = row.attempts + 1
        if outcome.channel is not None:
            values["channel"] = outcome.channel
        if outcome.not_before is not None:
            values["not_before"] = outcome.not_before
        if outcome.state is OutboxState.SENT:
            values["sent_at"] = now
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(OutboxMessage).where(OutboxMessage.id == row.id).values(**values)
            )
            if outcome.blocked:
                await session.execute(
                    update(ChannelIdentity)
                    .where(
                        ChannelIdentity.participant_id == row.participant_id,
                        ChannelIdentity.channel == outcome.channel,
                    )
                    .values(blocked_at=now)
                )
        if outcome.state in (OutboxState.SENT, OutboxState.BLOCKED, OutboxState.FAILED):
            settled = Settled(
                row.id, row.participant_id, row.purpose, row.broadcast_id, outcome.state
            )
            for listener in self._listeners:
                try:
                    await listener(settled)
                except Exception:
                    log.exception("outbox listener failed outbox=%s", row.id)

    async def _release(self, rows: list[_Claimed], not_before: datetime) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([row.id for row in rows]))
                .values(state=OutboxState.PENDING, lease_until=None, not_before=not_before)
            )


def _identity(identity: ChannelIdentity, last_seen: datetime) -> _Identity:
    blocked_at = identity.blocked_at
    # Writing to the bot again after a block means the person unblocked it.
    seen = identity.last_inbound_at or last_seen
    blocked = blocked_at is not None and (seen is None or seen <= blocked_at)
    return _Identity(
        identity.channel,
        identity.external_id,
        identity.last_inbound_at,
        identity.created_at,
        blocked,
    )
