"""Channel identities: when a person last wrote on a channel, and linking two channels to one
participant with a one-time code (one person, one progress)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Answer, ChannelIdentity, Enrollment, LinkCode, Participant

# No 0/O, 1/I/L: a code read on one phone and typed on another must survive the eye.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


class LinkOutcome(StrEnum):
    """What entering a link code did."""

    LINKED = "linked"
    UNKNOWN = "unknown"  # no such code, or mistyped
    EXPIRED = "expired"
    USED = "used"
    SAME = "same"  # the code belongs to this very participant
    SAME_CHANNEL = "same_channel"  # the code's owner already uses this channel
    HAS_PROGRESS = "has_progress"  # this account has progress of its own: link the other way
    BOTH_PROGRESS = "both_progress"


@dataclass(frozen=True)
class LinkResult:
    """The outcome and, when linked, the participant who continues."""

    outcome: LinkOutcome
    participant: Participant | None = None


def normalise_code(text: str) -> str:
    """A code as typed (any case, spaces or dashes) in its stored form."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def format_code(code: str) -> str:
    """A code as shown: two groups of four."""
    return f"{code[:4]}-{code[4:]}"


async def create_code(
    session: AsyncSession, participant_id: int, channel: str, now: datetime, ttl: timedelta
) -> str:
    """A fresh one-time code for the participant; their older unused codes stop working."""
    await session.execute(
        delete(LinkCode).where(
            LinkCode.participant_id == participant_id, LinkCode.used_at.is_(None)
        )
    )
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        taken = await session.scalar(select(exists().where(LinkCode.code == code)))
        if not taken:
            break
    session.add(
        LinkCode(
            code=code,
            participant_id=participant_id,
            channel=channel,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    await session.flush()
    return code


async def has_progress(session: AsyncSession, participant_id: int) -> bool:
    """Whether the participant has answered anything in the course."""
    return bool(
        await session.scalar(
            select(
                exists()
                .where(Answer.enrollment_id == Enrollment.id)
                .where(Enrollment.participant_id == participant_id)
            )
        )
    )


async def redeem_code(
    session: AsyncSession, typed: str, current: Participant, channel: str, now: datetime
) -> LinkResult:
    """Join the current participant's identities to the code's owner, who keeps their progress.

    The current participant (a fresh account on the other channel) is then removed; an account
    that already has progress of its own is never removed: the person is told to link the
    other way round instead."""
    link = await session.scalar(select(LinkCode).where(LinkCode.code == normalise_code(typed)))
    if link is None:
        return LinkResult(LinkOutcome.UNKNOWN)
    if link.used_at is not None:
        return LinkResult(LinkOutcome.USED)
    if link.expires_at <= now:
        return LinkResult(LinkOutcome.EXPIRED)
    if link.participant_id == current.id:
        return LinkResult(LinkOutcome.SAME)
    owner_channels = await session.scalars(
        select(ChannelIdentity.channel).where(ChannelIdentity.participant_id == link.participant_id)
    )
    if channel in set(owner_channels):
        return LinkResult(LinkOutcome.SAME_CHANNEL)
    if await has_progress(session, current.id):
        if await has_progress(session, link.participant_id):
            return LinkResult(LinkOutcome.BOTH_PROGRESS)
        return LinkResult(LinkOutcome.HAS_PROGRESS)
    owner = await session.get(Participant, link.participant_id)
    assert owner is not None  # the code is deleted with its owner
    link.used_at = now
    await session.flush()  # the current participant's pending changes, before it goes
    await session.execute(
        update(ChannelIdentity)
        .where(ChannelIdentity.participant_id == current.id)
        .values(participant_id=owner.id)
    )
    await session.execute(delete(Participant).where(Participant.id == current.id))
    session.expunge(current)
    owner.last_seen_at = now
    await session.flush()
    return LinkResult(LinkOutcome.LINKED, owner)
