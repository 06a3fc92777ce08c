"""Messages to anyone but the person whose update is being handled leave through the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import outbox
from bot.kernel.messages import Outbound


async def send_later(
    session: AsyncSession,
    participant_id: int,
    key: str,
    replies: Sequence[Outbound],
    now: datetime,
    *,
    not_before: datetime | None = None,
    purpose: str = "ideas",
) -> bool:
    """Queue messages for a participant once per key; False if this key was queued before."""
    return await outbox.enqueue(
        session,
        participant_id=participant_id,
        dedupe_key=key,
        replies=replies,
        now=now,
        not_before=not_before,
        purpose=purpose,
    )
