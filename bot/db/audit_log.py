"""The audit log: every privileged action, recorded in the same transaction as the action."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AuditLogEntry


async def record(
    session: AsyncSession,
    actor_id: int | None,
    action: str,
    now: datetime,
    *,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditLogEntry:
    """Record that `actor_id` did `action` (e.g. "role.grant") to `target` (e.g. "participant:7").

    Details hold internal ids and codes only (JSON-safe), never message texts."""
    entry = AuditLogEntry(
        actor_id=actor_id,
        action=action,
        target=target,
        details=dict(details or {}),
        created_at=now,
    )
    session.add(entry)
    await session.flush()
    return entry


async def recent(session: AsyncSession, limit: int = 50) -> list[AuditLogEntry]:
    """The latest entries, newest first."""
    found = await session.scalars(
        select(AuditLogEntry).order_by(AuditLogEntry.id.desc()).limit(limit)
    )
    return list(found)
