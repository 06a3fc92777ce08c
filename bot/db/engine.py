"""Engine and session factory; SQLite gets WAL, foreign keys, a busy timeout and one connection."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.db import inline

SQLITE_BUSY_TIMEOUT_MS = 5000


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _json_text(value: Any) -> str:
    """JSON columns (the outbox's messages, dialogue state) written by orjson: the same JSON
    as the standard library's, in a fraction of the time; keys that are not text (say, a
    number) become text, as json.dumps makes them."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


JSON_ARGS: dict[str, Any] = {"json_serializer": _json_text, "json_deserializer": orjson.loads}


def is_sqlite(url: str) -> bool:
    """Tell whether a database URL points at SQLite."""
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, pool_size: int = 15) -> AsyncEngine:
    """Create the async engine for a database URL (sqlite+aiosqlite or postgresql+asyncpg)."""
    if is_sqlite(url):
        inline.install()  # statements run on the loop's thread: no hand-over per call
        # One connection, so one transaction at a time in the process: SQLite has one writer,
        # and a transaction that began as a reader and then writes fails at once ("database
        # is locked") when another committed in between, whatever the busy timeout. Queueing
        # for the one connection in Python is cheaper than SQLite's busy-wait, and a burst of
        # people can never see that error (bench/interactive.py, the 500-person burst).
        engine = create_async_engine(
            url,
            connect_args={
                "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                # opened on aiosqlite's thread, used on the loop's (bot/db/inline.py)
                "check_same_thread": False,
            },
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
            **JSON_ARGS,
        )
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
        return engine
    # PostgreSQL: a fixed pool, no overflow. SQLAlchemy closes an overflow connection as soon
    # as it is returned, so a busy minute reconnected (and re-prepared every statement) turn
    # after turn: with the default 5 + 10, 20 people answering at once saw p95 139 ms; with 15
    # kept open, 53 ms (bench/interactive.py --database postgres).
    return create_async_engine(
        url, pool_pre_ping=True, pool_size=pool_size, max_overflow=0, pool_timeout=60, **JSON_ARGS
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions live for one update or one job; objects stay readable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)
