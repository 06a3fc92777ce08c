"""Migrations: every revision upgrades, downgrades and upgrades again; models match them."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from bot.db.engine import create_engine
from bot.db.migrate import alembic_config, downgrade, upgrade
from bot.db.models import Base
from tests.conftest import DatabaseFactory


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return [rev.revision for rev in reversed(list(script.walk_revisions("base", "heads")))]


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def _diff(url: str) -> list[Any]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata
                )
            )
    finally:
        await engine.dispose()


def test_stairway_up_down_up_every_revision(database_factory: DatabaseFactory) -> None:
    url = database_factory.create()
    revisions = _revisions()
    assert revisions, "no migrations found"
    previous = "base"
    for revision in revisions:
        upgrade(url, revision)
        downgrade(url, previous)
        upgrade(url, revision)
        previous = revision


def test_downgrade_to_base_leaves_only_alembic_bookkeeping(
    database_factory: DatabaseFactory,
) -> None:
    url = database_factory.create()
    upgrade(url)
    assert {"participants", "answers", "processed_updates"} <= asyncio.run(_tables(url))
    downgrade(url, "base")
    assert asyncio.run(_tables(url)) <= {"alembic_version"}


async def test_models_and_migrations_do_not_drift(database_url: str) -> None:
    assert await _diff(database_url) == []
