"""Statements built once per SQL dialect and reused with new parameters, so the turn's hot
path does not rebuild (and re-coerce) the same SQL for every update."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

_built: dict[tuple[str, str], Any] = {}


def dialect_of(session: AsyncSession) -> str:
    """The session's SQL dialect ("sqlite" or "postgresql")."""
    return session.bind.dialect.name if session.bind is not None else "sqlite"


def prepared(session: AsyncSession, name: str, build: Callable[[str], Any]) -> Any:
    """The statement `name` for this session's dialect, built by `build(dialect)` once."""
    key = (name, dialect_of(session))
    statement = _built.get(key)
    if statement is None:
        statement = _built[key] = build(key[1])
    return statement


def table_of(model: type[Any]) -> Table:
    """A mapped class's table, typed as the Table it is (for Core statements on it)."""
    return cast(Table, model.__table__)


def whole_row(table: Table, **values: Any) -> dict[str, Any]:
    """The values for an INSERT of every column (NULL where not given; a primary key only
    if given), so the object made from them holds every attribute."""
    return {
        column.name: values.get(column.name)
        for column in table.columns
        if column.name in values or not column.primary_key
    }


def adopt(session: AsyncSession, *written: Any) -> None:
    """Objects whose rows a Core statement has just written join the session as if loaded:
    persistent, every attribute they were given counted as the row's, nothing to flush.
    An attribute not given would be expired and loaded lazily, which async sessions refuse:
    build them from `whole_row`."""
    for instance in written:
        make_transient_to_detached(instance)
    for instance in written:
        session.add(instance)
