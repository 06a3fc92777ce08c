"""Who may do what: every participant is a participant; admins come from the settings."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ChannelIdentity, Participant
from bot.dialogue.deps import Deps
from bot.dialogue.registry import ADMIN, PARTICIPANT


def is_configured_admin(deps: Deps, channel: str, user_id: str) -> bool:
    """Whether this platform identity is an admin by configuration."""
    if channel == "telegram":
        return user_id.isdigit() and int(user_id) in deps.admin_telegram_ids
    if channel == "console":
        return user_id in deps.console_admins
    return False


async def roles_of(
    session: AsyncSession, deps: Deps, participant: Participant, channel: str, user_id: str
) -> frozenset[str]:
    """The roles of the person behind this update."""
    roles = {PARTICIPANT}
    if is_configured_admin(deps, channel, user_id):
        roles.add(ADMIN)
    return frozenset(roles)


async def holders(session: AsyncSession, deps: Deps, role: str) -> list[Participant]:
    """Participants who hold `role` (admins hold every role), ordered by id."""
    admin_ids = [str(user_id) for user_id in deps.admin_telegram_ids]
    if not admin_ids:
        return []
    found = await session.scalars(
        select(Participant)
        .join(ChannelIdentity)
        .where(ChannelIdentity.channel == "telegram", ChannelIdentity.external_id.in_(admin_ids))
        .order_by(Participant.id)
    )
    return list(found.unique())
