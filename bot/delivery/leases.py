"""Keeping leases alive: while a worker holds rows (outbox messages, tracked tasks), it moves
their lease ahead of the clock every third of the lease, so no other worker takes them; when
it dies, the renewals stop and the rows are taken over once the lease runs out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("bot.delivery")


async def keep_renewed(
    held: Callable[[], list[int]],
    renew: Callable[[list[int]], Awaitable[None]],
    lease_seconds: float,
    what: str,
) -> None:
    """Call `renew(ids)` every lease/3 seconds while `held()` names any rows; a failed
    renewal is logged and tried again at the next round."""
    while held():
        await asyncio.sleep(lease_seconds / 3)
        ids = held()
        if not ids:
            break
        try:
            await renew(ids)
        except Exception as error:
            log.warning("lease renewal failed what=%s rows=%d: %r", what, len(ids), error)
