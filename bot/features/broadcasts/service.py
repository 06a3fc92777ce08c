"""Broadcasts: who receives one, what each recipient gets, and starting one through the outbox.

Every recipient's copy is one outbox row (purpose "broadcast", dedupe key "broadcast:<id>",
broadcast_id set), written in the same transaction that marks the broadcast as sending: the
outbox sender delivers them at the platform's pace, and a crash or restart neither loses nor
repeats a copy (bar the one in flight)."""

from __future__ import annotations

import html
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import CourseIndex
from bot.db.models import Broadcast, ChannelIdentity, OutboxMessage, Participant
from bot.delivery.outbox import OutboxState, Queued, broadcast_counts, enqueue_many
from bot.kernel.messages import Media, Message, Outbound
from bot.kernel.snapshot import load_snapshot

PURPOSE = "broadcast"
REPORT_PURPOSE = "broadcast_report"
TEXT_LIMIT = 4096  # Telegram's limit of a text message (UTF-16 code units)
CAPTION_LIMIT = 1024  # ... and of a photo's or document's caption
ATTACHMENT_KINDS = ("photo", "document")
SCHEDULED, SENDING, DONE, CANCELLED = "scheduled", "sending", "done", "cancelled"
UNFINISHED = (OutboxState.PENDING, OutboxState.HELD, OutboxState.SENDING)
ALL, BEHIND = "all", "behind"


def utf16_len(text: str) -> int:
    """Length as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def recipient_replies(text: str, attachment: str, *, telegram_only: bool) -> list[Outbound]:
    """What one recipient receives (and the author's preview shows): the trainer's text,
    escaped here, the one place it is rendered, so what they typed arrives as typed.

    An attachment travels by its Telegram file id: with the text as its caption when the
    recipient is reached on Telegram only and the text fits; otherwise the file first and the
    text as its own message (another channel shows the text and leaves the file out)."""
    body = html.escape(text)
    kind, _, file_id = attachment.partition(":")
    if kind not in ATTACHMENT_KINDS or not file_id:
        return [Message(body)]
    if telegram_only and utf16_len(text) <= CAPTION_LIMIT:
        return [Media(kind, file_id, body)]
    return [Media(kind, file_id), *([Message(body)] if text.strip() else [])]


async def recipients(
    session: AsyncSession, index: CourseIndex, now: datetime, zone: ZoneInfo, audience: str
) -> list[int]:
    """The ids of the onboarded participants an audience means, now."""
    kind, _, value = audience.partition(":")
    if kind == BEHIND:
        snapshot = await load_snapshot(session, index, now, zone)
        return [person.id for person in snapshot.people if person.behind]
    query = select(Participant.id).where(Participant.onboarded_at.is_not(None))
    if kind == "cohort" and value.isdigit():
        query = query.where(Participant.cohort_id == int(value))
    elif kind == "municipality":
        query = query.where(Participant.municipality == value)
    elif kind == "role":
        query = query.where(Participant.role == value)
    elif kind != ALL:
        return []
    return list(await session.scalars(query.order_by(Participant.id)))


async def _telegram_only(session: AsyncSession, ids: list[int]) -> set[int]:
    """Which of these participants are reached on Telegram and nowhere else."""
    channels: dict[int, set[str]] = {}
    for pid, channel in await session.execute(
        select(ChannelIdentity.participant_id, ChannelIdentity.channel).where(
            ChannelIdentity.participant_id.in_(ids)
        )
    ):
        channels.setdefault(pid, set()).add(channel)
    return {pid for pid, found in channels.items() if found == {"telegram"}}


async def start(
    session: AsyncSession,
    broadcast: Broadcast,
    index: CourseIndex,
    now: datetime,
    zone: ZoneInfo,
) -> int:
    """Queue a copy for every recipient and mark the broadcast as sending; how many."""
    ids = await recipients(session, index, now, zone, broadcast.audience)
    telegram_only = await _telegram_only(session, ids) if broadcast.attachment else set()
    key = f"broadcast:{broadcast.id}"
    items = [
        Queued(
            pid,
            key,
            recipient_replies(
                broadcast.text, broadcast.attachment, telegram_only=pid in telegram_only
            ),
            purpose=PURPOSE,
            broadcast_id=broadcast.id,
        )
        for pid in ids
    ]
    for first in range(0, len(items), 500):
        await enqueue_many(session, items[first : first + 500], now)
    broadcast.state = SENDING
    broadcast.recipients = len(items)
    broadcast.started_at = now
    return len(items)


async def progress(session: AsyncSession, broadcast_id: int) -> tuple[Counter[str], bool]:
    """A broadcast's rows per outbox state, and whether every row reached a final state."""
    counts = Counter(await broadcast_counts(session, broadcast_id))
    return counts, not any(counts[state] for state in UNFINISHED)


async def reasons(session: AsyncSession, broadcast_id: int) -> dict[str, int]:
    """Why copies were not delivered: each blocked or failed row's last error, counted."""
    found = await session.execute(
        select(OutboxMessage.last_error, func.count())
        .where(
            OutboxMessage.broadcast_id == broadcast_id,
            OutboxMessage.state.in_([OutboxState.BLOCKED, OutboxState.FAILED]),
        )
        .group_by(OutboxMessage.last_error)
    )
    return {str(error or "?"): int(count) for error, count in found}


async def finish(session: AsyncSession, broadcast: Broadcast, now: datetime) -> dict[str, object]:
    """Write the final report on the broadcast and mark it done."""
    counts, _ = await progress(session, broadcast.id)
    broadcast.report = {
        "sent": counts[OutboxState.SENT],
        "blocked": counts[OutboxState.BLOCKED],
        "failed": counts[OutboxState.FAILED],
        "reasons": await reasons(session, broadcast.id),
    }
    broadcast.state = DONE
    broadcast.finished_at = now
    return broadcast.report
