"""What became of each send, written down: sent, pending again (with when), held, blocked or
failed. Rows that were simply sent, by any number of concurrent senders at the same moment,
are marked in one transaction together (a batch per event-loop turn), not one each; refusals
are written one by one with the identity they mark. Listeners (a broadcast's counter, the
turn's "sorry" for a refused reply) hear of every row that reached a final state."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import ChannelIdentity, OutboxMessage
from bot.delivery.claims import Claimed
from bot.delivery.outbox import FINAL_STATES, OutboxState
from bot.kernel.clock import Clock

log = logging.getLogger("bot.delivery")
WRITE_ATTEMPTS = 3  # a sent row left "sending" would go again once its lease ran out


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
class Outcome:
    """What one attempt at a row came to."""

    state: OutboxState
    not_before: datetime | None = None
    error: str | None = None
    channel: str | None = None
    attempted: bool = True
    blocked: bool = False  # the channel refused as blocked: mark the identity


_OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]
_SENT = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("row_id"))
    .values(
        state=OutboxState.SENT.value,
        lease_until=None,
        last_error=None,
        parts_sent=bindparam("parts"),
        attempts=bindparam("tries"),
        channel=bindparam("via"),
        sent_at=bindparam("at"),
    )
)


class Settler:
    """Records outcomes; sent rows in shared batches."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self.listeners: list[Listener] = []
        self._batch: list[tuple[Claimed, Outcome, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, row: Claimed, outcome: Outcome) -> None:
        """Write what became of `row` (returns once it is committed), then tell listeners."""
        if outcome.state is OutboxState.SENT and not outcome.blocked:
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._batch.append((row, outcome, done))
            if self._writer is None or self._writer.done():
                self._writer = asyncio.create_task(self._write_batches())
            await done
        else:
            await _retried(lambda: self._write_one(row, outcome))
        if outcome.state in FINAL_STATES:
            await self._tell(row, outcome.state)

    async def close(self) -> None:
        """Finish writing what was sent (shutdown)."""
        if self._writer is not None:
            await asyncio.shield(self._writer)

    async def _write_batches(self) -> None:
        await asyncio.sleep(0)  # senders finishing in this turn of the loop join the batch
        while self._batch:
            batch, self._batch = self._batch, []
            rows = [
                {
                    "row_id": row.id,
                    "parts": row.parts_sent,
                    "tries": row.attempts + 1 if outcome.attempted else row.attempts,
                    "via": outcome.channel,
                    "at": self._clock.now(),
                }
                for row, outcome, _ in batch
            ]
            try:
                await _retried(lambda: self._write_sent(rows))  # noqa: B023
            except Exception as error:
                for *_, done in batch:
                    done.set_exception(error)
            else:
                for *_, done in batch:
                    done.set_result(None)

    async def _write_sent(self, rows: list[dict[str, Any]]) -> None:
        async with self._sessions() as session, session.begin():
            connection = await session.connection()
            await connection.execute(_SENT, rows)

    async def _write_one(self, row: Claimed, outcome: Outcome) -> None:
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
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if outcome.blocked:
                await session.execute(
                    update(ChannelIdentity)
                    .where(
                        ChannelIdentity.participant_id == row.participant_id,
                        ChannelIdentity.channel == outcome.channel,
                    )
                    .values(blocked_at=now)
                    .execution_options(synchronize_session=False)
                )

    async def _tell(self, row: Claimed, state: OutboxState) -> None:
        settled = Settled(row.id, row.participant_id, row.purpose, row.broadcast_id, state)
        for listener in self.listeners:
            try:
                await listener(settled)
            except Exception:
                log.exception("outbox listener failed outbox=%s", row.id)


async def _retried(write: Callable[[], Awaitable[None]]) -> None:
    for attempt in range(WRITE_ATTEMPTS):
        try:
            await write()
            return
        except Exception:
            if attempt == WRITE_ATTEMPTS - 1:
                raise
            log.warning("outbox record retry attempt=%d", attempt + 1)
            await asyncio.sleep(0.05 * 2**attempt)
