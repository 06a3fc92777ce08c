"""Button payloads carrying someone else's ids are checked against server state: pressing
them changes nothing and gets a polite "no longer active"."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversation.router import Dialogue
from bot.db.models import Idea, IdeaStep
from bot.kernel.clock import FakeClock
from bot.kernel.messages import Inbound, InboundKind
from tests.integration.admin_data import add_person

Sessions = async_sessionmaker[AsyncSession]


async def test_another_participants_idea_cannot_be_touched(
    dialogue: Dialogue, sessions: Sessions, clock: FakeClock
) -> None:
    now = clock.now()
    async with sessions() as session, session.begin():
        owner = await add_person(session, "owner", now, name="Idėjos Autorė")
        await add_person(session, "intruder", now, name="Smalsuolis")
        idea = Idea(
            participant_id=owner.id, title="Naujienlaiškis", status="in_progress", created_at=now
        )
        idea.steps.append(IdeaStep(position=1, text="Sukurti formą"))
        session.add(idea)
        await session.flush()
        idea_id = idea.id

    def snapshot(found: Idea) -> tuple[object, ...]:
        return (found.title, found.status, found.shared_at, found.participant_id, found.done_at)

    async with sessions() as session:
        before = snapshot(await session.get_one(Idea, idea_id))
    payloads = [
        f"{prefix}:{idea_id}"
        for prefix in ("iv", "istart", "icur", "idrop", "ish", "iedit", "ikeep", "idt")
    ] + [f"ist:{idea_id}:1:done", f"ist:{idea_id}:1:more", f"ist:{idea_id}:1:stuck"]
    for payload in payloads:
        turn = await dialogue.handle(
            Inbound("console", "intruder", InboundKind.BUTTON, payload=payload)
        )
        texts = " ".join(getattr(r, "text", "") or "" for r in turn.replies)
        assert "Naujienlaiškis" not in texts, payload
        assert "nebegalioja" in texts or "nerasta" in texts.lower(), (payload, texts)
    async with sessions() as session:
        assert snapshot(await session.get_one(Idea, idea_id)) == before
        steps = list(await session.scalars(select(IdeaStep).where(IdeaStep.idea_id == idea_id)))
        assert [(s.position, s.done_at) for s in steps] == [(1, None)]
