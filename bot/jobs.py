"""Background jobs: an APScheduler 3 AsyncIOScheduler that only ticks.

The jobs hold no state of their own: each run asks the database what is due. Features add
periodic jobs with `Jobs.add_periodic(name, coroutine_function, seconds)`; tests call the
coroutine function themselves with a FakeClock (or `Jobs.run(name)`), never waiting."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger("bot.jobs")
JobFunction = Callable[[], Awaitable[Any]]


@dataclass(frozen=True)
class PeriodicJob:
    """A coroutine function run every `seconds`."""

    name: str
    function: JobFunction
    seconds: float


class Jobs:
    """The process's periodic jobs; started by `python -m bot run`, stopped on shutdown."""

    def __init__(self) -> None:
        self.jobs: dict[str, PeriodicJob] = {}
        self._running: dict[str, asyncio.Task[Any]] = {}
        self._scheduler: AsyncIOScheduler | None = None

    def add_periodic(self, name: str, function: JobFunction, seconds: float) -> None:
        """Run `await function()` every `seconds` once started; a run still going when the
        next one is due makes the next one skip (runs of one job never overlap)."""
        if name in self.jobs:
            raise ValueError(f"job {name!r} is added twice")
        if seconds <= 0:
            raise ValueError("a job's interval must be positive")
        job = PeriodicJob(name, function, seconds)
        self.jobs[name] = job
        if self._scheduler is not None:
            self._schedule(self._scheduler, job)

    @property
    def started(self) -> bool:
        """Whether the scheduler is running."""
        return self._scheduler is not None

    def start(self) -> None:
        """Start ticking (inside the running event loop); each job first runs right away."""
        if self._scheduler is not None:
            return
        scheduler = AsyncIOScheduler(timezone=UTC)
        for job in self.jobs.values():
            self._schedule(scheduler, job)
        scheduler.start()
        self._scheduler = scheduler
        log.info("jobs started: %s", ", ".join(sorted(self.jobs)) or "none")

    def _schedule(self, scheduler: AsyncIOScheduler, job: PeriodicJob) -> None:
        scheduler.add_job(
            self.run,
            "interval",
            args=[job.name],
            id=job.name,
            seconds=job.seconds,
            next_run_time=datetime.now(UTC) + timedelta(seconds=min(job.seconds, 1.0)),
            coalesce=True,
            max_instances=2,  # the second only sees the first still running and returns
            misfire_grace_time=max(1, int(job.seconds)),
        )

    async def run(self, name: str) -> Any:
        """Run one job now, unless its previous run is still going (then None). A failure is
        logged, never raised: the next tick tries again."""
        if name in self._running:
            log.debug("job %s still running: skipped", name)
            return None
        task = asyncio.ensure_future(self.jobs[name].function())
        self._running[name] = task
        try:
            return await task
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("job %s failed", name)
            return None
        finally:
            self._running.pop(name, None)

    async def stop(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Stop ticking and let running jobs finish (cancelled after `timeout` seconds)."""
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        running = list(self._running.values())
        if running:
            _, pending = await asyncio.wait(running, timeout=timeout)
            for task in pending:
                task.cancel()
        log.info("jobs stopped")
