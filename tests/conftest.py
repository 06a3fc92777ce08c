"""Shared fixtures: every database test runs on SQLite and, with TEST_DATABASE_URL, PostgreSQL.

Each test run creates its own databases and drops them afterwards."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from bot.content.loader import ContentStore
from bot.conversation.router import Dialogue
from bot.conversation.tasks import TaskRunner
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade
from bot.db.models import Base
from bot.kernel.clock import FakeClock
from bot.kernel.i18n import Translations

ROOT = Path(__file__).resolve().parents[1]
CONTENT_DIR = ROOT / "content"
VILNIUS = ZoneInfo("Europe/Vilnius")
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def postgres_server_url() -> str:
    """TEST_DATABASE_URL with the asyncpg driver."""
    url = make_url(os.environ["TEST_DATABASE_URL"])
    return url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


async def _admin(sql: str) -> None:
    engine = create_async_engine(postgres_server_url(), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(sql))
    finally:
        await engine.dispose()


class DatabaseFactory:
    """Makes fresh, empty databases of one backend and removes them at the end of the run."""

    def __init__(self, backend: str, directory: Path) -> None:
        self.backend = backend
        self._directory = directory
        self._created: list[str] = []

    def create(self) -> str:
        """A new empty database's URL."""
        name = f"cc_test_{uuid.uuid4().hex[:12]}"
        if self.backend == "sqlite":
            return f"sqlite+aiosqlite:///{self._directory / name}.db"
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
        self._created.append(name)
        return make_url(postgres_server_url()).set(database=name).render_as_string(False)

    def drop_all(self) -> None:
        """Drop every database this factory made."""
        for name in self._created:
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session", params=BACKENDS)
def database_factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DatabaseFactory]:
    """A factory of fresh databases, once per backend."""
    factory = DatabaseFactory(request.param, tmp_path_factory.mktemp("db"))
    yield factory
    factory.drop_all()


@pytest.fixture(scope="session")
def database_url(database_factory: DatabaseFactory) -> str:
    """A database migrated to head, shared by the tests of one backend (emptied per test)."""
    url = database_factory.create()
    upgrade(url)
    return url


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A session factory on an emptied database."""
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        tables = list(reversed(Base.metadata.sorted_tables))
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            # Fail, not hang, if something of an earlier test still holds a lock.
            await connection.execute(text("SET LOCAL lock_timeout = '15s'"))
            await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                await connection.execute(table.delete())
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.fixture(autouse=True)
async def tasks_finish(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    """Tracked tasks a test started (a chart after /stats, say) finish before the test's
    event loop closes, so none is cut off holding a database connection."""
    runners: list[TaskRunner] = []
    original = TaskRunner.__init__

    def remember(self: TaskRunner, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        runners.append(self)

    monkeypatch.setattr(TaskRunner, "__init__", remember)
    yield
    for runner in runners:
        await runner.drain(10)


@pytest.fixture
def clock() -> FakeClock:
    """A clock standing still on a Tuesday morning in Vilnius."""
    return FakeClock(datetime(2026, 11, 24, 7, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def content() -> ContentStore:
    """The real course."""
    return ContentStore(CONTENT_DIR)


@pytest.fixture(scope="session")
def translations() -> Translations:
    """The real catalogues, Lithuanian by default."""
    return Translations("lt")


@pytest.fixture
def dialogue(
    sessions: async_sessionmaker[AsyncSession],
    content: ContentStore,
    translations: Translations,
    clock: FakeClock,
) -> Dialogue:
    """The whole core, on a fresh database with a fake clock."""
    return Dialogue(sessions, content, translations, clock, VILNIUS)
