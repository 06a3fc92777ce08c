"""Certificates of completion: earning one, what is missing, the PDF, checking it in the bot and
on the web, trainers issuing and revoking, the coordinator's ZIP and register, erasure."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import httpx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.content.loader import ContentStore
from bot.conversation.router import Dialogue
from bot.db.models import (
    AuditLogEntry,
    Certificate,
    Cohort,
    Idea,
    IdeaStep,
    OutboxMessage,
    Participant,
)
from bot.delivery.payload import load_replies
from bot.domain.certificates import CODE_ALPHABET, new_code, normal_code
from bot.kernel.clock import FakeClock
from bot.kernel.i18n import Translations
from bot.kernel.messages import Document, EditSource, Inbound, InboundKind, Message, Notice
from bot.web.app import create_web_app
from bot.web.verify import VerifyPage
from tests.conftest import VILNIUS
from tests.helpers import task_results
from tests.integration.admin_data import Sessions, add_person, add_progress, everything

__all__ = ["everything"]

NAME = "ŽANETA ŠIMKŪNIENĖ-ĄČĘĖĮŲ"  # every capital with a diacritic
PRETTY = "Žaneta Šimkūnienė"


async def say(dialogue: Dialogue, user: str, text: str) -> list:
    turn = await dialogue.handle(Inbound("console", user, InboundKind.TEXT, text=text))
    return [r for r in turn.replies if not (isinstance(r, Notice) and not r.text)]


async def press(dialogue: Dialogue, user: str, payload: str) -> list:
    turn = await dialogue.handle(Inbound("console", user, InboundKind.BUTTON, payload=payload))
    return [r for r in turn.replies if not (isinstance(r, Notice) and not r.text)]


def pdf_text(data: bytes) -> str:
    pages = PdfReader(io.BytesIO(data)).pages
    return " ".join(" ".join(page.extract_text().split()) for page in pages)


async def graduate(
    sessions: Sessions,
    clock: FakeClock,
    content: ContentStore,
    user: str,
    *,
    name: str = PRETTY,
    language: str = "lt",
    lessons_left: int = 0,
    wrong: int = 0,
    idea_step_done: bool = True,
    cohort: str | None = "Utenos grupė",
) -> int:
    """A participant who did the whole course (minus `lessons_left` of the last module)."""
    now = clock.now()
    index = content.index
    lessons = [lesson.id for module in index.course.modules for lesson in module.lessons]
    done = lessons[: len(lessons) - lessons_left]
    questions = [
        (lesson.id, question.id)
        for module in index.course.modules
        for lesson in module.lessons
        for question in lesson.quiz
        if lesson.id in done and question.options
    ]
    async with sessions() as session, session.begin():
        group = None
        if cohort:
            group = await session.scalar(select(Cohort).where(Cohort.name == cohort))
            if group is None:
                group = Cohort(
                    name=cohort, invite_code=f"C{len(cohort)}X", start_date=now.date(),
                    created_at=now,
                )  # fmt: skip
                session.add(group)
                await session.flush()
        person = await add_person(session, user, now, name=name, cohort=group)
        person.language = language
        person.institution = "Kultūros centras „Ąžuolynas“"
        answers = [
            (lesson, question, "a", None, n >= wrong)
            for n, (lesson, question) in enumerate(questions)
        ]
        await add_progress(session, person, now, index.course.id, done, answers)
        three_days_ago = now - timedelta(days=3)
        idea = Idea(
            participant_id=person.id,
            title="Naujienlaiškis",
            status="started",
            created_at=three_days_ago,
            started_at=three_days_ago,
        )
        idea.steps.append(
            IdeaStep(
                position=1,
                text="Sukurti formą",
                done_at=now - timedelta(days=1) if idea_step_done else None,
            )
        )
        session.add(idea)
        await session.flush()
        return person.id


async def onboard_admin(sessions: Sessions, clock: FakeClock) -> None:
    """The console user "boss" (an admin by configuration) has got started."""
    async with sessions() as session, session.begin():
        await add_person(session, "boss", clock.now(), name="Administratorė")


async def certificate_pdf(dialogue: Dialogue, sessions: Sessions) -> Document:
    sent = await task_results(dialogue, sessions, "task_certificate")
    documents = [r for r in sent if isinstance(r, Document)]
    assert documents, sent
    return documents[-1]


async def earned_with_an_admin_by(
    dialogue: Dialogue, sessions: Sessions, clock: FakeClock, content: ContentStore
) -> Certificate:
    """Žaneta has asked for and received her certificate; the admin "boss" has got started."""
    await graduate(sessions, clock, content, "zaneta")
    await onboard_admin(sessions, clock)
    await say(dialogue, "zaneta", "/certificate")
    await certificate_pdf(dialogue, sessions)
    async with sessions() as session:
        (certificate,) = await session.scalars(select(Certificate))
    return certificate


async def test_a_participant_who_meets_the_criteria_gets_a_pdf_with_every_lithuanian_letter(
    everything: Dialogue, sessions: Sessions, clock: FakeClock, content: ContentStore
) -> None:
    person_id = await graduate(sessions, clock, content, "zaneta", name=NAME)
    (reply,) = await say(everything, "zaneta", "/certificate")
    assert "Sveikiname baigus kursus" in reply.text and "KK-2026-" in reply.text
    document = await certificate_pdf(everything, sessions)
    assert document.filename.startswith("pazymejimas-KK-2026-") and document.data[:5] == b"%PDF-"
    text = pdf_text(document.data)
    assert NAME in text  # ą č ę ė į š ų ū ž in capitals, extracted from the embedded font
    for expected in (
        "KVALIFIKACIJOS TOBULINIMO PAŽYMĖJIMAS",
        "Kultūros centras „Ąžuolynas“, Utena",
        "Šiuolaikinių technologijų taikymas",
        "40 akademinių valandų",
        "10 akademinių valandų",
        "Rasa Vaitkienė",
        "Direktorė",
        "nuo 2026 m.",
    ):
        assert expected in text, expected
    fonts = {
        str(font.get("/BaseFont"))
        for page in PdfReader(io.BytesIO(document.data)).pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert any("DejaVuSans" in font for font in fonts)  # embedded, not a standard PDF font
    async with sessions() as session:
        (certificate,) = await session.scalars(select(Certificate))
    assert certificate.participant_id == person_id and certificate.issued_by is None
    assert certificate.code in text and certificate.number in text
    assert certificate.hours == 40 and [m["hours"] for m in certificate.modules] == [10] * 4

    (again,) = await say(everything, "zaneta", "/certificate")  # asking twice: the same one
    assert "Ruošiu jūsų pažymėjimą" in again.text
    async with sessions() as session:
        assert len(list(await session.scalars(select(Certificate)))) == 1


async def test_english_speakers_get_their_certificate_in_english(
    everything: Dialogue, sessions: Sessions, clock: FakeClock, content: ContentStore
) -> None:
    await graduate(sessions, clock, content, "john", name="John Smith", language="en")
    (reply,) = await say(everything, "john", "/certificate")
    assert "Congratulations" in reply.text
    text = pdf_text((await certificate_pdf(everything, sessions)).data)
    assert "CERTIFICATE OF PROFESSIONAL DEVELOPMENT" in text and "John Smith" in text
    assert "40 academic hours" in text and "Modern technologies" in text, text


async def test_someone_not_there_yet_sees_exactly_what_is_missing_with_a_way_on(
    everything: Dialogue, sessions: Sessions, clock: FakeClock, content: ContentStore
) -> None:
    total = sum(len(lesson.quiz) for m in content.index.course.modules for lesson in m.lessons)
    await graduate(
        sessions, clock, content, "ruta", lessons_left=2, wrong=total, idea_step_done=False
    )
    (reply,) = await say(everything, "ruta", "/certificate")
    assert isinstance(reply, Message)
    assert "4 modulyje liko 2 pamokos" in reply.text
    assert "vidutinis testų rezultatas – bent 60 % (dabar 0 %)" in reply.text
    assert "dar 1 tobulinimo idėja su bent vienu įgyvendintu žingsniu" in reply.text
    assert next(b.payload for row in reply.buttons for b in row) == "cmd:next"
    async with sessions() as session:
        assert list(await session.scalars(select(Certificate))) == []


async def test_verify_in_the_bot_answers_valid_or_revoked_and_nothing_else_about_the_person(
    everything: Dialogue, sessions: Sessions, clock: FakeClock, content: ContentStore
) -> None:
    certificate = await earned_with_an_admin_by(everything, sessions, clock, content)
    # A stranger who has not even started: no onboarding needed; any case, O for 0.
    typed = certificate.code.lower().replace("0", "o")
    (valid,) = await say(everything, "stranger", f"/verify {typed}")
    assert "galioja" in valid.text and PRETTY in valid.text
    assert "40 akademinių valandų" in valid.text and "2026-11-24" in valid.text
    assert "Ąžuolynas" not in valid.text and "Utena" not in valid.text  # nothing else

    (blank,) = await say(everything, "stranger", "/verify")
    assert "/verify 7KQ4-M2XD-9TRA" in blank.text
    (garbage,) = await say(everything, "stranger", "/verify <b>hello</b>")
    assert "nepanašu į pažymėjimo kodą" in garbage.text
    (unknown,) = await say(everything, "stranger", "/verify 2222-2222-2222")
    assert "Pažymėjimo su kodu 2222-2222-2222 nėra" in unknown.text

    (revoked,) = await say(everything, "boss", f"/revoke_certificate {certificate.code} ne")
    assert "Parašykite ir priežastį" in revoked.text  # too short a reason: nothing changed
    (revoked,) = await say(
        everything, "boss", f"/revoke_certificate {certificate.code} išduotas per klaidą"
    )
    assert "panaikintas" in revoked.text
    (checked,) = await say(everything, "stranger", f"/verify {certificate.code}")
    assert "panaikintas</b> 2026-11-24" in checked.text and PRETTY in checked.text
    async with sessions() as session:
        entry = await session.scalar(
            select(AuditLogEntry).where(AuditLogEntry.action == "certificate.revoke")
        )
        assert entry is not None and entry.details["reason"] == "išduotas per klaidą"
    # Revoked, the participant may earn a new one, with a new code and number.
    (reply,) = await say(everything, "zaneta", "/certificate")
    assert "Sveikiname" in reply.text
    async with sessions() as session:
        codes = [c.code for c in await session.scalars(select(Certificate))]
    assert len(set(codes)) == 2


async def test_a_trainer_issues_one_by_hand_with_a_reason_and_the_holder_receives_it(
    everything: Dialogue, sessions: Sessions, clock: FakeClock, content: ContentStore
) -> None:
    person_id = await graduate(
        sessions, clock, content, "ruta", lessons_left=3, idea_step_done=False
    )
    async with sessions() as session, session.begin():
        trainer = await add_person(
            session, "trainer", clock.now(), name="Treneris", grants=("trainer",)
        )
        trainer_id = trainer.id
        await add_person(session, "plain", clock.now(), name="Paprastas")
    denied = await say(everything, "plain", f"/issue_certificate #{person_id} nes taip")
    assert not any("išduotas" in getattr(r, "text", "") for r in denied), denied
    (usage,) = await say(everything, "trainer", "/issue_certificate")
    assert "/issue_certificate #12" in usage.text
    (nobody,) = await say(everything, "trainer", "/issue_certificate #9999 dalyvavo gyvai")
    assert "9999" in nobody.text
    (no_reason,) = await say(everything, "trainer", f"/issue_certificate #{person_id}")
    assert "Parašykite ir priežastį" in no_reason.text
    (done,) = await say(
        everything, "trainer", f"/issue_certificate #{person_id} dalyvavo visuose užsiėmimuose"
    )
    assert "išduotas" in done.text
    sent = await task_results(everything, sessions, "task_certificate")
    assert any(isinstance(r, Document) for r in sent)  # the trainer's copy
    async with sessions() as session:
        (certificate,) = await session.scalars(select(Certificate))
        assert certificate.issued_by == trainer_id
        assert certificate.reason == "dalyvavo visuose užsiėmimuose"
        entry = await session.scalar(
            select(AuditLogEntry).where(AuditLogEntry.action == "certificate.issue")
        )
        assert entry is not None and entry.actor_id == trainer_id
        assert entry.target == f"participant:{person_id}"
        assert [(m["kind"], m["module_id"], m["count"]) for m in entry.details["missing"]] == [
            ("lessons", "m4", 3),
            ("ideas", None, 1),
        ]
        row = await session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.participant_id == person_id,
                OutboxMessage.purpose == "certificate",
            )
        )
        assert row is not None
        (document,) = load_replies(row.payload)
    assert isinstance(document, Document) and PRETTY in pdf_text(document.data)
    (twice,) = await say(everything, "trainer", f"/issue_certificate #{person_id} dar kartą")
    assert "jau turi pažymėjimą" in twice.text


async def test_the_verification_page_needs_no_login_and_shows_only_the_register(
    everything: Dialogue,
    sessions: Sessions,
    clock: FakeClock,
    content: ContentStore,
    translations: Translations,
) -> None:
    certificate = await earned_with_an_admin_by(everything, sessions, clock, content)
    page = VerifyPage(sessions, translations, VILNIUS)
    web = create_web_app(sessions=sessions, content=content, routes=page.routes())
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://coach.test") as client:
        found = await client.get(f"/verify/{certificate.code}")
        assert found.status_code == 200
        assert "Šis pažymėjimas galioja" in found.text and PRETTY in found.text
        assert "40 akademinių valandų" in found.text and certificate.number in found.text
        assert "Ąžuolynas" not in found.text and "Utena" not in found.text
        assert "script-src" not in found.headers["content-security-policy"]
        assert "default-src 'none'" in found.headers["content-security-policy"]
        assert found.headers["cache-control"] == "no-store"
        assert "noindex" in found.headers["x-robots-tag"]
        english = await client.get(f"/verify/{certificate.code}?lang=en")
        assert "This certificate is valid" in english.text
        lower = await client.get(f"/verify/{certificate.code.lower()}")
        assert lower.status_code == 308
        assert lower.headers["location"].endswith(f"/verify/{certificate.code}")
        missing = await client.get("/verify/2222-2222-2222")
        assert missing.status_code == 404 and "Pažymėjimo su tokiu kodu nėra" in missing.text
        hostile = await client.get("/verify/%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        assert hostile.status_code == 404 and "<script>" not in hostile.text
        await say(everything, "boss", f"/revoke_certificate {certificate.code} klaidingai išduotas")
        revoked = await client.get(f"/verify/{certificate.code}")
        assert revoked.status_code == 200 and "Šis pažymėjimas panaikintas" in revoked.text


async def test_coordinators_get_a_groups_certificates_as_a_zip_and_the_register(
    everything: Dialogue, sessions: Sessions, clock: FakeClock, content: ContentStore
) -> None:
    await onboard_admin(sessions, clock)
    (none_yet,) = await say(everything, "boss", "/certificates")
    assert "dar neišduota" in none_yet.text
    await graduate(sessions, clock, content, "a", name="Aušra Žilinskienė")
    await graduate(sessions, clock, content, "b", name="Birutė Čėsnienė")
    await graduate(sessions, clock, content, "c", name="Česlovas Ūsas", cohort=None)
    for user in ("a", "b", "c"):
        await say(everything, user, "/certificate")
    await task_results(everything, sessions, "task_certificate")
    async with sessions() as session:
        cohort_id = await session.scalar(select(Cohort.id).where(Cohort.name == "Utenos grupė"))
        first = await session.scalar(select(Certificate).order_by(Certificate.id))
        assert first is not None
    await say(everything, "boss", f"/revoke_certificate {first.code} išduotas per klaidą")
    (menu,) = await say(everything, "boss", "/certificates")
    labels = [(b.label, b.payload) for row in menu.buttons for b in row]
    assert labels == [
        ("Utenos grupė (2)", f"cert:g:{cohort_id}"),
        ("Be grupės (1)", "cert:g:none"),
        ("✖️ Atšaukti", "cert:x"),
    ]
    (preparing,) = await press(everything, "boss", f"cert:g:{cohort_id}")
    assert isinstance(preparing, EditSource) and "Ruošiu pažymėjimus" in (preparing.text or "")
    sent = await task_results(everything, sessions, "task_certificates")
    archive, register = [r for r in sent if isinstance(r, Document)]
    assert archive.filename == "utenos-grupe-2026-11-24.zip"
    assert "1 galiojantis pažymėjimas" in archive.caption
    with zipfile.ZipFile(io.BytesIO(archive.data)) as bundle:
        names = bundle.namelist()
        assert len(names) == 1  # the revoked one is left out of the ZIP
        assert "Birutė Čėsnienė" in pdf_text(bundle.read(names[0]))
    book = load_workbook(io.BytesIO(register.data))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("Numeris", "Kodas", "Vardas, pavardė")
    assert [(r[2], r[11]) for r in rows[1:]] == [
        ("Aušra Žilinskienė", "panaikintas"),
        ("Birutė Čėsnienė", "galioja"),
    ]
    assert rows[1][13] == "išduotas per klaidą" and rows[2][9] == "įvykdyti reikalavimai"
    stale = await press(everything, "boss", "cert:g:abc")
    assert any(isinstance(r, Notice) and r.text for r in stale)


async def test_mydata_lists_the_certificate_and_erasure_keeps_only_the_register_row(
    everything: Dialogue, sessions: Sessions, clock: FakeClock, content: ContentStore
) -> None:
    person_id = await graduate(sessions, clock, content, "zaneta")
    await say(everything, "zaneta", "/certificate")
    await certificate_pdf(everything, sessions)
    summary, _file = await say(everything, "zaneta", "/mydata")
    assert "Pažymėjimai: 1" in summary.text
    assert isinstance(_file, Document) and b'"certificates"' in _file.data
    async with sessions() as session, session.begin():  # as if issued by hand, with a reason
        (issued,) = await session.scalars(select(Certificate))
        issued.reason = "Žaneta sirgo, bet atliko visas užduotis"
    (question,) = await say(everything, "zaneta", "/deleteme")
    assert "liks kursų registre" in question.text
    await press(everything, "zaneta", "priv:erase")
    async with sessions() as session:
        assert await session.get(Participant, person_id) is None
        (certificate,) = await session.scalars(select(Certificate))
        assert certificate.participant_id is None and certificate.holder_name == PRETTY
        assert certificate.cohort_id is None and certificate.reason is None
        assert await session.scalar(select(Idea.id)) is None  # the rest is gone
    (valid,) = await say(everything, "stranger", f"/verify {certificate.code}")
    assert "galioja" in valid.text and PRETTY in valid.text


@pytest.mark.parametrize("typed", ["7kq4 m2xd 9tra", "7KQ4-M2XD-9TRA", "7KQ4M2XD9TRA"])
def test_codes_are_read_however_they_are_typed(typed: str) -> None:
    assert normal_code(typed) == "7KQ4-M2XD-9TRA"


def test_codes_are_random_and_drawn_from_an_unambiguous_alphabet() -> None:
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(normal_code(code) == code for code in codes)
    assert not set("".join(codes)) - set(CODE_ALPHABET + "-")
    assert normal_code("ILOU-0000-0000") is None  # U is not in the alphabet


async def test_the_database_holds_one_certificate_in_force_per_person_whatever_races(
    everything: Dialogue, sessions: Sessions, clock: FakeClock, content: ContentStore
) -> None:
    await graduate(sessions, clock, content, "zaneta")
    await say(everything, "zaneta", "/certificate")
    async with sessions() as session:
        (first,) = await session.scalars(select(Certificate))
    twin = {
        column.key: getattr(first, column.key)
        for column in Certificate.__table__.columns
        if column.key not in {"id", "code", "number"}
    }
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            session.add(Certificate(**twin, code="2222-2222-2222"))
    async with sessions() as session, session.begin():  # once revoked, a new one may stand
        session.add(Certificate(**{**twin, "revoked_at": clock.now()}, code="3333-3333-3333"))
