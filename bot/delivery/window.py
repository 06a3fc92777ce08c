"""Messages that wait for a person: Messenger's 24-hour window, opened each time the person
writes, and the notices of waiting lessons sent with a message tag when it is closed."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db import participants
from bot.db.models import ChannelIdentity, OutboxMessage, Participant
from bot.delivery import outbox
from bot.delivery.outbox import OutboxState
from bot.delivery.payload import dump_replies
from bot.kernel.messages import Message

NOTICE_PURPOSE = "tagged_notice"


# A write of "when they last wrote" is skipped when the stored one is this fresh: a person
# answering a quiz writes every few seconds, and the window (24 hours) and the choice of the
# channel to reach someone on need no finer grain. A skipped write errs early, never late.
FRESH = timedelta(minutes=1)


def is_fresh(stored: datetime | None, now: datetime) -> bool:
    """True when a stored "last wrote" moment is recent enough to leave as it is."""
    return stored is not None and timedelta(0) <= now - stored < FRESH


async def note_inbound(
    session: AsyncSession, participant_id: int, channel: str, external_id: str, now: datetime
) -> int:
    """The person just wrote on this channel: Messenger's 24-hour window opens again, and
    messages held for it may go now; how many were waiting. What the turn's first statement
    read (participants.find_for_turn) spares the writes that would change nothing."""
    known = participants.inbound_facts(session, participant_id)
    if known is None or not is_fresh(known.last_inbound_at, now):
        await session.execute(
            update(ChannelIdentity)
            .where(ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id)
            .values(last_inbound_at=now)
            .execution_options(synchronize_session=False)
        )
    if known is not None and not known.held:
        return 0
    return await outbox.release_held(session, participant_id, now)


async def waiting_people(
    sessions: async_sessionmaker[AsyncSession], channel: str
) -> list[tuple[ChannelIdentity, str]]:
    """Each reachable person with messages held on `channel`, with their language."""
    async with sessions() as session:
        rows = await session.execute(
            select(ChannelIdentity, Participant.language)
            .join(Participant, Participant.id == ChannelIdentity.participant_id)
            .join(OutboxMessage, OutboxMessage.participant_id == Participant.id)
            .where(
                ChannelIdentity.channel == channel,
                ChannelIdentity.blocked_at.is_(None),
                OutboxMessage.state == OutboxState.HELD.value,
                OutboxMessage.channel == channel,
            )
            .distinct()
        )
        return [(identity, language) for identity, language in rows.all()]


async def claim_notice(
    sessions: async_sessionmaker[AsyncSession],
    identity: ChannelIdentity,
    message: Message,
    tag: str,
    now: datetime,
) -> int | None:
    """The row of this window's notice, claimed for sending; None if it exists already."""
    opened = identity.last_inbound_at.isoformat() if identity.last_inbound_at else "never"
    values = {
        "participant_id": identity.participant_id,
        "purpose": NOTICE_PURPOSE,
        "dedupe_key": f"{tag}:{opened}",
        "payload": dump_replies([message]),
        "state": OutboxState.SENDING.value,
        "not_before": now,
        "lease_until": now + timedelta(minutes=5),
        "attempts": 1,
        "parts_sent": 0,
        "channel": identity.channel,
        "created_at": now,
    }
    async with sessions() as session, session.begin():
        dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(OutboxMessage).values(**values)
        keys = ["participant_id", "purpose", "dedupe_key"]
        return await session.scalar(
            statement.on_conflict_do_nothing(index_elements=keys).returning(OutboxMessage.id)
        )


async def settle_notice(
    sessions: async_sessionmaker[AsyncSession],
    notice_id: int,
    sent_at: datetime | None,
    error: str | None,
) -> None:
    """Mark a notice sent (sent_at) or failed (error)."""
    state = OutboxState.SENT.value if sent_at is not None else OutboxState.FAILED.value
    async with sessions() as session, session.begin():
        row = await session.get(OutboxMessage, notice_id)
        if row is not None:
            row.state, row.last_error, row.sent_at = state, error, sent_at
            row.lease_until, row.parts_sent = None, 1 if sent_at else 0
