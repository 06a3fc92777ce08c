"""The hostile-input corpus sent at every dialogue state: no crash, no unhandled error in the
log, a reply every time, every reply valid for Telegram, and nothing stored changed by an
input that should change nothing."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Awaitable, Callable
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.channels.console.adapter import ConsoleChannel
from bot.content.loader import ContentStore
from bot.conversation.router import Dialogue
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade
from bot.kernel.clock import FakeClock
from bot.kernel.i18n import Translations
from bot.kernel.messages import EditSource, Image, Inbound, Message, Notice, Outbound, Turn
from tests.conftest import VILNIUS
from tests.fakes.telegram_html import HtmlParseError, parse_html, utf16_len
from tests.fixtures.hostile import Hostile, corpus
from tests.helpers import tasks_done
from tests.integration.test_dialogue_console import press

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "course"
Sessions = async_sessionmaker[AsyncSession]
Setup = Callable[[ConsoleChannel], Awaitable[None]]
# Columns that record activity rather than content: touching them is fine.
ACTIVITY = {"last_seen_at", "last_inbound_at"}
# The update ledger, and the outbox: what the person is sent (checked on its own), not data.
SKIPPED_TABLES = {"processed_updates", "outbox"}
_users = count(1)


async def _language(chat: ConsoleChannel) -> None:
    await chat.send("/start")


async def _privacy(chat: ConsoleChannel) -> None:
    await _language(chat)
    await chat.send(press(chat, "Lietuviškai"))


async def _name(chat: ConsoleChannel) -> None:
    await _privacy(chat)
    await chat.send("1")


async def _municipality(chat: ConsoleChannel) -> None:
    await _name(chat)
    await chat.send("Rūta Žemaitytė")


async def _institution(chat: ConsoleChannel) -> None:
    await _municipality(chat)
    await chat.send(press(chat, "Utena"))


async def _role(chat: ConsoleChannel) -> None:
    await _institution(chat)
    await chat.send("Utenos biblioteka")


async def _time(chat: ConsoleChannel) -> None:
    await _role(chat)
    await chat.send("2")


async def _single(chat: ConsoleChannel) -> None:
    await _time(chat)
    await chat.send("12:00")


async def _multiple(chat: ConsoleChannel) -> None:
    await _single(chat)
    await chat.send(press(chat, "Šis"))
    await chat.send(press(chat, "Pirmas"))  # one option ticked, not yet submitted


async def _open(chat: ConsoleChannel) -> None:
    await _multiple(chat)
    await chat.send(press(chat, "Pateikti"))


async def _menu(chat: ConsoleChannel) -> None:
    await _open(chat)
    await chat.send("Atnaujinsiu svetainės meniu")


async def _reflection(chat: ConsoleChannel) -> None:
    await _menu(chat)
    await chat.send(press(chat, "Kita pamoka"))
    await chat.send(press(chat, "Tiesa"))


async def _idea_title(chat: ConsoleChannel) -> None:
    await _menu(chat)
    await chat.send("/ideas")
    await chat.send(press(chat, "Nauja idėja"))


async def _audit_address(chat: ConsoleChannel) -> None:
    await _menu(chat)
    await chat.send("/audit")
    await chat.send(press(chat, "patikrinti tinklalapį"))


async def _lesson_time(chat: ConsoleChannel) -> None:
    await _menu(chat)
    await chat.send("/settings")
    await chat.send(press(chat, "Keisti pamokų laiką"))


async def _erase_confirmation(chat: ConsoleChannel) -> None:
    await _menu(chat)
    await chat.send("/deleteme")


STATES: dict[str, Setup] = {
    "language": _language,
    "privacy": _privacy,
    "name": _name,
    "municipality": _municipality,
    "institution": _institution,
    "role": _role,
    "time": _time,
    "single-choice question": _single,
    "multiple-choice question": _multiple,
    "open question": _open,
    "lesson done": _menu,
    "module reflection": _reflection,
    "new idea's title": _idea_title,
    "web address to check": _audit_address,
    "lesson time": _lesson_time,
    "erase confirmation": _erase_confirmation,
}


class Writes:
    """Records every statement that changed stored rows (activity stamps and the update
    ledger left out): far cheaper than comparing the database before and after."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.changes: list[str] = []
        event.listen(engine.sync_engine, "after_cursor_execute", self._record)

    def _record(self, _conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        words = statement.split(None, 3)
        verb = words[0].upper() if words else ""
        if verb not in ("INSERT", "UPDATE", "DELETE") or cursor.rowcount == 0:
            return
        if verb == "INSERT" and words[2] in SKIPPED_TABLES:
            return
        if verb == "UPDATE" and words[1] in SKIPPED_TABLES:
            return
        if verb == "UPDATE":
            assignments = statement.split(" SET ", 1)[1].split(" WHERE ", 1)[0]
            columns = {part.split("=")[0].strip() for part in assignments.split(",")}
            if columns <= ACTIVITY:
                return
        self.changes.append(statement[:80])

    def take(self) -> list[str]:
        """The changes since the last call."""
        changes, self.changes = self.changes, []
        return changes


def _stored_data(changes: list[str]) -> list[str]:
    """Changes beyond the conversation's position (the dialogue state)."""
    return [change for change in changes if "dialogue_states" not in change]


async def _settle(dialogue: Dialogue) -> None:
    """Wait for background work an input started (a page check) before the next input."""
    await tasks_done(dialogue)


def _problems(item: Hostile, replies: list[Outbound]) -> list[str]:
    """What is wrong with the replies to one input."""
    problems = [] if replies else ["no reply"]
    for reply in replies:
        texts = []
        if isinstance(reply, Message):
            texts.append(reply.text)
            buttons = [b for row in reply.buttons for b in row]
        elif isinstance(reply, EditSource):
            texts += [reply.text] if reply.text is not None else []
            buttons = [b for row in reply.buttons for b in row]
        elif isinstance(reply, Image):
            texts.append(reply.caption)
            buttons = []
        else:
            buttons = []
        if isinstance(reply, Message) and not reply.text.strip():
            problems.append("an empty message")
        for text in texts:
            try:
                visible, _ = parse_html(text)
            except HtmlParseError as error:
                problems.append(f"Telegram would refuse the HTML: {error} in {text[:80]!r}")
                continue
            if utf16_len(visible) > 4096:
                problems.append(f"a message of {utf16_len(visible)} characters")
        for button in buttons:
            if not button.label.strip() or len(button.payload.encode()) > 64:
                problems.append(f"a bad button {button}")
        if isinstance(reply, Notice) and len(reply.text) > 200:
            problems.append("a notice over 200 characters")
    return [f"{item.label}: {p}" for p in problems]


@pytest.fixture
def mini(sessions: Sessions, translations: Translations, clock: FakeClock) -> Dialogue:
    return Dialogue(sessions, ContentStore(FIXTURE), translations, clock, VILNIUS)


def test_the_corpus_is_large_enough() -> None:
    assert len(corpus()) >= 200


async def test_a_stranger_sending_anything_first_gets_a_valid_reply(
    mini: Dialogue, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The whole corpus on SQLite; on PostgreSQL the inputs it might refuse to store."""
    items = corpus(tuple(mini.registry.buttons))
    if not database_url.startswith("sqlite"):
        items = list(filter(_hard_to_store, items))
    problems: list[str] = []
    for item in items:
        inbound = Inbound("console", f"stranger-{next(_users)}", item.kind, item.value, item.value)
        turn = await mini.handle(inbound)
        problems += _problems(item, turn.replies) + ([] if turn.ok else [f"{item.label}: error"])
    assert not problems, "\n".join(problems[:20])
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def _run_one(item: Hostile, turn: Turn) -> list[str]:
    return _problems(item, turn.replies) + ([] if turn.ok else [f"{item.label}: error"])


def _copy(source: Path, target: Path) -> None:
    """Copy an SQLite database (closed: no connection open) with its WAL files, if any."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database at the newest schema, migrated once for this module."""
    path = tmp_path_factory.mktemp("hostile") / "empty.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.mark.parametrize("state", list(STATES))
async def test_every_hostile_input_at_every_state(
    state: str,
    migrated_sqlite: Path,
    tmp_path: Path,
    translations: Translations,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """SQLite: the state is set up once and copied back whenever an input moved it on."""
    database, golden = tmp_path / "work.db", tmp_path / "golden.db"
    _copy(migrated_sqlite, database)
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    sessions = create_session_factory(engine)
    dialogue = Dialogue(sessions, ContentStore(FIXTURE), translations, clock, VILNIUS)
    try:
        await STATES[state](ConsoleChannel(dialogue, user_id="hostile"))
        await engine.dispose()
        _copy(database, golden)
        problems: list[str] = []
        writes = Writes(engine)
        for item in corpus(tuple(dialogue.registry.buttons)):
            inbound = Inbound("console", "hostile", item.kind, item.value, item.value)
            problems += _run_one(item, await dialogue.handle(inbound))
            await _settle(dialogue)
            if changes := writes.take():
                if item.inert and _stored_data(changes):
                    problems.append(f"{item.label}: changed {_stored_data(changes)[:2]}")
                await engine.dispose()
                _copy(golden, database)
    finally:
        await engine.dispose()
    assert not problems, f"{len(problems)} problems at {state}:\n" + "\n".join(problems[:20])
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def _hard_to_store(item: Hostile) -> bool:
    """Inputs a stricter database may refuse: NUL, lone surrogates, quotes, length."""
    value = item.value
    return (
        any(ch in value for ch in "\x00'\"\\")
        or len(value) > 100
        or any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)
    )


# A name is stored in a bounded column, an open answer in a text column: the two kinds of
# place typed text goes (an institution and a reflection are stored like them).
@pytest.mark.parametrize("state", ["name", "open question"])
async def test_inputs_hard_to_store_where_text_is_stored(
    state: str,
    mini: Dialogue,
    sessions: Sessions,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """PostgreSQL (stricter than SQLite about what text it stores) at the states that store
    what is typed; SQLite runs the whole corpus at every state above."""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite gets the whole corpus at every state")
    problems: list[str] = []
    chat: ConsoleChannel | None = None
    writes = Writes(sessions.kw["bind"])
    for item in filter(_hard_to_store, corpus()):
        if chat is None:
            chat = ConsoleChannel(mini, user_id=f"stored-{next(_users)}")
            await STATES[state](chat)
            writes.take()
        inbound = Inbound("console", chat.user_id, item.kind, item.value, item.value)
        problems += _run_one(item, await mini.handle(inbound))
        await _settle(mini)
        if changes := writes.take():
            if item.inert and _stored_data(changes):
                problems.append(f"{item.label}: changed the database")
            chat = None  # the state moved on: the next input starts from the state again
    assert not problems, f"{len(problems)} problems at {state}:\n" + "\n".join(problems[:20])
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
