"""The outbox: one durable row per message the bot owes someone, unique per
(recipient, purpose, dedupe key), so a tick run twice never sends twice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import OutboxMessage
from bot.db.prepared import prepared, table_of
from bot.delivery.payload import dump_replies
from bot.kernel.messages import Outbound


class OutboxState(StrEnum):
    """Where an outbox row is."""

    PENDING = "pending"  # waiting for its time (not_before)
    HELD = "held"  # waiting for the channel (e.g. Messenger's 24-hour rule); see last_error
    SENDING = "sending"  # claimed by a sender until lease_until
    SENT = "sent"
    BLOCKED = "blocked"  # the person blocked the bot, or no channel reaches them
    FAILED = "failed"  # refused by the platform, or retries used up


FINAL_STATES = (OutboxState.SENT, OutboxState.BLOCKED, OutboxState.FAILED)
REPLY_PURPOSE = "reply"  # a turn's answer: sent at once after its commit, before bulk rows


def _insert(session: AsyncSession) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


async def enqueue_reply(
    session: AsyncSession,
    *,
    participant_id: int,
    channel: str,
    external_id: str,
    update_key: str,
    replies: Sequence[Outbound],
    now: datetime,
    source: dict[str, str] | None = None,
    leased_until: datetime | None = None,
) -> int | None:
    """A turn's replies as one durable row in the turn's transaction, keyed by the update
    (channel and update id; the parts are its ordinals), addressed to the chat the update
    came from. `source` says what was pressed: the message to edit, the press to answer.
    `leased_until`: the row is born claimed by this worker (it sends it after the commit).
    Returns the row's id (None if this update's replies were written before)."""
    values: dict[str, Any] = {
        "participant_id": participant_id,
        "purpose": REPLY_PURPOSE,
        "dedupe_key": f"{channel}:{update_key}"[:160],
        "payload": dump_replies(replies),
        "state": OutboxState.PENDING.value,
        "not_before": now,
        "attempts": 0,
        "parts_sent": 0,
        "channel": channel,
        "external_id": external_id,
        "source": source or None,
        "created_at": now,
        "lease_until": leased_until,
    }
    if leased_until is not None:
        values["state"] = OutboxState.SENDING.value
    statement = prepared(session, "enqueue_reply", _reply_statement)
    row_id: int | None = await session.scalar(statement, values)
    return row_id


def _reply_statement(dialect: str) -> Any:
    """enqueue_reply's INSERT … ON CONFLICT DO NOTHING RETURNING id, built once (Core)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = table_of(OutboxMessage)
    keys = ["participant_id", "purpose", "dedupe_key"]
    return insert(table).on_conflict_do_nothing(index_elements=keys).returning(table.c.id)


async def enqueue(
    session: AsyncSession,
    *,
    participant_id: int,
    dedupe_key: str,
    replies: Sequence[Outbound],
    now: datetime,
    not_before: datetime | None = None,
    purpose: str = "message",
    broadcast_id: int | None = None,
) -> bool:
    """Add one durable outbox row; False (nothing added) if this recipient already has a row
    with this purpose and dedupe key. Commits with the caller's transaction."""
    values: dict[str, Any] = {
        "participant_id": participant_id,
        "purpose": purpose,
        "dedupe_key": dedupe_key,
        "broadcast_id": broadcast_id,
        "payload": dump_replies(replies),
        "state": OutboxState.PENDING.value,
        "not_before": not_before or now,
        "attempts": 0,
        "parts_sent": 0,
        "created_at": now,
    }
    keys = ["participant_id", "purpose", "dedupe_key"]
    statement = _insert(session)(OutboxMessage).values(**values)
    added = await session.scalar(
        statement.on_conflict_do_nothing(index_elements=keys).returning(OutboxMessage.id)
    )
    return added is not None


@dataclass(frozen=True)
class Queued:
    """One row for `enqueue_many`."""

    participant_id: int
    dedupe_key: str
    replies: Sequence[Outbound]
    purpose: str = "message"
    not_before: datetime | None = None
    broadcast_id: int | None = None


async def enqueue_many(session: AsyncSession, items: Sequence[Queued], now: datetime) -> None:
    """Add many rows in one statement (a batch of lessons, a broadcast); rows whose
    (recipient, purpose, dedupe key) already exist are skipped silently."""
    if not items:
        return
    values = [
        {
            "participant_id": item.participant_id,
            "purpose": item.purpose,
            "dedupe_key": item.dedupe_key,
            "broadcast_id": item.broadcast_id,
            "payload": dump_replies(item.replies),
            "state": OutboxState.PENDING.value,
            "not_before": item.not_before or now,
            "attempts": 0,
            "parts_sent": 0,
            "created_at": now,
        }
        for item in items
    ]
    keys = ["participant_id", "purpose", "dedupe_key"]
    statement = _insert(session)(OutboxMessage).on_conflict_do_nothing(index_elements=keys)
    await session.execute(statement, values)


async def release_held(session: AsyncSession, participant_id: int, now: datetime) -> int:
    """Let the person's held rows go now (e.g. they wrote again on Messenger); how many."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.participant_id == participant_id,
            OutboxMessage.state == OutboxState.HELD.value,
        )
        .values(state=OutboxState.PENDING.value, not_before=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def broadcast_counts(session: AsyncSession, broadcast_id: int) -> dict[str, int]:
    """How many of a broadcast's rows are in each state (sent, blocked, failed, pending, ...)."""
    rows = await session.execute(
        select(OutboxMessage.state, func.count())
        .where(OutboxMessage.broadcast_id == broadcast_id)
        .group_by(OutboxMessage.state)
    )
    return {state: int(count) for state, count in rows}


async def state_counts(session: AsyncSession) -> dict[str, int]:
    """How many rows of the whole outbox are in each state (for health and the lead's eyes)."""
    rows = await session.execute(
        select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
    )
    return {state: int(count) for state, count in rows}
