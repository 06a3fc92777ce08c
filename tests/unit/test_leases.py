"""A worker renews the leases of what it holds, every third of the lease, until it holds none."""

from __future__ import annotations

import asyncio

from bot.delivery.leases import keep_renewed


async def test_leases_are_renewed_while_held_and_a_failure_is_tried_again() -> None:
    held = [1, 2]
    renewed: list[list[int]] = []
    changed = asyncio.Event()

    async def renew(ids: list[int]) -> None:
        renewed.append(ids)
        changed.set()
        if len(renewed) == 1:
            raise OSError("the database blinked")  # logged; the next round tries again

    async def next_renewal() -> list[int]:
        changed.clear()
        await asyncio.wait_for(changed.wait(), 2)
        return renewed[-1]

    keeper = asyncio.create_task(keep_renewed(lambda: list(held), renew, 0.03, "test"))
    assert await next_renewal() == [1, 2]  # failed
    assert await next_renewal() == [1, 2]  # and tried again
    held.remove(1)  # that row was sent: its lease is let go
    while await next_renewal() != [2]:
        pass
    held.clear()
    await asyncio.wait_for(keeper, 2)  # nothing held: the keeper stops by itself
