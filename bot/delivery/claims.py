"""Claiming outbox rows for a short lease: the due rows of everyone (the sender's loop), or one
person's unsent rows (a turn's replies, sent at once after its commit). PostgreSQL skips rows
another process holds (FOR UPDATE SKIP LOCKED), so workers share the work and never send a
row twice; SQLite has one writer."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ChannelIdentity, OutboxMessage, Participant
from bot.delivery.outbox import REPLY_PURPOSE, OutboxState
from bot.kernel.messages import Outbound


@dataclass(frozen=True)
class Identity:
    """One way to reach a person, as the sender sees it."""

    channel: str
    external_id: str
    last_inbound_at: datetime | None
    created_at: datetime
    blocked: bool


@dataclass
class Claimed:
    """A row this worker holds until its lease ends (renewed while it works)."""

    id: int
    participant_id: int
    purpose: str
    broadcast_id: int | None
    payload: list[Any]
    attempts: int
    parts_sent: int
    identities: list[Identity]
    # A reply goes back where the update came from: (channel, chat), and what was pressed.
    target: tuple[str, str] | None = None
    source: dict[str, Any] | None = None
    # The replies themselves when this process wrote the row just now (no decoding needed).
    replies: list[Outbound] | None = None


def _expired(now: datetime) -> Any:
    return and_(OutboxMessage.state == OutboxState.SENDING, OutboxMessage.lease_until <= now)


def due_clause(now: datetime) -> Any:
    """Rows whose time has come, and rows of a worker whose lease ran out."""
    waiting = OutboxMessage.state.in_([OutboxState.PENDING, OutboxState.HELD])
    return or_(and_(waiting, OutboxMessage.not_before <= now), _expired(now))


def person_clause(participant_id: int, now: datetime) -> Any:
    """One person's rows to send now: what is due, and every reply still owed (a reply that
    failed is tried again at once when its update comes again or the person writes)."""
    reply_owed = and_(
        OutboxMessage.state == OutboxState.PENDING, OutboxMessage.purpose == REPLY_PURPOSE
    )
    pending_due = and_(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.not_before <= now)
    return and_(
        OutboxMessage.participant_id == participant_id,
        or_(reply_owed, pending_due, _expired(now)),
    )


async def claim(
    session: AsyncSession, where: Any, now: datetime, lease: timedelta, limit: int
) -> list[Claimed]:
    """Lock and lease up to `limit` rows matching `where`, replies first, then by age."""
    first = case((OutboxMessage.purpose == REPLY_PURPOSE, 0), else_=1)
    rows = list(
        await session.scalars(
            select(OutboxMessage)
            .where(where)
            .order_by(first, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not rows:
        return []
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_([row.id for row in rows]))
        .values(state=OutboxState.SENDING, lease_until=now + lease)
    )
    identities = await _identities(session, {row.participant_id for row in rows})
    return [
        Claimed(
            row.id,
            row.participant_id,
            row.purpose,
            row.broadcast_id,
            list(row.payload),
            row.attempts,
            row.parts_sent,
            identities.get(row.participant_id, []),
            (row.channel, row.external_id) if row.channel and row.external_id else None,
            dict(row.source) if row.source else None,
        )
        for row in sorted(rows, key=lambda r: r.id)
    ]


async def _identities(session: AsyncSession, people: set[int]) -> dict[int, list[Identity]]:
    found: dict[int, list[Identity]] = defaultdict(list)
    rows = await session.execute(
        select(ChannelIdentity, Participant.last_seen_at)
        .join(Participant, Participant.id == ChannelIdentity.participant_id)
        .where(ChannelIdentity.participant_id.in_(people))
    )
    for identity, last_seen in rows:
        found[identity.participant_id].append(_identity(identity, last_seen))
    return found


def _identity(identity: ChannelIdentity, last_seen: datetime) -> Identity:
    blocked_at = identity.blocked_at
    # Writing to the bot again after a block means the person unblocked it.
    seen = identity.last_inbound_at or last_seen
    blocked = blocked_at is not None and (seen is None or seen <= blocked_at)
    return Identity(
        identity.channel,
        identity.external_id,
        identity.last_inbound_at,
        identity.created_at,
        blocked,
    )


async def renew(session: AsyncSession, ids: list[int], until: datetime) -> None:
    """Extend the lease of rows this worker is still sending."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.state == OutboxState.SENDING)
        .values(lease_until=until)
    )


async def recover_orphans(session: AsyncSession, now: datetime) -> int:
    """Rows left "sending" by a process that died (SQLite: one process, so every such row at
    start is an orphan): send them now."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.state == OutboxState.SENDING)
        .values(state=OutboxState.PENDING, lease_until=None, not_before=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)
