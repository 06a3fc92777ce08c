"""Tracked tasks: slow work asked for in a turn (an export, a chart, a content reload, a web
audit) runs outside it. The turn writes a `tasks` row and answers at once; after its commit a
runner does the work, opening short sessions of its own only when it reads or stores, and
sends the result through the outbox. Shutdown waits for running tasks up to a limit; a task
cut off by a crash is resumed by the next start (or another worker once its lease ran out),
and after a second failure the person is told it did not work, never left waiting."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.content.loader import ContentStore
from bot.db.models import Participant, TrackedTask
from bot.delivery import outbox
from bot.delivery.leases import keep_renewed
from bot.delivery.sender import OutboxSender
from bot.kernel.clock import Clock
from bot.kernel.context import Context, Deps
from bot.kernel.i18n import N_, Translations
from bot.kernel.messages import Inbound, InboundKind, Message, Outbound
from bot.kernel.tasks import TaskHandler, TaskJob

log = logging.getLogger("bot.tasks")
RUNNING, DONE, FAILED = "running", "done", "failed"
MAX_ATTEMPTS = 2
FAILED_TEXT = N_("Sorry, I could not finish this. Please try again in a while.")


class TaskRunner:
    """Starts, tracks, resumes and drains tracked tasks."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        translations: Translations,
        zone: ZoneInfo,
        deps: Deps,
        sender: OutboxSender,
        *,
        lease: timedelta = timedelta(seconds=60),
    ) -> None:
        self.sessions = sessions
        self._clock = clock
        self._translations = translations
        self._zone = zone
        self._deps = deps
        self._outbox = sender
        self._lease = lease
        self._handlers: dict[str, TaskHandler] = {}
        self._running: dict[int, asyncio.Task[None]] = {}
        self._heartbeat: asyncio.Task[None] | None = None

    @property
    def deps(self) -> Deps:
        """What handlers share (the idea coach, the content, ...)."""
        return self._deps

    @property
    def content(self) -> ContentStore:
        """The course in service (a reload swaps its index)."""
        return self._deps.content

    def register(self, kind: str, handler: TaskHandler) -> None:
        """Run `handler` for tasks of `kind`."""
        self._handlers[kind] = handler

    async def context(
        self, session: AsyncSession, participant_id: int, params: dict[str, Any]
    ) -> Context:
        """A handler's Context for one person, outside any update."""
        person = await session.get(Participant, participant_id)
        if person is None:
            raise LookupError(f"participant {participant_id} is gone")
        inbound = Inbound("task", str(participant_id), InboundKind.OTHER)
        return Context(
            session,
            person,
            self._translations,
            self._clock.now(),
            self._zone,
            self._deps.content.index,
            inbound,
            self._deps,
            frozenset(params.get("roles", ())),
        )

    async def submit(self, ctx: Context, kind: str, params: dict[str, Any]) -> int:
        """In the turn's transaction: record the task; it starts once the turn commits."""
        if kind not in self._handlers:
            raise KeyError(f"no handler for task kind {kind!r}")
        now = ctx.now
        row = TrackedTask(
            kind=kind,
            participant_id=ctx.participant.id,
            params={**params, "roles": sorted(ctx.roles), "language": ctx.tr.language},
            state=RUNNING,
            attempts=1,
            lease_until=now + self._lease,
            created_at=now,
            started_at=now,
        )
        ctx.session.add(row)
        await ctx.session.flush()
        task_id = row.id
        loop = asyncio.get_running_loop()

        def committed(_session: object) -> None:
            loop.call_soon(self._launch, task_id)

        event.listen(ctx.session.sync_session, "after_commit", committed, once=True)
        return task_id

    async def busy(self, session: AsyncSession, participant_id: int, kind: str) -> bool:
        """Whether this person has a task of `kind` still running."""
        found = await session.scalar(
            select(TrackedTask.id).where(
                TrackedTask.participant_id == participant_id,
                TrackedTask.kind == kind,
                TrackedTask.state == RUNNING,
            )
        )
        return found is not None

    def _launch(self, task_id: int) -> None:
        if task_id in self._running:
            return
        self._running[task_id] = asyncio.create_task(self._run(task_id), name=f"task-{task_id}")
        self._running[task_id].add_done_callback(lambda _: self._running.pop(task_id, None))
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.create_task(self._renew())

    async def _run(self, task_id: int) -> None:
        async with self.sessions() as session:
            row = await session.get(TrackedTask, task_id)
            if row is None or row.state != RUNNING or row.participant_id is None:
                return
            job = TaskJob(row.id, row.kind, row.participant_id, dict(row.params), self)
        handler = self._handlers.get(job.kind)
        try:
            if handler is None:
                raise KeyError(f"no handler for task kind {job.kind!r}")
            replies = await handler(job)
        except asyncio.CancelledError:
            raise  # shutdown: the row stays running and is resumed at the next start
        except Exception as error:
            log.exception("task failed task=%s kind=%s", job.id, job.kind)
            await self._finish(job, FAILED, [Message(self._failed_text(job))], repr(error))
            return
        await self._finish(job, DONE, replies, None)

    def _failed_text(self, job: TaskJob) -> str:
        return self._translations.get(job.params.get("language")).gettext(FAILED_TEXT)

    async def _finish(
        self, job: TaskJob, state: str, replies: list[Outbound], error: str | None
    ) -> None:
        now = self._clock.now()
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(TrackedTask)
                .where(TrackedTask.id == job.id)
                .values(state=state, finished_at=now, lease_until=None, error=error and error[:300])
            )
            person = await session.get(Participant, job.participant_id)
            if replies and person is not None:
                await outbox.enqueue(
                    session,
                    participant_id=job.participant_id,
                    dedupe_key=f"task:{job.id}",
                    replies=replies,
                    now=now,
                    purpose=f"task_{job.kind}"[:32],
                )
        log.info("task finished task=%s kind=%s state=%s", job.id, job.kind, state)
        await self._outbox.flush(job.participant_id)

    async def _renew(self) -> None:
        """Keep the leases of running tasks ahead of the clock while this process lives."""

        async def renew(ids: list[int]) -> None:
            async with self.sessions() as session, session.begin():
                await session.execute(
                    update(TrackedTask)
                    .where(TrackedTask.id.in_(ids), TrackedTask.state == RUNNING)
                    .values(lease_until=self._clock.now() + self._lease)
                )

        await keep_renewed(lambda: list(self._running), renew, self._lease.total_seconds(), "tasks")

    async def resume(self, *, all_running: bool = False) -> int:
        """Tasks a stopped process left running: run them again (once), or report them.
        `all_running`: every running row is an orphan (SQLite: one process)."""
        now = self._clock.now()
        async with self.sessions() as session, session.begin():
            cut_off = TrackedTask.state == RUNNING
            if not all_running:
                cut_off = cut_off & or_(
                    TrackedTask.lease_until.is_(None), TrackedTask.lease_until <= now
                )
            rows = list(await session.scalars(select(TrackedTask).where(cut_off)))
            retry = [row.id for row in rows if row.attempts < MAX_ATTEMPTS]
            given_up = [row for row in rows if row.attempts >= MAX_ATTEMPTS]
            for row in rows:
                row.attempts += 1
                row.lease_until = now + self._lease
        for row in given_up:
            job = TaskJob(row.id, row.kind, row.participant_id or 0, dict(row.params), self)
            await self._finish(job, FAILED, [Message(self._failed_text(job))], "cut off twice")
        for task_id in retry:
            self._launch(task_id)
        if rows:
            log.info("tasks resumed=%d reported=%d", len(retry), len(given_up))
        return len(rows)

    async def drain(self, timeout: float | None = None) -> int:  # noqa: ASYNC109
        """Wait for running tasks (at most `timeout` seconds); how many were left running."""
        deadline = None if timeout is None else asyncio.get_running_loop().time() + timeout
        while self._running:
            left = None if deadline is None else deadline - asyncio.get_running_loop().time()
            if left is not None and left <= 0:
                break
            await asyncio.wait(list(self._running.values()), timeout=left)
        unfinished = len(self._running)
        for task in list(self._running.values()):
            task.cancel()
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        return unfinished
