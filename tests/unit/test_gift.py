"""The GIFT parser, the conversion to course questions and the writer, on Moodle-style files."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.gift.convert import convert, question_id
from bot.content.gift.parse import Kind, decode, parse
from bot.content.gift.text import escape, localized, multilang, plain
from bot.content.gift.write import course_gift, question_gift
from bot.content.loader import load_course
from bot.content.models import Question, QuestionType

ROOT = Path(__file__).resolve().parents[2]
GIFT = ROOT / "tests" / "fixtures" / "gift"


def read(name: str) -> str:
    return decode((GIFT / name).read_bytes())


def test_moodle_documentation_file_every_type_and_line() -> None:
    parsed = parse(read("moodle.gift"))
    assert parsed.problems == []
    assert parsed.categories == ["$course$/top/Svetainės/Mobilusis"]
    kinds = [(item.line, item.kind, item.title) for item in parsed.items]
    assert kinds == [
        (6, Kind.SINGLE, "Spalvos"),
        (14, Kind.TRUE_FALSE, None),
        (16, Kind.TRUE_FALSE, "Mėnulis"),
        (18, Kind.TRUE_FALSE, None),
        (20, Kind.TRUE_FALSE, None),
        (23, Kind.MULTIPLE, "Du žmonės"),
        (30, Kind.SINGLE, "Simboliai"),
        (35, Kind.SINGLE, "Kelios eilutės"),
        (43, Kind.SHORT, "Sostinė"),
        (45, Kind.ESSAY, "Esė"),
        (47, Kind.SINGLE, "HTML"),
        (52, Kind.SINGLE, "Markdown"),
    ]
    assert all(item.category == "$course$/top/Svetainės/Mobilusis" for item in parsed.items)
    colours = parsed.items[0]
    assert [(a.marker, a.text.raw, a.line) for a in colours.answers] == [
        ("=", "geltona", 7),
        ("~", "raudona", 8),
        ("~", "mėlyna", 9),
    ]
    assert colours.answers[0].feedback is not None
    assert colours.answers[0].feedback.raw == "teisingai; puiku!"
    assert colours.general is not None and colours.general.raw.startswith("Spalvos eina taip:")


def test_true_false_spellings_and_their_two_feedbacks() -> None:
    items = parse(read("moodle.gift")).items
    assert [item.truth for item in items[1:5]] == [True, False, False, True]
    moon = items[2]
    assert moon.wrong_feedback is not None and moon.right_feedback is not None
    assert moon.wrong_feedback.raw.startswith("Ne – mėnulis")
    assert moon.right_feedback.raw == "Teisingai, tai palydovas."
    assert items[4].general is not None and items[4].general.raw == "Sostinė nuo XIV a."


def test_weights_escapes_multiple_lines_and_formats() -> None:
    items = parse(read("moodle.gift")).items
    people = items[5]
    assert [a.percent for a in people.answers] == [-100, 50, 50, -100]
    symbols = items[6]
    assert symbols.text.raw == (
        "Ką reiškia { } ir ~ GIFT formate: ženklus = ir # rašykite su \\ prieš juos?"
    )
    assert symbols.answers[0].percent == 100 and symbols.answers[0].weight == 100
    assert symbols.answers[1].feedback is not None
    assert symbols.answers[1].feedback.raw == "Ne, komentaras prasideda //."
    assert items[7].text.raw == "Kas yra alternatyvusis\ntekstas?"
    assert [a.text.raw for a in items[8].answers] == ["Vilnius", "Vilniaus miestas"]
    assert items[10].text.format == "html" and items[10].answers[0].text.format == "html"
    assert items[11].text.format == "markdown"
    assert items[11].answers[0].text.raw == "Žymė su # ženklu"


def test_crlf_and_bom_read_like_any_file() -> None:
    data = (GIFT / "crlf_bom.gift").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    parsed = parse(decode(data))
    assert parsed.problems == []
    assert [(i.line, i.title, i.kind) for i in parsed.items] == [
        (3, "Sostine", Kind.TRUE_FALSE),
        (6, "Miestas", Kind.SINGLE),
    ]
    assert [a.line for a in parsed.items[1].answers] == [7, 8]


def test_not_utf8_names_the_line() -> None:
    with pytest.raises(ValueError, match="line 2 is not UTF-8"):
        decode("Klausimas\nKas yra ž?{T}".encode("cp1257"))


def test_what_the_course_cannot_carry_is_listed_with_its_line() -> None:
    parsed = parse(read("unsupported.gift"))
    assert [item.title for item in parsed.items] == ["Gera"]
    assert [(p.line, p.title) for p in parsed.problems] == [
        (5, "Poros"),
        (11, "Skaičius"),
        (13, None),
        (15, None),
    ]
    messages = " | ".join(p.message for p in parsed.problems)
    assert "matching" in messages and "numerical" in messages
    assert "missing-word" in messages and "description" in messages


def test_malformed_blocks_are_problems_not_crashes() -> None:
    parsed = parse("::Be pabaigos:: Klausimas {=a ~b\n\n::Titulas Klausimas{T}\n\n{=a ~b}\n")
    assert [p.line for p in parsed.problems] == [1, 3, 5]
    assert "closing '}'" in parsed.problems[0].message
    assert "closing '::'" in parsed.problems[1].message
    assert "no text" in parsed.problems[2].message


def test_conversion_to_course_questions() -> None:
    converted = convert(parse(read("moodle.gift")).items, "lt", set())
    assert converted.problems == []
    questions = {item.title or item.text.raw[:12]: q for item, q in converted.questions}
    colours = questions["Spalvos"]
    assert colours.type is QuestionType.SINGLE and colours.correct_ids == {"a"}
    assert colours.prompt == {"lt": colours.prompt["lt"], "en": colours.prompt["lt"]}
    moon = questions["Mėnulis"]
    assert moon.type is QuestionType.TRUE_FALSE and moon.correct_ids == {"false"}
    assert moon.option("true") is not None
    assert moon.option("true").feedback["lt"].startswith("Ne – mėnulis")  # type: ignore[union-attr]
    people = questions["Du žmonės"]
    assert people.type is QuestionType.MULTIPLE and people.correct_ids == {"b", "c"}
    capital = questions["Sostinė"]
    assert (
        capital.type is QuestionType.OPEN
        and "Vilnius, Vilniaus miestas" in capital.explanation["lt"]
    )
    assert questions["Esė"].type is QuestionType.OPEN
    assert questions["HTML"].prompt["lt"] == "Kuris žodis yra paryškintas & svarbus?"
    assert questions["HTML"].options[0].text["lt"] == "Šis"
    assert questions["Markdown"].prompt["lt"] == "Kas yra grotažymė?"
    assert converted.copied > 0
    notes = [(n.line, n.message) for n in converted.notes]
    assert (
        43,
        "a short answer becomes an open question: its answers are shown, not scored",
    ) in notes


def test_ids_are_stable_slugs_with_a_hash_or_a_known_title() -> None:
    items = parse(read("moodle.gift")).items
    first = [question_id(item, set()) for item in items]
    assert first == [question_id(item, set()) for item in parse(read("moodle.gift")).items]
    assert first[0].startswith("spalvos-") and len(first[0]) == len("spalvos-") + 6
    assert first[1].startswith("saule-teka-rytuos")  # no title: the text, Lithuanian folded
    assert all(len(i) <= 24 for i in first) and len(set(first)) == len(first)
    assert question_id(items[0], {"Spalvos"}) == "Spalvos"


def test_single_choice_needs_exactly_one_fully_right_answer() -> None:
    items = parse("::A:: Kas? {=x =y ~z}\n\n::B:: Kas? {~x ~y}\n\n::C:: Kas? {=x ~%50%y}\n").items
    converted = convert(items, "lt", set())
    assert [(p.title, p.message[:24]) for p in converted.problems] == [
        ("A", "2 answers are fully righ"),
        ("B", "no answer is right: mark"),
    ]
    assert next(n.message for n in converted.notes if n.title == "C").startswith("partial credit")


def test_multilang_spans_give_each_language_its_text() -> None:
    converted = convert(parse(read("multilang.gift")).items, "lt", set())
    assert converted.problems == [] and converted.copied == 1  # the [plain] one has lt only
    question = converted.questions[0][1]
    assert question.prompt == {"lt": "Kur rašyti datą?", "en": "Where to put the date?"}
    assert question.options[1].feedback == {"lt": "Ne.", "en": "No."}
    assert question.explanation["en"] == "Everyone can read text."
    assert converted.questions[1][1].prompt["lt"] == "Ar 2 < 3 ir 4 > 3?"


def test_text_formats_to_plain_text() -> None:
    assert plain("<p>Vienas</p><p>Du<br>trys</p>", "html") == "Vienas\n\nDu\ntrys"
    assert (
        plain('<a href="https://x.lt/a">ten</a> &lt;tag&gt;', "html")
        == "ten (https://x.lt/a) <tag>"
    )
    assert plain("**Labai** _svarbu_ ir [čia](https://x.lt)", "markdown") == (
        "Labai svarbu ir čia (https://x.lt)"
    )
    assert plain("pirma\nantra", "moodle") == "pirma\nantra"
    assert plain("<b>ne</b>", "plain") == "<b>ne</b>"
    texts, copied = localized(parse("Q {T}").items[0].text, "en")
    assert texts == {"lt": "Q", "en": "Q"} and copied == ["lt"]


def test_writer_escapes_and_reads_back() -> None:
    assert escape("a~b=c#d{e}f:g\\h\ni") == "a\\~b\\=c\\#d\\{e\\}f\\:g\\\\h\\ni"
    texts = {"lt": "Ar 1 < 2 & {tiesa}: taip #1 ~ =", "en": "Is 1 < 2 & {true}: yes #1 ~ ="}
    item = parse(f"::x::[html]{multilang(texts)}{{}}").items[0]
    assert localized(item.text, "lt") == (texts, [])
    question = Question.model_validate(
        {
            "id": "q-1",
            "type": "multiple",
            "prompt": texts,
            "explanation": texts,
            "options": [
                {"id": "a", "text": texts, "correct": True, "feedback": texts},
                {"id": "b", "text": {"lt": "B", "en": "B"}, "correct": True, "feedback": texts},
                {"id": "c", "text": {"lt": "C", "en": "C"}, "feedback": texts},
            ],
        }
    )
    gift = question_gift(question)
    assert "~%50%" in gift and "~%-100%" in gift and "=" not in gift.replace("\\=", "")
    back = convert(parse(gift).items, "lt", {"q-1"})
    assert back.problems == [] and back.questions[0][1] == question


def test_the_whole_course_round_trips_through_gift() -> None:
    course = load_course(ROOT / "content")
    parsed = parse(course_gift(course))
    assert parsed.problems == []
    lessons = [
        (f"$course$/top/{course.id}/{module.id}/{lesson.id}", question)
        for module in course.modules
        for lesson in module.lessons
        for question in lesson.quiz
    ]
    known = {question.id for _, question in lessons}
    converted = convert(parsed.items, "lt", known)
    assert converted.problems == [] and converted.copied == 0
    assert [(item.category, q.id) for item, q in converted.questions] == [
        (category, q.id) for category, q in lessons
    ]
    for (_, original), (_, imported) in zip(lessons, converted.questions, strict=True):
        by_text = {o.text["lt"]: o for o in original.options}
        assert imported.model_copy(update={"options": []}) == original.model_copy(
            update={"options": []}
        )
        for option in imported.options:
            kept = by_text[option.text["lt"]]
            assert option.model_copy(update={"id": kept.id}) == kept
