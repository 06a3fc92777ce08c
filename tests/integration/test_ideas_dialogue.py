"""The idea coach through the dialogue: self-audit, /audit, ideas step by step, stuck and the
trainer's reply, sharing and borrowing, the trainers' list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.console.adapter import ConsoleChannel
from bot.content.loader import ContentStore
from bot.conversation.router import Dialogue
from bot.db.models import (
    Idea,
    OutboxMessage,
    Participant,
    RoleGrant,
    SelfAuditAnswer,
    WebAudit,
)
from bot.delivery.payload import load_replies
from bot.features.ideas.prompts import prompt_due_steps
from bot.kernel.clock import FakeClock
from bot.kernel.coach import IdeaCoach, build_coach
from bot.kernel.context import Deps
from bot.kernel.i18n import Translations
from bot.kernel.messages import Inbound, InboundKind, Message
from bot.net.pages import FetchPolicy
from tests.conftest import VILNIUS
from tests.helpers import tasks_done
from tests.ideas_sites import GOOD, serve
from tests.integration.test_dialogue_console import press

Sessions = async_sessionmaker[AsyncSession]


def _coach(content: ContentStore, *, allow_private: bool = True) -> IdeaCoach:
    return build_coach(content, FetchPolicy(allow_private=allow_private, timeout=2.0))


def _dialogue(
    sessions: Sessions,
    content: ContentStore,
    translations: Translations,
    clock: FakeClock,
    coach: IdeaCoach,
) -> Dialogue:
    deps = Deps(content=content, clock=clock, sessions=sessions, ideas=coach)
    return Dialogue(sessions, content, translations, clock, VILNIUS, deps=deps)


@pytest.fixture
def coach(content: ContentStore) -> IdeaCoach:
    return _coach(content)


@pytest.fixture
def coached(
    sessions: Sessions,
    content: ContentStore,
    translations: Translations,
    clock: FakeClock,
    coach: IdeaCoach,
) -> Dialogue:
    return _dialogue(sessions, content, translations, clock, coach)


async def join(chat: ConsoleChannel, name: str, municipality: str = "Utena") -> int:
    """Onboard in Lithuanian with lessons at 12:00; the participant's id."""
    await chat.send("/start")
    await chat.send(press(chat, "Lietuviškai"))
    await chat.send("1")
    await chat.send(name)
    await chat.send(press(chat, municipality))
    await chat.send("Viešoji biblioteka")
    await chat.send("2")
    await chat.send("12:00")
    turn = await chat._handler.handle(
        Inbound("console", chat.user_id, InboundKind.TEXT, text="/ideas")
    )
    assert turn.ok
    return await _participant_id(chat)


async def _participant_id(chat: ConsoleChannel) -> int:
    dialogue = chat._handler
    assert isinstance(dialogue, Dialogue)
    async with dialogue.deps.sessions() as session:  # type: ignore[misc]
        found = await session.scalars(select(Participant).order_by(Participant.id))
        return list(found)[-1].id


def _texts(replies: list) -> str:
    return "\n".join(getattr(r, "text", None) or "" for r in replies)


async def outbox(sessions: Sessions, participant_id: int) -> list[str]:
    """Texts queued for someone, oldest first."""
    async with sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.participant_id == participant_id, OutboxMessage.purpose != "reply")
            .order_by(OutboxMessage.id)
        )
        return [
            "\n".join(r.text for r in load_replies(row.payload) if isinstance(r, Message))
            for row in rows
        ]


async def outbox_buttons(sessions: Sessions, participant_id: int) -> list[str]:
    async with sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.participant_id == participant_id, OutboxMessage.purpose != "reply"
            )
        )
        return [
            button.payload
            for row in rows
            for reply in load_replies(row.payload)
            if isinstance(reply, Message)
            for line in reply.buttons
            for button in line
        ]


async def test_audit_reports_findings_and_the_next_audit_shows_what_improved(
    coached: Dialogue, coach: IdeaCoach, sessions: Sessions
) -> None:
    chat = ConsoleChannel(coached)
    me = await join(chat, "Rūta Žemaitytė")
    async with serve() as sites:
        assert "Tikrinu" in await chat.send(f"/audit {sites.url('/poor')}")
        await tasks_done(coached)
        sites.pages["/poor"] = GOOD
        await chat.send(f"/audit {sites.url('/poor')}")
        await tasks_done(coached)
    first, second = (await outbox(sessions, me))[:1], (await outbox(sessions, me))[1:]
    assert "🔴 <b>Pritaikyta telefonui</b>" in first[0]
    assert "📘 Pamoka: Pirmiausia – telefonas" in first[0]
    assert "Šią patikrą išsaugojau" in first[0]
    assert "📈 Pagerėjo:" in second[0] and "Pritaikyta telefonui" in second[0].split("📈")[1]
    assert "isg:mobile-friendly" in await outbox_buttons(sessions, me)
    async with sessions() as session:
        audits = list(await session.scalars(select(WebAudit)))
    assert len(audits) == 2 and audits[0].findings["viewport"]["ok"] is False


async def test_audit_refuses_loopback_without_the_setting(
    sessions: Sessions, content: ContentStore, translations: Translations, clock: FakeClock
) -> None:
    coach = _coach(content, allow_private=False)
    dialogue = _dialogue(sessions, content, translations, clock, coach)
    chat = ConsoleChannel(dialogue)
    me = await join(chat, "Rūta Žemaitytė")
    async with serve() as sites:
        await chat.send(f"/audit {sites.url('/good')}")
        await tasks_done(dialogue)
    assert "privatų ar vidinį tinklą" in (await outbox(sessions, me))[0]
    assert "nepanašu į interneto adresą" in await chat.send("/audit ftp:/nothing")


async def _take_idea_from_checklist(chat: ConsoleChannel) -> str:
    await chat.send("/audit")
    reply = await chat.send(press(chat, "„Facebook“ puslapis"))
    assert "1 klausimas iš 6" in reply
    reply = await chat.send(press(chat, "Ne"))
    for _ in range(5):
        reply = await chat.send(press(chat, "Taip"))
    assert "Taip: 5 · Ne: 1" in reply
    card = await chat.send(press(chat, "Išsamiai užpildytas „Facebook“ puslapis"))
    assert "📘 Pamoka: „Facebook“ puslapis įstaigai" in card
    steps = await chat.send(press(chat, "Imtis šios idėjos"))
    assert "1. Patikrinkite, ar įstaiga turi puslapį" in steps
    await chat.send(press(chat, "Palikti šiuos žingsnius"))
    return await chat.send(press(chat, "Po 2 savaičių"))


async def test_a_checklist_no_leads_to_an_idea_walked_through_step_by_step(
    coached: Dialogue, sessions: Sessions, clock: FakeClock
) -> None:
    chat = ConsoleChannel(coached)
    me = await join(chat, "Rūta Žemaitytė")
    prompt = await _take_idea_from_checklist(chat)
    assert "1 žingsnis iš 3 —" in prompt and "Tikslo data: 2026-12-08" in prompt
    assert chat.options == ["✅ Atlikta", "⏳ Reikia daugiau laiko", "🆘 Įstrigau"]
    done = await chat.send("1")
    assert "1 žingsnis atliktas! Toliau: Užpildykite darbo laiką" in done
    assert "2026-11-25 12:00" in done
    assert "Atsiųskite nuorodą" in await chat.send("tiesiog tekstas")
    assert "Išsaugota" in await chat.send("Štai: https://facebook.com/utenosbiblioteka")
    listing = await chat.send("/ideas")
    assert "🟩⬜⬜ 1/3 · vykdoma · iki 2026-12-08" in listing
    async with sessions() as session:
        idea = await session.scalar(select(Idea))
        assert (
            idea is not None and idea.steps[0].evidence == "https://facebook.com/utenosbiblioteka"
        )
        answers = list(await session.scalars(select(SelfAuditAnswer)))
        assert {a.answer for a in answers} == {"n", "y"} and len(answers) == 6
    assert me


async def test_step_prompts_come_at_the_preferred_time_and_can_be_postponed(
    coached: Dialogue, sessions: Sessions, clock: FakeClock, translations: Translations
) -> None:
    chat = ConsoleChannel(coached)
    me = await join(chat, "Rūta Žemaitytė")
    await _take_idea_from_checklist(chat)
    await chat.send("1")  # Done with step 1: step 2 is due tomorrow at 12:00 Vilnius time
    photo = Inbound("console", "local", InboundKind.OTHER, attachment="photo:AgADBAAD")
    assert "Išsaugota" in _texts((await coached.handle(photo)).replies)
    assert await prompt_due_steps(sessions, clock.now(), translations, VILNIUS) == 0
    clock.set(datetime(2026, 11, 25, 10, 0, tzinfo=UTC))  # 12:00 in Vilnius
    assert await prompt_due_steps(sessions, clock.now(), translations, VILNIUS) == 1
    assert await prompt_due_steps(sessions, clock.now(), translations, VILNIUS) == 0
    prompt = (await outbox(sessions, me))[-1]
    assert "2 žingsnis iš 3 — Užpildykite darbo laiką" in prompt
    payloads = await outbox_buttons(sessions, me)
    later = next(p for p in payloads if p.endswith(":2:m"))
    turn = await coached.handle(Inbound("console", "local", InboundKind.BUTTON, payload=later))
    assert "priminsiu 2026-11-28 12:00" in _texts(turn.replies)
    async with sessions() as session:
        idea = await session.scalar(select(Idea))
        assert idea is not None
        assert idea.next_prompt_at == datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
        assert idea.steps[1].postponed == 1
        assert idea.steps[0].evidence == "photo:AgADBAAD"
    clock.advance(timedelta(days=3))
    assert await prompt_due_steps(sessions, clock.now(), translations, VILNIUS) == 1


async def test_stuck_reaches_the_trainers_and_their_reply_reaches_the_participant(
    coached: Dialogue, sessions: Sessions
) -> None:
    trainer_chat = ConsoleChannel(coached, user_id="trainer")
    trainer = await join(trainer_chat, "Lina Lektorė", "Molėtai")
    async with sessions() as session, session.begin():
        session.add(RoleGrant(participant_id=trainer, role="trainer", granted_at=datetime.now(UTC)))
    chat = ConsoleChannel(coached)
    me = await join(chat, "Rūta Žemaitytė")
    await _take_idea_from_checklist(chat)
    assert "Kas trukdo?" in await chat.send(press(chat, "Įstrigau"))
    assert "Perdaviau lektoriams" in await chat.send("Nežinau, kas yra puslapio administratorius")
    notice = (await outbox(sessions, trainer))[-1]
    assert "<b>Rūta Žemaitytė</b> (Viešoji biblioteka, Utena) įstrigo." in notice
    assert "1 žingsnis iš 3: Patikrinkite" in notice and "Nežinau, kas yra" in notice
    reply = next(p for p in await outbox_buttons(sessions, trainer) if p.startswith("irp:"))
    turn = await coached.handle(Inbound("console", "trainer", InboundKind.BUTTON, payload=reply))
    assert "per botą" in _texts(turn.replies)
    assert "Išsiųsta" in await trainer_chat.send("Paklauskite direktorės – ji sukūrė puslapį.")
    answer = (await outbox(sessions, me))[-1]
    assert "Lektoriaus atsakymas" in answer and "Paklauskite direktorės" in answer
    # A participant cannot press a trainer's button.
    forged = await coached.handle(Inbound("console", "local", InboundKind.BUTTON, payload=reply))
    assert _texts(forged.replies).strip() == "Šis mygtukas nebegalioja."


async def test_a_shared_idea_can_be_borrowed_and_its_author_is_told(
    coached: Dialogue, sessions: Sessions
) -> None:
    author_chat = ConsoleChannel(coached, user_id="author")
    author = await join(author_chat, "Rūta Žemaitytė")
    await _take_idea_from_checklist(author_chat)
    await author_chat.send("/ideas")
    await author_chat.send("1")
    assert "Pasidalyta!" in await author_chat.send(press(author_chat, "Pasidalyti su grupe"))
    chat = ConsoleChannel(coached, user_id="borrower")
    borrower = await join(chat, "Jonas Petraitis", "Molėtai")
    gallery = await chat.send("/gallery")
    assert "Išsamiai užpildytas „Facebook“ puslapis" in gallery and "(Utena)" in gallery
    borrowed = await chat.send(press(chat, "Pasiskolinti 1"))
    assert "su 3 žingsniais" in borrowed
    told = (await outbox(sessions, author))[-1]
    assert "Jonas Petraitis (Molėtai) pasiskolino jūsų idėją" in told
    async with sessions() as session:
        copy = await session.scalar(select(Idea).where(Idea.participant_id == borrower))
        assert copy is not None and copy.borrowed_from_id is not None
        assert len(copy.steps) == 3
        assert copy.steps[0].text.startswith("Patikrinkite, ar įstaiga")
        assert all(s.done_at is None for s in copy.steps) and copy.status == "planned"
    await chat.send("/gallery")
    again = await coached.handle(
        Inbound("console", "borrower", InboundKind.BUTTON, payload=f"ibr:{copy.borrowed_from_id}")
    )
    assert "jau pasiskolinote" in _texts(again.replies)
    own = await author_chat.send("/gallery")
    assert "Išsamiai užpildytas" in own and not any(
        "Pasiskolinti" in o for o in author_chat.options
    )


async def test_trainers_list_every_idea_by_municipality_and_status_and_comment(
    coached: Dialogue, sessions: Sessions
) -> None:
    chat = ConsoleChannel(coached)
    me = await join(chat, "Rūta Žemaitytė")
    await _take_idea_from_checklist(chat)
    assert "Komandos /allideas nežinau" in await chat.send("/allideas")
    trainer_chat = ConsoleChannel(coached, user_id="trainer")
    trainer = await join(trainer_chat, "Lina Lektorė", "Molėtai")
    async with sessions() as session, session.begin():
        session.add(RoleGrant(participant_id=trainer, role="trainer", granted_at=datetime.now(UTC)))
    listing = await trainer_chat.send("/allideas")
    assert "Idėjos: 1" in listing and "Rūta Žemaitytė" in listing
    molėtai = await trainer_chat.send(press(trainer_chat, "Molėtai"))
    assert "Idėjos: 0 · Molėtai" in molėtai
    utena = await trainer_chat.send(press(trainer_chat, "Utena"))
    assert "Idėjos: 1 · Utena" in utena
    done = await trainer_chat.send(press(trainer_chat, "įgyvendinta"))
    assert "Idėjos: 0 · Utena · įgyvendinta" in done
    await trainer_chat.send(press(trainer_chat, "vykdoma"))
    assert "Parašykite komentarą" in await trainer_chat.send(press(trainer_chat, "💬 #"))
    await trainer_chat.send("Puiki pradžia!")
    assert "Lektoriaus komentaras" in (await outbox(sessions, me))[-1]
