"""/stats, /participants and /export on a small, fully known population."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import datetime

import pytest
from openpyxl import load_workbook

from bot.channels.console.adapter import ConsoleChannel
from bot.content.loader import ContentStore
from bot.conversation.router import Dialogue
from bot.features.stats import figures as stats_service
from bot.kernel.clock import FakeClock
from bot.kernel.i18n import Translations
from bot.kernel.messages import Document, EditSource, Inbound, InboundKind, Message, Notice, Photo
from bot.kernel.snapshot import load_snapshot
from tests.conftest import VILNIUS
from tests.helpers import task_results
from tests.integration.admin_data import OPEN_TEXT, Sessions, everything, seed

__all__ = ["everything"]


async def press(dialogue: Dialogue, user: str, payload: str) -> list:
    turn = await dialogue.handle(Inbound("console", user, InboundKind.BUTTON, payload=payload))
    return [r for r in turn.replies if not (isinstance(r, Notice) and not r.text)]


async def say(dialogue: Dialogue, user: str, text: str) -> list:
    turn = await dialogue.handle(Inbound("console", user, InboundKind.TEXT, text=text))
    return turn.replies


async def test_statistics_of_everyone_and_of_one_municipality(
    sessions: Sessions, clock: FakeClock, content: ContentStore
) -> None:
    await seed(sessions, clock, content)
    async with sessions() as session:
        everyone = stats_service.compute(
            await load_snapshot(session, content.index, clock.now(), VILNIUS)
        )
        zarasai = stats_service.compute(
            await load_snapshot(
                session, content.index, clock.now(), VILNIUS, municipality="zarasai"
            )
        )
    assert everyone.participants == 3 and everyone.onboarding == 1
    assert everyone.by_municipality == {"utena": 1, "zarasai": 2}
    assert everyone.by_role == {"organiser": 1, "pr": 1, "head": 1}
    per_module = [(m.module.id, m.completed, m.possible) for m in everyone.modules]
    lessons = {module.id: len(module.lessons) for module in content.index.course.modules}
    onboarded = 3  # each module's lessons, once for each of them
    assert per_module == [
        ("m1", lessons["m1"] + 2, lessons["m1"] * onboarded),  # Jonas all of it, Rūta 2
        ("m2", 1, lessons["m2"] * onboarded),
        ("m3", 0, lessons["m3"] * onboarded),
        ("m4", 0, lessons["m4"] * onboarded),
    ]
    assert everyone.average_score == 84  # mean of Rūta's 67% and Jonas's 100%
    assert (everyone.active, everyone.behind, everyone.paused) == (2, 1, 1)
    assert (everyone.ideas_started, everyone.ideas_done) == (2, 1)
    groups = {g.municipality: g for g in everyone.groups}
    assert (groups["utena"].participants, groups["utena"].active) == (1, 1)
    assert groups["utena"].progress == round(100 * 2 / len(content.index.lessons))  # 2 lessons
    assert (groups["zarasai"].participants, groups["zarasai"].score) == (2, 100)

    assert zarasai.participants == 2 and zarasai.onboarding == 0
    assert zarasai.by_municipality == {"zarasai": 2}
    assert [m.completed for m in zarasai.modules] == [lessons["m1"], 1, 0, 0]
    assert (zarasai.average_score, zarasai.active, zarasai.behind, zarasai.paused) == (
        100,
        1,
        0,
        1,
    )
    assert (zarasai.ideas_started, zarasai.ideas_done) == (1, 1)


async def test_stats_reply_with_a_chart_and_narrow_by_a_typed_name(
    everything: Dialogue, sessions: Sessions, clock: FakeClock, content: ContentStore
) -> None:
    await seed(sessions, clock, content)
    (summary,) = await say(everything, "ona", "/stats")  # the numbers at once
    (chart,) = await task_results(everything, sessions, "task_stats_chart")  # the picture after
    assert isinstance(summary, Message) and isinstance(chart, Photo)
    assert "Dalyviai: <b>3</b>" in summary.text
    assert "Atsilieka nuo plano: <b>1</b>" in summary.text
    assert "Pamokas pristabdė: <b>1</b>" in summary.text
    assert "pradėtos: <b>2</b>, įgyvendintos: <b>1</b>" in summary.text
    assert chart.data.startswith(b"\x89PNG\r\n\x1a\n") and len(chart.data) > 5000
    assert [b.payload for row in summary.buttons for b in row] == ["stats:utena", "stats:zarasai"]

    for typed in ("Zarasai", "ZARASAI", "zarasų", "Zaras"):
        narrowed = await say(everything, "ona", f"/stats {typed}")
        assert "Statistika: Zarasai" in narrowed[0].text, typed
        assert "Dalyviai: <b>2</b>" in narrowed[0].text
    moletai = await say(everything, "ona", "/stats MOLETAI")
    assert "Statistika: Molėtai" in moletai[0].text and "Dalyviai: <b>0</b>" in moletai[0].text

    wrong = await say(everything, "ona", "/stats Vilnius")
    assert wrong[0].text == "Savivaldybės „Vilnius“ nežinau. Pasirinkite:"
    payloads = [b.payload for row in wrong[0].buttons for b in row]
    assert "stats:moletai" in payloads and "stats:anyksciai" in payloads
    by_button = await press(everything, "ona", "stats:utena")
    assert "Statistika: Utena" in by_button[0].text and "Dalyviai: <b>1</b>" in by_button[0].text


async def test_participants_are_listed_in_pages_with_a_detail(
    everything: Dialogue, sessions: Sessions, clock: FakeClock, content: ContentStore
) -> None:
    from tests.integration.admin_data import add_person

    ids = await seed(sessions, clock, content)
    async with sessions() as session, session.begin():
        for n in range(17):
            await add_person(session, f"extra{n}", clock.now(), name=f"Žmogus {n:02d}")
    chat = ConsoleChannel(everything, user_id="ona")
    first = await chat.send("/participants")
    assert "Dalyviai: 20" in first and "1/3" in chat.options
    assert "Jonas Šalčius" in first and "▓" in first and "prieš 10 dienų" in first
    assert "⏰" in first  # Rūta is behind
    assert "▶️" in chat.options
    second = await chat.send(str(chat.options.index("▶️") + 1))
    assert "2/3" in chat.options and "Žmogus" in second
    last = await press(everything, "ona", "pp:pg:2")
    assert "Žmogus 16" in last[0].text

    detail = await press(everything, "ona", f"pp:v:{ids['ruta']}:0")
    text = detail[0].text
    assert "Rūta Žemaitytė" in text and "Savivaldybė: Utena" in text
    assert "Testų rezultatas: 67% (atsakymų: 3)" in text and "Atsilieka nuo plano" in text
    assert [b.payload for row in detail[0].buttons for b in row] == ["pp:pg:0"]
    typed = await say(everything, "ona", f"/participants #{ids['jonas']}")
    assert "Pamokos pristabdytos" in typed[0].text
    missing = await say(everything, "ona", "/participants 9999")
    assert missing[0].text == "Dalyvio 9999 neradau."


async def _export(dialogue: Dialogue, kind: str) -> Document:
    (preparing,) = await press(dialogue, "ona", f"export:{kind}")
    assert isinstance(preparing, EditSource) and "Ruošiu" in (preparing.text or "")
    assert dialogue.deps.tasks is not None and dialogue.deps.sessions is not None
    sent = await task_results(dialogue, dialogue.deps.sessions, "task_export")
    documents = [r for r in sent if isinstance(r, Document)]
    assert len(documents) >= 1
    return documents[-1]


def _local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute)


async def test_the_xlsx_workbook_holds_every_view_cell_by_cell(
    everything: Dialogue, sessions: Sessions, clock: FakeClock, content: ContentStore
) -> None:
    ids = await seed(sessions, clock, content)
    menu = await say(everything, "ona", "/export")
    assert [b.payload for row in menu[0].buttons for b in row] == [
        "export:xlsx",
        "export:csv",
        "export:xapi",
        "export:x",
    ]
    document = await _export(everything, "xlsx")
    assert document.filename == "culture-coach-2026-11-24.xlsx"
    book = load_workbook(io.BytesIO(document.data))
    assert book.sheetnames == ["Dalyviai", "Pamokos", "Testų atsakymai", "Idėjos"]

    people = [list(row) for row in book["Dalyviai"].iter_rows(values_only=True)]
    assert people[0] == [
        "ID", "Vardas ir pavardė", "Savivaldybė", "Įstaiga", "Pareigos", "Grupė", "Kalba",
        "Kanalas", "Prisijungė", "Paskutinį kartą aktyvus", "Baigta pamokų",
        "Testų rezultatas, %", "Atsakymai", "Atsilieka nuo plano",
    ]  # fmt: skip
    assert people[1] == [
        ids["ruta"], "Rūta Žemaitytė", "Utena", "Kultūros centras „Ąžuolynas“",
        "Ryšiai su visuomene", "Utenos grupė", "lt", "console", _local(4, 9), _local(23, 9),
        2, 67, 3, "taip",
    ]  # fmt: skip
    assert people[2][:6] == [
        ids["jonas"], "Jonas Šalčius", "Zarasai", "Kultūros centras „Ąžuolynas“",
        "Įstaigos ar padalinio vadovas", "Utenos grupė",
    ]  # fmt: skip
    m1_lessons = len(content.index.course.modules[0].lessons)
    assert people[2][10:] == [m1_lessons + 1, 100, 2, "ne"]  # all of m1 and one of m2
    assert people[3][1] == "Ona Čepaitė" and people[3][5] is None and people[3][11] is None
    assert len(people) == 4

    lessons = [list(row) for row in book["Pamokos"].iter_rows(values_only=True)]
    assert lessons[0] == [
        "Dalyvio ID", "Vardas ir pavardė", "Modulis", "Pamokos ID", "Pamoka", "Išsiųsta", "Baigta"
    ]  # fmt: skip
    first_title = content.index.lesson("m1-mobile").lesson.title["lt"]
    assert lessons[1] == [
        ids["ruta"], "Rūta Žemaitytė", "Svetainė, patogi lankytojui", "m1-mobile",
        first_title, _local(14, 9), _local(14, 10),
    ]  # fmt: skip
    assert len(lessons) == 1 + 2 + m1_lessons + 1

    answers = [list(row) for row in book["Testų atsakymai"].iter_rows(values_only=True)]
    _lesson, q1 = content.index.question("m1-mobile-q1")
    chosen = "; ".join(o.text["lt"] for o in q1.options if o.id in ("b", "e"))
    assert answers[1] == [
        ids["ruta"], "Rūta Žemaitytė", "m1-mobile", "m1-mobile-q1", q1.prompt["lt"], chosen,
        "taip", _local(22, 9),
    ]  # fmt: skip
    assert answers[3][6] == "ne"
    open_row = next(row for row in answers if row[3] == "m2-persona-q3")
    assert open_row[5] == OPEN_TEXT and open_row[6] is None
    assert book["Testų atsakymai"]["H2"].number_format == "yyyy-mm-dd hh:mm"

    ideas = [list(row) for row in book["Idėjos"].iter_rows(values_only=True)]
    assert ideas[0] == [
        "Dalyvio ID", "Vardas ir pavardė", "Idėja", "Būsena", "Sukurta", "Pradėta", "Įgyvendinta"
    ]  # fmt: skip
    assert ideas[1] == [
        ids["jonas"], "Jonas Šalčius", "Renginių kalendorius", "done", _local(18, 9),
        _local(18, 9), _local(23, 9),
    ]  # fmt: skip
    assert ideas[2][2] == "Naujienlaiškis „Šviesa“" and ideas[2][6] is None


async def test_the_csv_zip_is_utf8_with_bom_per_view(
    everything: Dialogue, sessions: Sessions, clock: FakeClock, content: ContentStore
) -> None:
    ids = await seed(sessions, clock, content)
    document = await _export(everything, "csv")
    assert document.filename == "culture-coach-csv-2026-11-24.zip"
    archive = zipfile.ZipFile(io.BytesIO(document.data))
    assert archive.namelist() == ["participants.csv", "lessons.csv", "answers.csv", "ideas.csv"]
    raw = archive.read("participants.csv")
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["ID", "Vardas ir pavardė", "Savivaldybė"]
    assert rows[1] == [
        str(ids["ruta"]), "Rūta Žemaitytė", "Utena", "Kultūros centras „Ąžuolynas“",
        "Ryšiai su visuomene", "Utenos grupė", "lt", "console", "2026-11-04 09:00",
        "2026-11-23 09:00", "2", "67", "3", "taip",
    ]  # fmt: skip
    answers = list(csv.reader(io.StringIO(archive.read("answers.csv").decode("utf-8-sig"))))
    assert [row[5] for row in answers if row[3] == "m2-persona-q3"] == [OPEN_TEXT]


async def test_the_xapi_file_has_account_actors_and_adl_verbs(
    everything: Dialogue, sessions: Sessions, clock: FakeClock, content: ContentStore
) -> None:
    await seed(sessions, clock, content)
    document = await _export(everything, "xapi")
    statements = json.loads(document.data.decode("utf-8"))
    verbs = [s["verb"]["id"].rsplit("/", 1)[1] for s in statements]
    m1_lessons = len(content.index.course.modules[0].lessons)
    lessons_done = 2 + m1_lessons + 1  # Rūta 2, Jonas all of m1 and one of m2
    assert (verbs.count("experienced"), verbs.count("completed"), verbs.count("answered")) == (
        lessons_done,
        lessons_done,
        5,
    )
    assert all(s["actor"]["account"]["homePage"] == "http://localhost" for s in statements)
    assert {s["actor"]["account"]["name"] for s in statements} == {"ruta", "jonas"}
    assert not any("mbox" in s["actor"] for s in statements)
    assert len({s["id"] for s in statements}) == len(statements)
    open_answer = next(s for s in statements if s["object"]["id"].endswith(":m2-persona-q3"))
    assert open_answer["result"] == {"response": OPEN_TEXT}
    assert open_answer["verb"]["id"] == "http://adlnet.gov/expapi/verbs/answered"
    choice = next(s for s in statements if s["object"]["id"].endswith(":m1-mobile-q1"))
    assert choice["result"] == {"success": True, "response": "b[,]e"}
    assert choice["timestamp"] == "2026-11-22T07:00:00.000Z"
    assert choice["context"]["contextActivities"]["parent"][0]["id"].endswith(":m1-mobile")
    again = await _export(everything, "xapi")
    assert again.data == document.data  # stable ids: a re-export records nothing twice


@pytest.fixture
def translations_lt(translations: Translations) -> Translations:
    return translations
