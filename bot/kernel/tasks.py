"""What a feature sees of tracked tasks (slow work outside the turn): the job its handler gets,
and how a turn asks for one. The runner that does the work is bot/conversation/tasks.py."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.content.loader import ContentStore

if TYPE_CHECKING:
    from bot.kernel.context import Context, Deps, Tasks
    from bot.kernel.messages import Outbound


class TaskHost(Protocol):
    """What a running task may use: short sessions, a Context for its person, the shared deps."""

    sessions: async_sessionmaker[AsyncSession]

    @property
    def deps(self) -> Deps: ...

    @property
    def content(self) -> ContentStore: ...

    async def context(
        self, session: AsyncSession, participant_id: int, params: dict[str, Any]
    ) -> Context: ...


@dataclass
class TaskJob:
    """One task as its handler sees it: ids and plain values, and short sessions on demand."""

    id: int
    kind: str
    participant_id: int
    params: dict[str, Any]
    runner: TaskHost

    @contextlib.asynccontextmanager
    async def context(self) -> AsyncIterator[Context]:
        """A Context for the task's person in a short transaction of its own."""
        async with self.runner.sessions() as session, session.begin():
            yield await self.runner.context(session, self.participant_id, self.params)


TaskHandler = Callable[[TaskJob], Awaitable[list["Outbound"]]]


def tasks_of(deps: Deps) -> Tasks:
    """The task runner in service (the Dialogue sets it up)."""
    if deps.tasks is None:
        raise RuntimeError("no task runner: build the Dialogue first")
    return deps.tasks
