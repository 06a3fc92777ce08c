"""Statements built once per SQL dialect and reused with new parameters, so the turn's hot
path does not rebuild (and re-coerce) the same SQL for every update."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

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
