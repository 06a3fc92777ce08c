"""A participant's personal data: everything stored about them, and its erasure.

Both follow the schema itself: every table that reaches the participants table through
foreign keys holds data about a participant, whichever feature added it. Erasure deletes
the participant; the database's ON DELETE rules remove (CASCADE) or detach (SET NULL) every
linked row, so a feature's new table is covered as soon as its foreign keys say so."""

from __future__ import annotations

import base64
from collections import deque
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Base, Certificate, Participant

ROOT = "participants"
HIDDEN = "(hidden)"


@dataclass(frozen=True)
class _Hop:
    """table.column references parent.referred."""

    table: Table
    column: str
    parent: Table
    referred: str


def _routes() -> dict[str, list[_Hop]]:
    """For each table linked to participants, the shortest chain of foreign keys to it."""
    tables = {table.name: table for table in Base.metadata.sorted_tables}
    routes: dict[str, list[_Hop]] = {ROOT: []}
    queue = deque([ROOT])
    while queue:
        parent = tables[queue.popleft()]
        for table in Base.metadata.sorted_tables:
            if table.name in routes:
                continue
            # A row about a participant names them in participant_id; other keys to the
            # same table (granted_by, issued_by, ...) say who acted, and come second.
            keys = sorted(table.foreign_keys, key=lambda fk: fk.parent.name != "participant_id")
            for fk in keys:
                if fk.column.table is parent:
                    hop = _Hop(table, fk.parent.name, parent, fk.column.name)
                    routes[table.name] = [hop, *routes[parent.name]]
                    queue.append(table.name)
                    break
    return routes


def _linked_rows(route: list[_Hop], participant_id: int) -> Select[Any]:
    """The rows of the route's first table that lead to this participant."""
    table = route[0].table
    query = select(table)
    for hop in route:
        if hop.parent.name != ROOT:
            query = query.join(hop.parent, hop.table.c[hop.column] == hop.parent.c[hop.referred])
    last = route[-1]
    return query.where(last.table.c[last.column] == participant_id)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict | list | str | int | float | bool) or value is None:
        return value
    return str(value)


def _shown(table: Table, key: str, value: Any) -> Any:
    """A column's value as /mydata shows it: credentials (info={"secret": True}, such as a
    dashboard session's token digest) are named but not given."""
    column = table.c.get(key)
    if column is not None and column.info.get("secret"):
        return HIDDEN
    return _plain(value)


async def personal_data(session: AsyncSession, participant_id: int) -> dict[str, Any]:
    """Everything stored about one participant, table by table, as JSON-ready values."""
    profile = (
        (
            await session.execute(
                select(Participant.__table__).where(Participant.id == participant_id)
            )
        )
        .mappings()
        .one_or_none()
    )
    if profile is None:
        raise LookupError(f"no participant {participant_id}")
    data: dict[str, Any] = {ROOT: [{key: _plain(value) for key, value in profile.items()}]}
    for name, route in sorted(_routes().items()):
        if name == ROOT:
            continue
        rows = (await session.execute(_linked_rows(route, participant_id))).mappings().all()
        if rows:
            table = route[0].table
            data[name] = [
                {key: _shown(table, key, value) for key, value in row.items()} for row in rows
            ]
    return data


async def erase(session: AsyncSession, participant_id: int) -> None:
    """Delete the participant; foreign keys remove or detach every row linked to them.

    Certificates stay in the issuer's register, detached, with what their verification needs
    (name, course, hours, dates, number, code, status): the free-text reasons about the person
    and their group go first."""
    await session.execute(
        update(Certificate)
        .where(Certificate.participant_id == participant_id)
        .values(reason=None, revoke_reason=None, cohort_id=None)
    )
    participant = await session.get(Participant, participant_id)
    if participant is not None:
        session.expunge(participant)
    await session.execute(delete(Participant).where(Participant.id == participant_id))
    session.expunge_all()
