"""Features plug into the dialogue through the registry; the router checks roles first."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.console.adapter import ConsoleChannel
from bot.content.loader import ContentStore
from bot.conversation.router import Dialogue
from bot.db import participants
from bot.db.models import DialogueState
from bot.domain.profile import Command
from bot.kernel.clock import FakeClock
from bot.kernel.context import Context, Deps, fill
from bot.kernel.i18n import Translations
from bot.kernel.messages import Button, Inbound, InboundKind, Message, Outbound
from bot.kernel.registry import TRAINER, Registry
from tests.conftest import VILNIUS
from tests.integration.test_dialogue_console import onboard

Sessions = async_sessionmaker[AsyncSession]


def _registry() -> Registry:
    registry = Registry()

    @registry.command("note", "write a note")
    async def note(ctx: Context, command: Command) -> list[Outbound]:
        await participants.set_state(ctx.session, ctx.participant.id, "note", "text", ctx.now)
        return [Message("Write your note.")]

    @registry.flow("note")
    async def noted(ctx: Context, state: DialogueState) -> list[Outbound]:
        await participants.clear_state(ctx.session, ctx.participant.id)
        return [Message(fill("Noted: {text}", text=ctx.inbound.text))]

    @registry.command("secret", "trainers only", roles={TRAINER})
    async def secret(ctx: Context, command: Command) -> list[Outbound]:
        return [Message("Secret", ((Button("Go", "sec:1"),),))]

    @registry.button("sec", roles={TRAINER})
    async def pressed(ctx: Context, payload: str) -> list[Outbound]:
        return [Message(f"Pressed {payload}")]

    return registry


@pytest.fixture
def admin_dialogue(
    sessions: Sessions,
    content: ContentStore,
    translations: Translations,
    clock: FakeClock,
) -> Dialogue:
    deps = Deps(content=content, clock=clock, sessions=sessions, console_admins=frozenset({"boss"}))
    return Dialogue(
        sessions, content, translations, clock, VILNIUS, registry=_registry(), deps=deps
    )


async def test_a_flow_receives_text_and_cancel_ends_it(admin_dialogue: Dialogue) -> None:
    chat = ConsoleChannel(admin_dialogue)
    await onboard(chat)
    assert "/note" in await chat.send("/help")
    assert "Write your note." in await chat.send("/note")
    assert "Noted: <b>hi</b>" in await chat.send("<b>hi</b>")
    await chat.send("/note")
    assert "Atšaukta" in await chat.send("/cancel")
    assert "Nėra ko atšaukti" in await chat.send("/cancel")


async def test_without_the_role_a_command_looks_unknown_and_a_button_stale(
    admin_dialogue: Dialogue,
) -> None:
    chat = ConsoleChannel(admin_dialogue)
    await onboard(chat)
    assert "/secret" not in await chat.send("/help")
    assert "Komandos /secret nežinau." in await chat.send("/secret")
    forged = Inbound("console", "local", InboundKind.BUTTON, payload="sec:1")
    turn = await admin_dialogue.handle(forged)
    assert getattr(turn.replies[0], "text", "") == "Šis mygtukas nebegalioja."


async def test_an_admin_holds_every_role(admin_dialogue: Dialogue) -> None:
    chat = ConsoleChannel(admin_dialogue, user_id="boss")
    await onboard(chat)
    assert "/secret" in await chat.send("/help")
    assert "Secret" in await chat.send("/secret")
    assert "Pressed sec:1" in await chat.send("1")


def test_a_name_or_prefix_cannot_be_registered_twice() -> None:
    registry = _registry()
    with pytest.raises(ValueError, match="twice"):
        registry.command("note", "again")(registry.commands["note"].handler)
    with pytest.raises(ValueError, match="taken"):
        registry.button("sec")(registry.buttons["sec"].handler)
