"""SQLite through aiosqlite in one thread hop per statement instead of four.

SQLAlchemy's aiosqlite adapter makes a cursor, executes, fetches and closes it as four calls
to aiosqlite's worker thread; each is a queue put, a wake-up of the event loop and a GIL
hand-over, and together they were most of a turn's CPU (docs/performance.md). This cursor
does the four in one call on that thread and keeps what SQLAlchemy reads afterwards
(description, rowcount, lastrowid, rows). Installed for the engines bot/db/engine.py makes;
everything else of the adapter (transactions, isolation level, closing) is SQLAlchemy's own."""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)
from sqlalchemy.util import EMPTY_DICT


def _run(
    connection: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> tuple[Any, int, int | None, list[Any]]:
    """On aiosqlite's thread: execute, fetch everything, close; what SQLAlchemy reads."""
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


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose statement runs in one call to aiosqlite's thread."""

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

    async def _one_hop(self, operation: Any, parameters: Any, many: bool) -> None:
        async with self._adapt_connection._execute_mutex:
            raw = self._connection._conn
            found = await self._connection._execute(_run, raw, operation, parameters, many)
        self._description, self._rowcount, self._lastrowid, rows = found
        self._rows = collections.deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._one_hop(operation, parameters, False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._one_hop(operation, seq_of_parameters, True)

    async def _async_soft_close(self) -> None:
        """Nothing is open: the statement's cursor was closed on the thread."""

    def close(self) -> None:
        self._rows.clear()


def install() -> None:
    """Use the one-hop cursor for every aiosqlite connection of this process."""
    AsyncAdapt_aiosqlite_connection._cursor_cls = OneHopCursor
