"""Participants, their channel identities, cohorts, enrollments and dialogue state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from bot.db.models import (
    ChannelIdentity,
    Cohort,
    DialogueState,
    Enrollment,
    OutboxMessage,
    Participant,
    ProcessedUpdate,
    RoleGrant,
)
from bot.db.prepared import adopt, prepared, table_of, whole_row


def _claim_statement(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id on the ledger (Core: no ORM bookkeeping)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = table_of(ProcessedUpdate)
    return (
        insert(table)
        .on_conflict_do_nothing(index_elements=["channel", "update_key"])
        .returning(table.c.id)
    )


async def claim_update(session: AsyncSession, channel: str, update_key: str, now: datetime) -> bool:
    """Record an update as handled; False if it was handled before (a re-delivery). One
    statement that begins as a write: a second process handling the same update at the same
    moment waits for the first one's commit (PostgreSQL) and then sees a duplicate."""
    statement = prepared(session, "claim_update", _claim_statement)
    row = await session.scalar(
        statement, {"channel": channel, "update_key": update_key, "processed_at": now}
    )
    return row is not None


async def find_participant(
    session: AsyncSession, channel: str, external_id: str
) -> Participant | None:
    """The participant behind a channel identity, if they have started."""
    return await session.scalar(
        select(Participant)
        .join(ChannelIdentity)
        .where(ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id)
    )


async def register(
    session: AsyncSession,
    channel: str,
    external_id: str,
    language: str,
    now: datetime,
    *,
    writing: bool = False,
) -> Participant:
    """Create a participant for a new channel identity. `writing`: the identity's update is
    being handled now, so what the turn would ask next is known already (no roles granted,
    nothing held, no conversation state, wrote just now) and is neither read nor written
    again."""
    # Two Core inserts, then the objects join the session as if loaded: no unit-of-work
    # flush with its cascade for the busiest write of a group's first minutes.
    people, identities = table_of(Participant), table_of(ChannelIdentity)
    columns = whole_row(people, language=language, created_at=now, last_seen_at=now)
    person_id = await session.scalar(
        prepared(session, "register", lambda _: people.insert().returning(people.c.id)), columns
    )
    reached = whole_row(
        identities,
        participant_id=person_id,
        channel=channel,
        external_id=external_id,
        created_at=now,
        last_inbound_at=now if writing else None,
    )
    identity_id = await session.scalar(
        prepared(
            session, "register identity", lambda _: identities.insert().returning(identities.c.id)
        ),
        reached,
    )
    identity = ChannelIdentity(id=identity_id, **reached)
    participant = Participant(id=person_id, **columns)
    set_committed_value(participant, "identities", [identity])
    set_committed_value(identity, "participant", participant)
    adopt(session, participant, identity)
    if writing:
        cache = _turn_cache(session)
        cache[("roles", participant.id)] = set()
        cache[("inbound", participant.id)] = InboundFacts(now, held=False)
        cache[("no state", participant.id)] = True
    return participant


async def find_cohort(session: AsyncSession, invite_code: str) -> Cohort | None:
    """The cohort an invite code opens, if any."""
    if not invite_code or len(invite_code) > 32:
        return None
    return await session.scalar(select(Cohort).where(Cohort.invite_code == invite_code))


async def get_state(session: AsyncSession, participant_id: int) -> DialogueState | None:
    """Where the participant is in a multi-step conversation, if anywhere (a state found
    missing is remembered for the session, so a turn asks once)."""
    absent = ("no state", participant_id)
    cache = _turn_cache(session)
    if cache.get(absent):
        return None
    state = await session.get(DialogueState, participant_id)
    cache[absent] = state is None
    return state


_STATE_FIELDS = ("flow", "step", "data", "updated_at")  # what a step changes


async def set_state(
    session: AsyncSession,
    participant_id: int,
    flow: str,
    step: str,
    now: datetime,
    data: dict[str, Any] | None = None,
) -> DialogueState:
    """Move the participant to a step of a flow: one Core INSERT or UPDATE (the turn's most
    frequent write), and the session's object says what the row now holds."""
    state = await get_state(session, participant_id)
    values = dict(zip(_STATE_FIELDS, (flow, step, dict(data or {}), now), strict=True))
    await session.flush()  # anything pending goes first, as the ORM would order it
    if state is None:
        table = table_of(DialogueState)
        row = whole_row(table, participant_id=participant_id, **values)
        await session.execute(prepared(session, "add state", lambda _: table.insert()), row)
        state = DialogueState(**row)
        adopt(session, state)
        _turn_cache(session)[("no state", participant_id)] = False
        return state
    await session.execute(
        prepared(session, "move state", _move_statement), {"key": participant_id, **values}
    )
    for name in _STATE_FIELDS:
        set_committed_value(state, name, values[name])
    return state


def _move_statement(_: str) -> Any:
    table = table_of(DialogueState)
    return (
        table.update()
        .where(table.c.participant_id == bindparam("key"))
        .values({name: bindparam(name) for name in _STATE_FIELDS})
    )


async def clear_state(session: AsyncSession, participant_id: int) -> None:
    """End the participant's multi-step conversation."""
    state = await get_state(session, participant_id)
    if state is not None:
        await session.delete(state)
        await session.flush()
        _turn_cache(session)[("no state", participant_id)] = True


def _turn_cache(session: AsyncSession) -> dict[Any, Any]:
    """What this session (one update, one job) already read: rows fetched together up front."""
    cache: dict[Any, Any] = session.info.setdefault("turn", {})
    return cache


async def find_for_turn(
    session: AsyncSession, channel: str, external_id: str, course_id: str
) -> Participant | None:
    """The participant behind an update, with what the turn asks of them read in the same
    statement: their enrollment in the course, their granted roles, when this identity last
    wrote and whether messages are held for them (so the turn writes only what changed)."""
    parameters = {"channel": channel, "external_id": external_id, "course_id": course_id}
    rows = (await session.execute(_FIND_FOR_TURN, parameters)).all()
    if not rows:
        return None
    person, enrollment, _, last_inbound, has_held = rows[0]
    cache = _turn_cache(session)
    cache[("enrollment", person.id, course_id)] = enrollment
    cache[("roles", person.id)] = {row[2] for row in rows if row[2] is not None}
    cache[("inbound", person.id)] = InboundFacts(last_inbound, bool(has_held))
    return person


def _find_for_turn_statement() -> Any:
    """find_for_turn's one statement, built once (its values are bound at execution)."""
    held = exists().where(
        OutboxMessage.participant_id == Participant.id,
        OutboxMessage.state == "held",  # delivery's OutboxState.HELD
    )
    enrolled = (Enrollment.participant_id == Participant.id) & (
        Enrollment.course_id == bindparam("course_id")
    )
    return (
        select(Participant, Enrollment, RoleGrant.role, ChannelIdentity.last_inbound_at, held)
        .join(ChannelIdentity, ChannelIdentity.participant_id == Participant.id)
        .outerjoin(Enrollment, enrolled)
        .outerjoin(RoleGrant, RoleGrant.participant_id == Participant.id)
        .where(
            ChannelIdentity.channel == bindparam("channel"),
            ChannelIdentity.external_id == bindparam("external_id"),
        )
    )


_FIND_FOR_TURN = _find_for_turn_statement()


@dataclass(frozen=True)
class InboundFacts:
    """What `find_for_turn` read of the identity that wrote: when it last wrote, and whether
    messages wait (held) for the person."""

    last_inbound_at: datetime | None
    held: bool


def inbound_facts(session: AsyncSession, participant_id: int) -> InboundFacts | None:
    """What `find_for_turn` read of the writing identity, if it did in this session."""
    found: InboundFacts | None = _turn_cache(session).get(("inbound", participant_id))
    return found


def cached_roles(session: AsyncSession, participant_id: int) -> set[str] | None:
    """The granted roles `find_for_turn` read, if it did in this session."""
    found: set[str] | None = _turn_cache(session).get(("roles", participant_id))
    return found


async def get_enrollment(
    session: AsyncSession, participant_id: int, course_id: str
) -> Enrollment | None:
    """The participant's enrollment in the course, if any."""
    key = ("enrollment", participant_id, course_id)
    cache = _turn_cache(session)
    if cache.get(key) is not None:
        return cache[key]
    return await session.scalar(
        select(Enrollment).where(
            Enrollment.participant_id == participant_id, Enrollment.course_id == course_id
        )
    )


async def ensure_enrollment(
    session: AsyncSession, participant_id: int, course_id: str, now: datetime
) -> Enrollment:
    """The participant's enrollment in the course, created on first need."""
    enrollment = await get_enrollment(session, participant_id, course_id)
    if enrollment is None:
        enrollment = Enrollment(participant_id=participant_id, course_id=course_id, started_at=now)
        session.add(enrollment)
        await session.flush()
    return enrollment
