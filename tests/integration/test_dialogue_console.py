"""The whole dialogue through the terminal channel: onboarding, lesson, quiz, progress."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.console.adapter import ConsoleChannel
from bot.content.loader import ContentStore
from bot.conversation.router import Dialogue
from bot.db.models import Answer, Cohort, LessonDelivery, Participant
from bot.kernel.clock import FakeClock
from bot.kernel.messages import Inbound, InboundKind
from tests.helpers import answer_in_console, answer_payloads

Sessions = async_sessionmaker[AsyncSession]


def press(chat: ConsoleChannel, label: str) -> str:
    """The number that presses the button whose label contains `label`."""
    matches = [
        key for key, option in zip(chat.keys(), chat.options, strict=True) if label in option
    ]
    assert matches, f"no button {label!r} among {chat.options}"
    return matches[0]


async def onboard(chat: ConsoleChannel, language: str = "Lietuviškai") -> str:
    """Play onboarding to the end; returns the last reply (the first lesson)."""
    await chat.send("/start")
    await chat.send(press(chat, language))
    await chat.send("1")  # I agree
    await chat.send("Rūta Žemaitytė")
    await chat.send(press(chat, "Utena"))
    await chat.send("Utenos A. ir M. Miškinių viešoji biblioteka")
    await chat.send("2")  # PR
    return await chat.send("12:00")


async def person(sessions: Sessions) -> Participant:
    async with sessions() as session:
        found = await session.scalar(select(Participant))
        assert found is not None
        return found


async def test_onboarding_stores_the_profile_and_sends_the_first_lesson(
    dialogue: Dialogue, sessions: Sessions, content: ContentStore
) -> None:
    chat = ConsoleChannel(dialogue)
    greeting = await chat.send("/start")
    assert "Sveiki!" in greeting and chat.options == ["🇱🇹 Lietuviškai", "🇬🇧 English"]
    assert "/mydata" in await chat.send("1")
    assert "vardą ir pavardę" in await chat.send("1")
    assert "savivaldybėje" in await chat.send("Rūta Žemaitytė")
    assert chat.options[:6] == ["Anykščiai", "Ignalina", "Molėtai", "Utena", "Visaginas", "Zarasai"]
    assert "įstaigoje" in await chat.send(press(chat, "Molėtai"))
    assert "veiklos sritis" in await chat.send("Molėtų kultūros centras")
    assert "Kada" in await chat.send(press(chat, "Vadovauju"))
    assert chat.options == ["08:00", "12:00", "17:00", "⬅️ Atgal"]
    first = await chat.send("7:45")
    lesson = content.index.lessons[0].lesson
    assert "Štai pirmoji pamoka" in first and "07:45" in first
    assert lesson.title["lt"] in first and "Klausimas 1 iš" in first
    saved = await person(sessions)
    assert (saved.name, saved.municipality, saved.institution, saved.role) == (
        "Rūta Žemaitytė",
        "moletai",
        "Molėtų kultūros centras",
        "head",
    )
    assert saved.preferred_time is not None and saved.preferred_time.strftime("%H:%M") == "07:45"
    assert saved.language == "lt" and saved.onboarded_at is not None


@pytest.mark.parametrize(
    ("step_answers", "bad", "reason"),
    [
        ([], "labas", "Kalbą pasirinkite mygtuku"),
        (["1"], "ok", "paspauskite „Sutinku, tęsti“"),
        (["1", "1"], "J", "bent dvi raides"),
        (["1", "1"], "/next", "Pirmiausia baikime susipažinti"),
        (["1", "1", "Ona Onaitė"], "Vilnius", "Savivaldybę pasirinkite mygtuku"),
        (["1", "1", "Ona Onaitė", "4"], "x" * 151, "Per ilgas"),
        (["1", "1", "Ona Onaitė", "4", "Biblioteka"], "direktorė", "Veiklos sritį pasirinkite"),
        (["1", "1", "Ona Onaitė", "4", "Biblioteka", "1"], "7:5", "VV:MM"),
        (["1", "1", "Ona Onaitė", "4", "Biblioteka", "1"], "25:00", "Tokio paros laiko nėra"),
    ],
)
async def test_a_wrong_answer_at_any_step_explains_and_asks_again(
    dialogue: Dialogue, sessions: Sessions, step_answers: list[str], bad: str, reason: str
) -> None:
    chat = ConsoleChannel(dialogue)
    await chat.send("/start")
    for answer in step_answers:
        question = await chat.send(answer)
    before = await person(sessions)
    reply = await chat.send(bad)
    assert reason in reply
    if step_answers:
        first_line = next(line for line in question.splitlines() if not line.startswith("  "))
        assert first_line in reply  # the same question again
    after = await person(sessions)
    assert (after.name, after.municipality, after.institution, after.role) == (
        before.name,
        before.municipality,
        before.institution,
        before.role,
    )


async def test_start_in_the_middle_resumes_and_back_goes_back(
    dialogue: Dialogue, sessions: Sessions
) -> None:
    chat = ConsoleChannel(dialogue)
    await chat.send("/start")
    for answer in ("1", "1", "Ona Onaitė", "3"):
        await chat.send(answer)
    resumed = await chat.send("/start")
    assert "Tęskime" in resumed and "Kurioje įstaigoje" in resumed
    assert "savivaldybėje" in await chat.send(press(chat, "Atgal"))
    saved = await person(sessions)
    assert saved.name == "Ona Onaitė" and saved.municipality == "moletai"


async def test_quiz_gives_feedback_counts_once_and_ends_with_a_score(
    dialogue: Dialogue, sessions: Sessions, content: ContentStore
) -> None:
    chat = ConsoleChannel(dialogue)
    await onboard(chat)
    lesson = content.index.lessons[0].lesson
    replies = [await answer_in_console(chat, question) for question in lesson.quiz]
    scored = [q for q in lesson.quiz if q.options]
    assert all("Teisingai!" in r for r, q in zip(replies, lesson.quiz, strict=True) if q.options)
    assert f"Teisingų atsakymų: {len(scored)} iš {len(scored)}" in replies[-1]
    assert lesson.task["lt"][:40] in replies[-1]
    async with sessions() as session:
        assert await session.scalar(select(func.count(Answer.id))) == len(lesson.quiz)
        delivery = await session.scalar(select(LessonDelivery))
        assert delivery is not None and delivery.completed_at is not None


async def test_a_wrong_answer_shows_the_right_one(
    dialogue: Dialogue, content: ContentStore
) -> None:
    chat = ConsoleChannel(dialogue)
    await onboard(chat)
    question = content.index.lessons[0].lesson.quiz[0]
    reply = await answer_in_console(chat, question, correct=False)
    assert "Ne visai." in reply
    assert "Teisingas atsakymas" in reply


async def test_old_buttons_are_answered_politely_and_never_counted_twice(
    dialogue: Dialogue, sessions: Sessions, content: ContentStore
) -> None:
    chat = ConsoleChannel(dialogue)
    await onboard(chat)
    question = content.index.lessons[0].lesson.quiz[0]
    await answer_in_console(chat, question)
    final_press = answer_payloads(question)[-1]
    press_old = Inbound("console", "local", InboundKind.BUTTON, payload=final_press)
    turn = await dialogue.handle(press_old)
    assert next(getattr(r, "text", None) for r in turn.replies) == "Į šį klausimą jau atsakėte."
    forged = Inbound("console", "local", InboundKind.BUTTON, payload="q:m1-access-q1:a")
    turn = await dialogue.handle(forged)
    assert getattr(turn.replies[0], "text", "") == "Šis mygtukas nebegalioja."
    async with sessions() as session:
        assert await session.scalar(select(func.count(Answer.id))) == 1


async def test_next_waits_for_the_open_question_then_delivers_the_next_lesson(
    dialogue: Dialogue, content: ContentStore
) -> None:
    chat = ConsoleChannel(dialogue)
    await onboard(chat)
    assert "Pirmiausia atsakykite" in await chat.send("/next")
    for question in content.index.lessons[0].lesson.quiz:
        await answer_in_console(chat, question)
    second = await chat.send(press(chat, "Kita pamoka"))
    assert content.index.lessons[1].lesson.title["lt"] in second
    assert "pamoka 2 iš" in second


async def test_progress_shows_bars_score_and_streak(
    dialogue: Dialogue, content: ContentStore, clock: FakeClock
) -> None:
    chat = ConsoleChannel(dialogue)
    await onboard(chat)
    quiz = content.index.lessons[0].lesson.quiz
    await answer_in_console(chat, quiz[0], correct=False)
    clock.advance(timedelta(days=1))
    for question in quiz[1:]:
        await answer_in_console(chat, question)
    report = await chat.send("/progress")
    total = len(content.index.course.modules[0].lessons)
    assert f"▓{'░' * (total - 1)} 1/{total}" in report
    assert f"Vidutinis testų rezultatas: {round(100 * (len(quiz) - 1) / len(quiz))} %" in report
    assert "Mokotės 2 dienas iš eilės" in report


async def test_help_unknown_commands_free_text_and_stickers_get_helpful_replies(
    dialogue: Dialogue, content: ContentStore
) -> None:
    chat = ConsoleChannel(dialogue)
    await onboard(chat)
    help_text = await chat.send("/help")
    assert "/next" in help_text and "/progress" in help_text
    unknown = await chat.send("/fly <b>")
    assert "Komandos /fly nežinau." in unknown and "/progress" in unknown
    assert "mygtukų" in await chat.send("labas")  # a question is open: answer with buttons
    for question in content.index.lessons[0].lesson.quiz:
        await answer_in_console(chat, question)
    assert "suprantu komandas ir mygtukus" in await chat.send("labas")
    sticker = await dialogue.handle(Inbound("console", "local", InboundKind.OTHER))
    assert "tekstines žinutes" in getattr(sticker.replies[0], "text", "")


async def test_english_speakers_get_english(dialogue: Dialogue, sessions: Sessions) -> None:
    chat = ConsoleChannel(dialogue)
    await chat.send("/start")
    privacy = await chat.send(press(chat, "English"))
    assert "Your data" in privacy and "I agree, continue" in chat.options[0]
    assert "first and last name" in await chat.send("1")
    assert (await person(sessions)).language == "en"


async def test_invite_codes_join_a_cohort_and_unknown_ones_start_anyway(
    dialogue: Dialogue, sessions: Sessions, clock: FakeClock
) -> None:
    async with sessions() as session, session.begin():
        session.add(
            Cohort(
                name="Utenos regionas, ruduo",
                invite_code="UTN2026",
                start_date=date(2026, 11, 30),
                created_at=clock.now(),
            )
        )
    joined = ConsoleChannel(dialogue, user_id="joined")
    assert "„Utenos regionas, ruduo“" in await joined.send("/start UTN2026")
    stranger = ConsoleChannel(dialogue, user_id="stranger")
    reply = await stranger.send("/start NOPE")
    assert "kvietimo kodo neradau" in reply and "Kuria kalba" in reply
    async with sessions() as session:
        cohorts = dict((await session.execute(select(Participant.id, Participant.cohort_id))).all())
        cohort_id = await session.scalar(select(Cohort.id))
    assert sorted(cohorts.values(), key=str) == sorted([cohort_id, None], key=str)


async def test_a_duplicate_update_changes_nothing(dialogue: Dialogue, sessions: Sessions) -> None:
    first = Inbound("telegram", "42", InboundKind.TEXT, text="/start", update_id="1000")
    assert (await dialogue.handle(first)).replies
    again = await dialogue.handle(first)
    assert again.duplicate and not again.replies
    async with sessions() as session:
        assert await session.scalar(select(func.count(Participant.id))) == 1


async def test_a_failure_rolls_back_and_still_answers(
    dialogue: Dialogue, sessions: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = ConsoleChannel(dialogue)
    await chat.send("/start")

    def explode(*_args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("bot.features.onboarding.steps._typed_language", explode)
    reply = await chat.send("english please")
    assert "Atsiprašau, įvyko klaida" in reply
    assert (await person(sessions)).language == "lt"
