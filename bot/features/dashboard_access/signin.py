"""One-time sign-in links and browser sessions of the dashboard, stored hashed.

A link (/dashboard/login/<token>) works once and for LINK_TTL; a session lasts
DASHBOARD_SESSION_HOURS. Only SHA-256 digests of both tokens are kept, so a copy of the
database signs nobody in. Roles are never stored with a session: `session_roles` reads them
again on every request (a revoked role is gone at the next click)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    ChannelIdentity,
    DashboardLoginToken,
    DashboardSession,
    Participant,
)
from bot.kernel.registry import ADMIN, COORDINATOR, PARTICIPANT, TRAINER
from bot.kernel.roles import Admins, granted_roles, is_configured_admin

LINK_TTL = timedelta(minutes=10)
DASHBOARD_ROLES = frozenset({TRAINER, COORDINATOR, ADMIN})
LOGIN_PATH = "/dashboard/login/"


def digest(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def may_open(roles: frozenset[str]) -> bool:
    """Whether someone with these roles may open the dashboard at all."""
    return bool(roles & DASHBOARD_ROLES)


async def create_link_token(
    session: AsyncSession,
    participant_id: int,
    channel: str,
    external_id: str,
    now: datetime,
    ttl: timedelta = LINK_TTL,
) -> str:
    """A fresh one-time token (the link's last part); the person's unused ones stop working."""
    await session.execute(
        delete(DashboardLoginToken).where(
            DashboardLoginToken.participant_id == participant_id,
            DashboardLoginToken.used_at.is_(None),
        )
    )
    token = secrets.token_urlsafe(32)
    session.add(
        DashboardLoginToken(
            token_hash=digest(token),
            participant_id=participant_id,
            channel=channel,
            external_id=external_id,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    await session.flush()
    return token


class LinkOutcome(StrEnum):
    """What opening a sign-in link found."""

    OK = "ok"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Identity:
    """Who signs in: the participant and the chat account they came from."""

    participant_id: int
    channel: str
    external_id: str


async def redeem_link_token(
    session: AsyncSession, token: str, now: datetime
) -> tuple[LinkOutcome, Identity | None]:
    """Use a link token up (once); its identity when it was valid."""
    if not token or len(token) > 128:
        return LinkOutcome.UNKNOWN, None
    hashed = digest(token)
    table = DashboardLoginToken
    taken = await session.execute(  # one statement: two clicks at once cannot both sign in
        update(table)
        .where(table.token_hash == hashed, table.used_at.is_(None), table.expires_at > now)
        .values(used_at=now)
        .returning(table.participant_id, table.channel, table.external_id)
        .execution_options(synchronize_session=False)
    )
    row = taken.first()
    if row is not None:
        return LinkOutcome.OK, Identity(row[0], row[1], row[2])
    found = await session.scalar(select(table).where(table.token_hash == hashed))
    if found is None:
        return LinkOutcome.UNKNOWN, None
    if found.used_at is not None:
        return LinkOutcome.USED, None
    return LinkOutcome.EXPIRED, None


async def telegram_identity(session: AsyncSession, user_id: int) -> Identity | None:
    """The participant behind a Telegram user id (from a Mini App's initData), if any."""
    participant_id = await session.scalar(
        select(ChannelIdentity.participant_id).where(
            ChannelIdentity.channel == "telegram", ChannelIdentity.external_id == str(user_id)
        )
    )
    return Identity(participant_id, "telegram", str(user_id)) if participant_id else None


async def start_session(
    session: AsyncSession, identity: Identity, now: datetime, lifetime: timedelta
) -> str:
    """A new browser session (the cookie's value); expired sessions are cleared on the way."""
    await session.execute(delete(DashboardSession).where(DashboardSession.expires_at <= now))
    await session.execute(
        delete(DashboardLoginToken).where(DashboardLoginToken.expires_at <= now - LINK_TTL)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        DashboardSession(
            token_hash=digest(token),
            participant_id=identity.participant_id,
            channel=identity.channel,
            external_id=identity.external_id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + lifetime,
            last_seen_at=now,
        )
    )
    await session.flush()
    return token


async def find_session(
    session: AsyncSession, token: str | None, now: datetime
) -> DashboardSession | None:
    """The live session of a cookie, or None."""
    if not token or len(token) > 128:
        return None
    found = await session.scalar(
        select(DashboardSession).where(DashboardSession.token_hash == digest(token))
    )
    if found is None or found.expires_at <= now:
        return None
    return found


async def end_session(session: AsyncSession, token: str | None) -> None:
    """Sign out: the session's row goes."""
    if token:
        await session.execute(
            delete(DashboardSession).where(DashboardSession.token_hash == digest(token))
        )


async def session_roles(
    session: AsyncSession, admins: Admins, signed_in: DashboardSession
) -> tuple[Participant | None, frozenset[str]]:
    """The participant of a session and their roles now: granted ones from the database and
    admin by configuration (ADMIN_TELEGRAM_IDS: the account they signed in from, or any
    Telegram account joined to them)."""
    participant = await session.get(Participant, signed_in.participant_id)
    if participant is None:
        return None, frozenset()
    roles = {PARTICIPANT, *await granted_roles(session, participant.id)}
    accounts = {(signed_in.channel, signed_in.external_id)}
    accounts.update(
        (identity.channel, identity.external_id)
        for identity in await session.scalars(
            select(ChannelIdentity).where(ChannelIdentity.participant_id == participant.id)
        )
    )
    if any(is_configured_admin(admins, channel, user) for channel, user in accounts):
        roles.add(ADMIN)
    return participant, frozenset(roles)
