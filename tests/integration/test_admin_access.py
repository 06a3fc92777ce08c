"""Roles: every privileged command and button against every role, /grant, /revoke, cohorts."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from bot.channels.console.adapter import ConsoleChannel
from bot.content.loader import ContentStore
from bot.conversation.router import Dialogue
from bot.db.models import (
    AuditLogEntry,
    Cohort,
    DialogueState,
    Participant,
    RoleGrant,
)
from bot.features.broadcasts import handlers as broadcasts
from bot.features.cohorts import handlers as cohorts
from bot.features.dashboard_access import handlers as dashboard
from bot.features.exports import handlers as exports
from bot.features.people import handlers as people
from bot.features.roles import handlers as roles_feature
from bot.features.stats import handlers as stats
from bot.kernel import roles
from bot.kernel.clock import FakeClock
from bot.kernel.context import Deps
from bot.kernel.messages import Document, EditSource, Inbound, InboundKind, Message, Notice
from bot.kernel.registry import ADMIN, COORDINATOR, PARTICIPANT, TRAINER, Registry
from tests.helpers import task_results, tasks_done
from tests.integration.admin_data import ADMIN_ID, Sessions, add_person, everything

__all__ = ["everything"]

USERS = {PARTICIPANT: "pat", TRAINER: "tom", COORDINATOR: "cora", ADMIN: ADMIN_ID}
# command -> who may use it
COMMANDS = {
    "grant": {ADMIN},
    "revoke": {ADMIN},
    "cohort_new": {TRAINER, ADMIN},
    "cohorts": {TRAINER, COORDINATOR, ADMIN},
    "participants": {TRAINER, COORDINATOR, ADMIN},
    "stats": {COORDINATOR, ADMIN},
    "export": {COORDINATOR, ADMIN},
    "broadcast": {TRAINER, ADMIN},
    "broadcasts": {TRAINER, ADMIN},
    "dashboard": {TRAINER, COORDINATOR, ADMIN},
}
# button payload (with {target}) -> who may press it
BUTTONS = {
    "grant:ok:{target}:trainer": {ADMIN},
    "revoke:p:{target}": {ADMIN},
    "cohortnew:2026-12-01": {TRAINER, ADMIN},
    "pp:v:{target}:0": {TRAINER, COORDINATOR, ADMIN},
    "stats:utena": {COORDINATOR, ADMIN},
    "export:csv": {COORDINATOR, ADMIN},
    "bc:x": {TRAINER, ADMIN},
}


def test_the_matrix_covers_every_privileged_command_and_button() -> None:
    registry = Registry()
    for feature in (roles_feature, cohorts, people, stats, exports, broadcasts, dashboard):
        feature.register(registry)
    assert {name for name, spec in registry.commands.items() if spec.roles} == set(COMMANDS)
    assert {p.split(":")[0] for p in BUTTONS} == set(registry.buttons)
    for name, spec in registry.commands.items():
        assert set(spec.roles) | {ADMIN} == COMMANDS[name]


async def _people(sessions: Sessions, clock: FakeClock) -> int:
    async with sessions() as session, session.begin():
        for role, user in USERS.items():
            grants = (role,) if role in (TRAINER, COORDINATOR) else ()
            await add_person(session, user, clock.now(), name=f"Asmuo {user}", grants=grants)
        target = await add_person(session, "target", clock.now(), name="Tikslas Ąžuolaitis")
        return target.id


async def _counts(sessions: Sessions) -> tuple[int, ...]:
    async with sessions() as session:
        return tuple(
            [
                await session.scalar(select(func.count()).select_from(model)) or 0
                for model in (RoleGrant, Cohort, AuditLogEntry, DialogueState)
            ]
        )


@pytest.mark.parametrize("role", list(USERS))
async def test_access_matrix(
    role: str, everything: Dialogue, sessions: Sessions, clock: FakeClock
) -> None:
    target = await _people(sessions, clock)
    user = USERS[role]
    for command, allowed in COMMANDS.items():
        before = await _counts(sessions)
        turn = await everything.handle(
            Inbound("console", user, InboundKind.TEXT, text=f"/{command}")
        )
        first = turn.replies[0]
        unknown = isinstance(first, Message) and first.text == f"Komandos /{command} nežinau."
        assert unknown is (role not in allowed), (role, command, turn.replies)
        if role not in allowed:
            assert await _counts(sessions) == before, (role, command)
        async with sessions() as session, session.begin():
            me = await session.scalar(
                select(Participant).where(Participant.name == f"Asmuo {user}")
            )
            assert me is not None
            state = await session.get(DialogueState, me.id)
            if state is not None and command != "cohort_new":
                await session.delete(state)
    for template, allowed in BUTTONS.items():
        payload = template.format(target=target)
        if payload.startswith("cohortnew") and role in allowed:  # the flow's second step
            await everything.handle(Inbound("console", user, InboundKind.TEXT, text="/cohort_new"))
            await everything.handle(Inbound("console", user, InboundKind.TEXT, text="Grupė Ž"))
        if payload.startswith("bc:") and role in allowed:  # a broadcast being written
            await everything.handle(Inbound("console", user, InboundKind.TEXT, text="/broadcast"))
        before = await _counts(sessions)
        turn = await everything.handle(
            Inbound("console", user, InboundKind.BUTTON, payload=payload)
        )
        await tasks_done(everything)  # an export is built outside the turn
        stale = [r for r in turn.replies if isinstance(r, Notice) and r.text]
        if role in allowed:
            assert not stale, (role, payload, turn.replies)
            assert await _counts(sessions) != before or payload.startswith(("revoke", "pp"))
        else:
            assert stale and stale[0].text == "Šis mygtukas nebegalioja.", (role, payload)
            assert len(turn.replies) == 2 and isinstance(turn.replies[1], EditSource)
            assert await _counts(sessions) == before, (role, payload)
        if payload == "export:csv" and role in allowed:
            sent = await task_results(everything, sessions, "task_export")
            assert any(isinstance(r, Document) for r in sent)


async def test_an_admin_grants_and_revokes_with_buttons_and_the_audit_records_it(
    everything: Dialogue, sessions: Sessions, clock: FakeClock, content: ContentStore
) -> None:
    async with sessions() as session, session.begin():
        for n in range(10):
            await add_person(session, f"p{n}", clock.now(), name=f"Dalyvė {n}")
        await add_person(session, ADMIN_ID, clock.now(), name="Boss")
        laima = await add_person(session, "laima", clock.now(), name="Laima Ūsaitė")
    chat = ConsoleChannel(everything, user_id=ADMIN_ID)
    listing = await chat.send("/grant")
    assert "Kam suteikti vaidmenį?" in listing and "▶️" in chat.options
    await chat.send(str(chat.options.index("▶️") + 1))
    label = f"#{laima.id} Laima Ūsaitė"
    assert label in chat.options
    await chat.send(str(chat.options.index(label) + 1))
    assert chat.options == ["Lektorius", "Koordinatorius", "✖️ Atšaukti"]
    confirm = await chat.send("1")
    assert "Suteikti vaidmenį „lektorius“?" in confirm
    done = await chat.send("1")
    assert "Laima Ūsaitė dabar turi vaidmenį „lektorius“" in done

    learner = ConsoleChannel(everything, user_id="laima")
    assert "/cohort_new" in await learner.send("/help")
    async with sessions() as session:
        trainers = await roles.holders(session, everything.deps, TRAINER)
        assert [p.name for p in trainers] == ["Laima Ūsaitė"]
        entry = await session.scalar(select(AuditLogEntry))
        assert entry is not None and entry.action == "role.grant"
        assert entry.target == f"participant:{laima.id}" and entry.details == {"role": "trainer"}
        assert entry.created_at == clock.now()

    typed = await chat.send(f"/revoke {laima.id} lektorius")
    assert "Atimti vaidmenį „lektorius“?" in typed
    assert "nebeturi vaidmens „lektorius“" in await chat.send("1")
    assert "Komandos /cohort_new nežinau." in await learner.send("/cohort_new")
    assert "Dalyvio 999 neradau." in await chat.send("/grant 999")
    async with sessions() as session:
        actions = list(await session.scalars(select(AuditLogEntry.action)))
        assert actions == ["role.grant", "role.revoke"]


async def test_a_trainer_creates_a_cohort_and_people_join_by_its_link(
    everything: Dialogue, sessions: Sessions, clock: FakeClock
) -> None:
    async with sessions() as session, session.begin():
        await add_person(session, "tom", clock.now(), name="Tomas", grants=(TRAINER,))
    chat = ConsoleChannel(everything, user_id="tom")
    assert "Kaip vadinsis naujoji grupė?" in await chat.send("/cohort_new")
    assert "Per trumpa" in await chat.send("!")
    assert "Kada grupė pradeda?" in await chat.send("Molėtų grupė „Rudenėlis“")
    assert "Parašykite datą taip" in await chat.send("rytoj")
    assert "Tokios dienos kalendoriuje nėra" in await chat.send("31.02.2027")
    assert "daugiau nei prieš metus" in await chat.send("2020-01-01")
    created = await chat.send("1.12.2026")
    assert "Grupė „Molėtų grupė „Rudenėlis““ sukurta; ji pradeda 2026-12-01." in created
    async with sessions() as session:
        cohort = await session.scalar(select(Cohort))
        assert cohort is not None and cohort.start_date == date(2026, 12, 1)
    assert f"https://t.me/CultureCoachTestBot?start={cohort.invite_code}" in created

    newcomer = ConsoleChannel(everything, user_id="new")
    assert "Prisijungėte prie grupės" in (await newcomer.send(f"/start {cohort.invite_code}"))
    listing = await chat.send("/cohorts")
    assert "Molėtų grupė „Rudenėlis“ · 2026-12-01 · 1 dalyvis" in listing

    await chat.send("/cohort_new")
    await chat.send("Antra grupė")
    assert "Atšaukta" in await chat.send("/cancel")
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Cohort)) == 1


async def test_without_a_bot_username_the_invitation_shows_the_start_command(
    sessions: Sessions, content: ContentStore, clock: FakeClock, everything: Dialogue
) -> None:
    everything.deps = Deps(content=content, clock=clock, sessions=sessions)
    async with sessions() as session, session.begin():
        await add_person(session, "tom", clock.now(), name="Tomas", grants=(TRAINER,))
    chat = ConsoleChannel(everything, user_id="tom")
    await chat.send("/cohort_new")
    await chat.send("Ignalinos grupė")
    created = await chat.send(str(chat.options.index(next(o for o in chat.options if "Kitą")) + 1))
    assert "Pakvietimo kodas:" in created and "/start " in created and "t.me" not in created
