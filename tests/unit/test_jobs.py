"""The scheduler wiring: jobs are plain coroutine functions, run on demand in tests."""

from __future__ import annotations

import asyncio

import pytest

from bot.jobs import Jobs


async def test_a_job_runs_on_demand_and_a_failure_is_only_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    jobs = Jobs()
    runs: list[int] = []

    async def count() -> int:
        runs.append(1)
        return len(runs)

    async def broken() -> None:
        raise RuntimeError("boom")

    jobs.add_periodic("count", count, 30)
    jobs.add_periodic("broken", broken, 30)
    assert await jobs.run("count") == 1
    assert await jobs.run("broken") is None
    assert "job broken failed" in caplog.text
    with pytest.raises(ValueError, match="twice"):
        jobs.add_periodic("count", count, 5)
    with pytest.raises(ValueError, match="positive"):
        jobs.add_periodic("zero", count, 0)


async def test_runs_of_one_job_never_overlap() -> None:
    jobs = Jobs()
    release = asyncio.Event()
    started: list[int] = []

    async def slow() -> str:
        started.append(1)
        await release.wait()
        return "done"

    jobs.add_periodic("slow", slow, 30)
    first = asyncio.create_task(jobs.run("slow"))
    await asyncio.sleep(0)
    assert await jobs.run("slow") is None  # skipped: the first is still running
    release.set()
    assert await first == "done"
    assert started == [1]


async def test_start_and_stop_with_the_real_scheduler() -> None:
    jobs = Jobs()

    async def idle() -> None:
        return None

    jobs.add_periodic("idle", idle, 30)
    jobs.start()
    assert jobs.started
    jobs.add_periodic("later", idle, 60)  # added while running: scheduled too
    await jobs.stop()
    assert not jobs.started
