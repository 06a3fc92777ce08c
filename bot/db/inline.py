"""SQLite statements run on the event loop's own thread, not on aiosqlite's worker thread.

SQLAlchemy's aiosqlite adapter sends every call (cursor, execute, fetch, close, commit) to
aiosqlite's thread and waits for the answer: a queue put, a wake-up of the event loop and a GIL
hand-over each way. Under load the hand-over is the cost: the loop's thread is busy with the
next turn, so the database thread waits for the GIL (up to the 5 ms switch interval) before it
can hand its result back, and the one connection every turn queues for is held meanwhile. With
100 people answering a quiz this convoy capped the bot at about a quarter of a bare echo bot's
throughput (docs/performance.md). The hot path's statements are small indexed reads and
inserts that SQLite answers in tens of microseconds, so here they run where they are asked
for: execute, fetch everything, close, in one synchronous call, and commit and rollback the
same way.

The trade: while SQLite works, the loop waits. That is microseconds for a turn, and a few
milliseconds when a commit checkpoints the WAL. If another process holds the write lock (the
dashboard writing a session, a CLI import), the loop waits for it, at most the busy timeout;
within this process the one connection (bot/db/engine.py) already made every transaction wait
for the one before. Installed for the engines bot/db/engine.py makes, which open the connection
with check_same_thread=False (aiosqlite still opens and closes it on its thread)."""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Callable
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)
from sqlalchemy.util import EMPTY_DICT


def _run(
    connection: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> tuple[Any, int, int | None, list[Any]]:
    """Execute, fetch everything, close: what SQLAlchemy reads afterwards."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class InlineCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose statement runs at once on the calling thread.

    SQLAlchemy still awaits `_execute_async` (its async engine insists that a statement
    awaits), but nothing inside it waits: no thread, no queue, no event-loop wake-up."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    def _now(self, operation: Any, parameters: Any, many: bool) -> None:
        found = _run(self._connection._conn, operation, parameters, many)
        self._description, self._rowcount, self._lastrowid, rows = found
        self._rows = collections.deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        self._now(operation, parameters, False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        self._now(operation, seq_of_parameters, True)

    async def _async_soft_close(self) -> None:
        """Nothing is open: the statement's cursor was closed when it ran."""

    def close(self) -> None:
        self._rows.clear()


def _ending(name: str) -> Callable[[AsyncAdapt_aiosqlite_connection], None]:
    """The adapter's commit or rollback, done at once on the connection."""

    def end(self: AsyncAdapt_aiosqlite_connection) -> None:
        if self._connection._connection:
            try:
                getattr(self._connection._conn, name)()
            except Exception as error:
                self._handle_exception(error)

    return end


def install() -> None:
    """Run every aiosqlite connection's statements, commits and rollbacks inline."""
    AsyncAdapt_aiosqlite_connection._cursor_cls = InlineCursor
    adapter: Any = AsyncAdapt_aiosqlite_connection
    adapter.commit, adapter.rollback = _ending("commit"), _ending("rollback")
