"""/mydata shows everything stored about a person; /deleteme erases it and forgets them."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import String, Text, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.console.adapter import ConsoleChannel
from bot.content.loader import ContentStore
from bot.conversation.router import Dialogue
from bot.db.models import Base, Participant
from bot.kernel.messages import Document, Inbound, InboundKind, Message
from tests.helpers import answer_in_console
from tests.integration.test_dialogue_console import onboard, press

Sessions = async_sessionmaker[AsyncSession]
NAME, INSTITUTION = "Rūta Žemaitytė", "Utenos A. ir M. Miškinių viešoji biblioteka"


async def _learner(dialogue: Dialogue, content: ContentStore, user: str) -> ConsoleChannel:
    """Someone onboarded who has answered the first lesson's quiz."""
    chat = ConsoleChannel(dialogue, user_id=user)
    await onboard(chat)
    for question in content.index.lessons[0].lesson.quiz:
        await answer_in_console(chat, question)
    return chat


async def _mydata(dialogue: Dialogue, user: str) -> tuple[str, dict[str, Any]]:
    turn = await dialogue.handle(Inbound("console", user, InboundKind.TEXT, text="/mydata"))
    summary = next(r for r in turn.replies if isinstance(r, Message))
    document = next(r for r in turn.replies if isinstance(r, Document))
    assert document.filename.endswith(".json")
    return summary.text, json.loads(document.data.decode("utf-8"))


async def _texts_naming(sessions: Sessions, needles: list[str]) -> list[str]:
    """Every stored text value, in every table, that contains one of the needles."""
    found = []
    async with sessions() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text)]
            for column in columns:
                for value in await session.scalars(select(column)):
                    if value and any(needle in value for needle in needles):
                        found.append(f"{table.name}.{column.name}")
    return found


async def test_mydata_holds_the_profile_the_channel_and_every_answer(
    dialogue: Dialogue, content: ContentStore
) -> None:
    await _learner(dialogue, content, "ruta")
    summary, data = await _mydata(dialogue, "ruta")
    assert "Jūsų duomenys" in summary and NAME in summary and "Savivaldybė: Utena" in summary
    assert "Veiklos sritis: Rūpinuosi viešaisiais ryšiais" in summary
    assert "Testų atsakymai: 3" in summary and "Gautos pamokos: 1" in summary
    (profile,) = data["participants"]
    assert (profile["name"], profile["institution"]) == (NAME, INSTITUTION)
    assert (profile["municipality"], profile["role"], profile["language"]) == ("utena", "pr", "lt")
    assert profile["preferred_time"] == "12:00:00"
    assert [(i["channel"], i["external_id"]) for i in data["channel_identities"]] == [
        ("console", "ruta")
    ]
    quiz = content.index.lessons[0].lesson.quiz
    assert sorted(a["question_id"] for a in data["answers"]) == sorted(q.id for q in quiz)
    assert all(a["is_correct"] in (True, None) for a in data["answers"])
    assert [d["lesson_id"] for d in data["lesson_deliveries"]] == [quiz[0].id.rsplit("-", 1)[0]]


async def test_mydata_shows_names_as_typed_and_holds_open_answers(
    dialogue: Dialogue, content: ContentStore
) -> None:
    chat = ConsoleChannel(dialogue, user_id="tag")
    await chat.send("/start")
    await chat.send(press(chat, "Lietuviškai"))
    await chat.send("1")
    await chat.send('<a href="javascript:alert(1)">Ona</a> &amp; <b>')
    summary, data = await _mydata(dialogue, "tag")
    assert (
        "&lt;a href=&quot;javascript:alert(1)&quot;&gt;Ona&lt;/a&gt; &amp;amp; &lt;b&gt;" in summary
    )
    assert data["participants"][0]["name"] == '<a href="javascript:alert(1)">Ona</a> &amp; <b>'


async def test_deleteme_asks_first_and_keep_keeps_everything(
    dialogue: Dialogue, sessions: Sessions, content: ContentStore
) -> None:
    chat = await _learner(dialogue, content, "keep")
    question = await chat.send("/deleteme")
    assert "Ištrinti visus jūsų duomenis?" in question
    assert "Paspauskite" not in await chat.send("labas")  # text re-asks, erases nothing
    assert "Niekas neištrinta" in await chat.send(press(chat, "Ne, palikti"))
    stale = Inbound("console", "keep", InboundKind.BUTTON, payload="priv:erase")
    turn = await dialogue.handle(stale)
    assert "nebegalioja" in getattr(turn.replies[-1], "text", "")
    async with sessions() as session:
        assert await session.scalar(select(func.count(Participant.id))) == 1


async def test_deleteme_leaves_no_row_that_names_the_person(
    dialogue: Dialogue, sessions: Sessions, content: ContentStore
) -> None:
    await _learner(dialogue, content, "stays")
    chat = await _learner(dialogue, content, "leaves")
    await chat.send("/deleteme")
    goodbye = await chat.send(press(chat, "Taip, ištrinti"))
    assert "duomenys ištrinti" in goodbye
    assert await _texts_naming(sessions, ["leaves"]) == []
    async with sessions() as session:
        remaining = list(await session.scalars(select(Participant)))
    assert len(remaining) == 1  # the other participant keeps everything
    _, kept = await _mydata(dialogue, "stays")
    assert len(kept["answers"]) == len(content.index.lessons[0].lesson.quiz)
    again = await chat.send("/start")
    assert "Sveiki!" in again  # a new participant from the first step


def test_every_link_to_a_participant_says_what_erasure_does() -> None:
    missing = [
        f"{fk.parent.table.name}.{fk.parent.name}"
        for table in Base.metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column.table.name == "participants" and fk.ondelete not in ("CASCADE", "SET NULL")
    ]
    assert missing == []


async def test_privacy_commands_work_before_onboarding_ends(
    dialogue: Dialogue, sessions: Sessions
) -> None:
    chat = ConsoleChannel(dialogue, user_id="early")
    await chat.send("/start")
    await chat.send(press(chat, "Lietuviškai"))
    await chat.send("1")
    await chat.send("Jonas Jonaitis")
    assert "Ištrinti visus" in await chat.send("/deleteme")
    await chat.send(press(chat, "Ne, palikti"))
    assert "Kurioje savivaldybėje" in await chat.send("/start")  # back where they were
    await chat.send("/deleteme")
    assert "duomenys ištrinti" in await chat.send(press(chat, "Taip, ištrinti"))
    assert await _texts_naming(sessions, ["Jonas", "early"]) == []
