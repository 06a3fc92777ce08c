"""Who may do what: every participant is a participant; admins come from the settings;
trainers and coordinators (and further admins) are granted in the database (role_grants)."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import participants
from bot.db.models import ChannelIdentity, Participant, RoleGrant
from bot.kernel.registry import ADMIN, PARTICIPANT


class Admins(Protocol):
    """Who is an admin by configuration: ADMIN_TELEGRAM_IDS and the terminal's --admin (the
    Deps satisfy it; a feature that checks roles needs nothing more)."""

    @property
    def admin_telegram_ids(self) -> frozenset[int]: ...

    @property
    def console_admins(self) -> frozenset[str]: ...


def is_configured_admin(deps: Admins, channel: str, user_id: str) -> bool:
    """Whether this platform identity is an admin by configuration."""
    if channel == "telegram":
        return user_id.isdigit() and int(user_id) in deps.admin_telegram_ids
    if channel == "console":
        return user_id in deps.console_admins
    return False


async def roles_of(
    session: AsyncSession, deps: Admins, participant: Participant, channel: str, user_id: str
) -> frozenset[str]:
    """The roles of the person behind this update."""
    roles = {PARTICIPANT}
    if is_configured_admin(deps, channel, user_id):
        roles.add(ADMIN)
    cached = participants.cached_roles(session, participant.id)
    roles.update(cached if cached is not None else await granted_roles(session, participant.id))
    return frozenset(roles)


async def granted_roles(session: AsyncSession, participant_id: int) -> set[str]:
    """The roles granted to a participant in the database."""
    found = await session.scalars(
        select(RoleGrant.role).where(RoleGrant.participant_id == participant_id)
    )
    return set(found)


async def holders(session: AsyncSession, deps: Admins, role: str) -> list[Participant]:
    """Participants who hold `role` (admins hold every role), ordered by id."""
    admin_ids = [str(user_id) for user_id in deps.admin_telegram_ids]
    configured = (
        select(ChannelIdentity.participant_id).where(
            ChannelIdentity.channel == "telegram", ChannelIdentity.external_id.in_(admin_ids)
        )
        if admin_ids
        else None
    )
    granted = select(RoleGrant.participant_id).where(RoleGrant.role.in_(sorted({role, ADMIN})))
    condition = (
        or_(Participant.id.in_(granted), Participant.id.in_(configured))
        if configured is not None
        else Participant.id.in_(granted)
    )
    found = await session.scalars(select(Participant).where(condition).order_by(Participant.id))
    return list(found)
