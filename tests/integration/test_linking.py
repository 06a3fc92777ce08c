"""One person, one progress: /link joins a Messenger account to the course taken elsewhere."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.console.adapter import ConsoleChannel
from bot.content.loader import ContentStore
from bot.conversation.router import Dialogue
from bot.db.models import ChannelIdentity, Participant
from bot.features.linking import handlers as linking
from bot.kernel.clock import FakeClock
from bot.kernel.i18n import Translations
from bot.kernel.messages import Inbound, InboundKind, Message
from bot.kernel.registry import Registry
from tests.conftest import VILNIUS
from tests.integration.test_dialogue_console import onboard

Sessions = async_sessionmaker[AsyncSession]
CODE = re.compile(r"/link ([A-Z0-9]{4}-[A-Z0-9]{4})")


@pytest.fixture
def dialogue(
    sessions: Sessions, content: ContentStore, translations: Translations, clock: FakeClock
) -> Dialogue:
    """The core with /link alone: other features cannot change what these tests see."""
    registry = Registry()
    linking.register(registry)
    return Dialogue(sessions, content, translations, clock, VILNIUS, registry=registry)


class Messenger:
    """A person writing on Messenger, straight into the dialogue."""

    def __init__(self, dialogue: Dialogue, psid: str) -> None:
        self._dialogue, self._psid, self._n = dialogue, psid, 0

    async def say(self, text: str) -> str:
        self._n += 1
        inbound = Inbound(
            "messenger", self._psid, InboundKind.TEXT, text=text, update_id=f"{self._psid}{self._n}"
        )
        turn = await self._dialogue.handle(inbound)
        assert turn.ok
        return "\n".join(r.text for r in turn.replies if isinstance(r, Message))


async def code_from(chat: ConsoleChannel) -> str:
    reply = await chat.send("/link")
    found = CODE.search(reply)
    assert found, reply
    return found.group(1)


async def counts(sessions: Sessions) -> tuple[int, int]:
    async with sessions() as session:
        people = await session.scalar(select(func.count(Participant.id)))
        identities = await session.scalar(select(func.count(ChannelIdentity.id)))
        return int(people or 0), int(identities or 0)


async def test_a_code_joins_messenger_to_the_course_taken_in_the_other_app(
    dialogue: Dialogue, sessions: Sessions
) -> None:
    chat = ConsoleChannel(dialogue, "ruta")
    await onboard(chat)
    code = await code_from(chat)
    assert "30 minučių" in (await chat.send("/link"))  # a new code; the old one stops working
    code = await code_from(chat)
    phone = Messenger(dialogue, "psid-ruta")
    await phone.say("Labas")  # a new account starts getting to know her
    assert await counts(sessions) == (2, 2)
    reply = await phone.say(f"/link {code.lower()}")  # any case works
    assert "Susieta, Rūta Žemaitytė!" in reply
    assert await counts(sessions) == (1, 2)
    assert "Sveiki sugrįžę" in await phone.say("/start")  # no second onboarding
    async with sessions() as session:
        person = await session.scalar(select(Participant))
        channels = set(await session.scalars(select(ChannelIdentity.channel)))
    assert person is not None and person.name == "Rūta Žemaitytė"
    assert channels == {"console", "messenger"}


async def test_wrong_old_used_and_own_codes_get_clear_answers(
    dialogue: Dialogue, sessions: Sessions, clock: FakeClock
) -> None:
    chat = ConsoleChannel(dialogue, "jonas")
    await onboard(chat)
    phone = Messenger(dialogue, "psid-x")
    assert "Tokio kodo nežinau" in await phone.say("/link AAAA-BBBB")
    assert "jūsų programėlei" in await chat.send(f"/link {await code_from(chat)}")
    code = await code_from(chat)
    clock.advance(timedelta(minutes=31))
    assert "galiojimas baigėsi" in await phone.say(f"/link {code}")
    code = await code_from(chat)
    assert "Susieta" in await phone.say(f"/link {code}")
    other = Messenger(dialogue, "psid-y")
    assert "jau panaudotas" in await other.say(f"/link {code}")
    assert await counts(sessions) == (2, 3)


async def test_an_account_with_its_own_progress_is_never_dropped(
    dialogue: Dialogue, sessions: Sessions
) -> None:
    first, second = ConsoleChannel(dialogue, "a"), ConsoleChannel(dialogue, "b")
    await onboard(first)
    await onboard(second)
    await second.send("1")  # an answer: the second account has progress of its own
    code = await code_from(first)
    reply = await second.send(f"/link {code}")
    assert "atvirkščiai" in reply or "Išsiųskite jį iš kitos" in reply
    assert await counts(sessions) == (2, 2)


async def test_link_before_onboarding_explains_what_to_do(dialogue: Dialogue) -> None:
    phone = Messenger(dialogue, "psid-new")
    assert "/link ABCD-EFGH" in await phone.say("/link")
