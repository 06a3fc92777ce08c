# ruff: noqa: E501  (the expected messages are kept whole, one per line)
"""The broken-content corpus: every case names its exact problems, lines and columns.

Each directory under tests/fixtures/broken/ holds the files that differ from _base/ (a small
valid course); the checker must report exactly the issues listed here, nothing more. The last
tests hold modules 1 and 2 and the web audit of the real course to the content rules."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.content.loader import check_content, load_course
from bot.content.models import Module, Question

BROKEN = Path(__file__).resolve().parents[1] / "fixtures" / "broken"

# fmt: off
EXPECTED: dict[str, list[str]] = {
    'bad_id': [
        "modules/b1.yaml:6:9: lessons[0].id: an id uses lowercase latin letters, digits, '-' or '_', at most 24 characters (it travels in button data, which must fit Telegram's 64 bytes)",
    ],
    'bad_url': [
        "modules/b1.yaml:17:12: lessons[0].link.url: expected a full web address (https://...), got 'example.org'",
    ],
    'bare_less_than': [
        "modules/b1.yaml:10:13: lessons[0].text.lt: a bare '<' is read as a tag by Telegram: write &lt; instead",
    ],
    'broken_yaml': [
        "modules/b1.yaml:8:9: broken YAML: expected ',' or '}', but got ':' (while parsing a flow mapping at line 7)",
    ],
    'duplicate_id_across_files': [
        "modules/b2.yaml:6:9: lessons[0].id: duplicate lesson id 'b1-l1': the lesson at modules/b1.yaml:6 has it",
    ],
    'duplicate_id_in_file': [
        "modules/b1.yaml:27:13: lessons[0].quiz[1].id: duplicate question id 'b1-q1': the question at modules/b1.yaml:21 has it",
    ],
    'duplicate_key': [
        "modules/b1.yaml:16:5: lessons[0].task: duplicate key 'task' (first at line 15): YAML keeps only the last one",
    ],
    'duplicate_option_id': [
        "modules/b1.yaml:21:9: lessons[0].quiz[0]: question 'b1-q1' uses the option id 'a' twice",
    ],
    'empty_file': [
        'modules/b1.yaml:1:1: the file is empty',
    ],
    'empty_text': [
        'modules/b1.yaml:23:39: lessons[0].quiz[0].explanation: empty text: en',
    ],
    'extra_language': [
        'modules/b1.yaml:15:43: lessons[0].task: unknown language: de (the languages are lt, en)',
    ],
    'html_in_plain_text': [
        "modules/b1.yaml:15:16: lessons[0].task.lt: HTML is not formatted here, the tags would show as typed: only a lesson's text is HTML",
    ],
    'lesson_text_too_long': [
        'modules/b1.yaml:9:11: lessons[0].text.lt: the lesson text is 1,324 characters; keep it to 1,200 (a 2–3 minute read on a phone)',
    ],
    'lesson_without_quiz': [
        'modules/b1.yaml:20:11: lessons[0].quiz: expected at least 1 item(s), found none',
    ],
    'link_label_too_long': [
        'modules/b1.yaml:18:19: lessons[0].link.label.lt: the link label is 34 characters; a button label may have at most 20 (Messenger)',
    ],
    'link_without_href': [
        'modules/b1.yaml:14:9: lessons[0].text.en: <a> needs an address: <a href="https://...">',
    ],
    'missing_field': [
        'modules/b1.yaml:6:5: lessons[0].task: missing required field',
    ],
    'missing_module_file': [
        "course.yaml:3:15: modules[1]: missing file modules/b3.yaml: no module has the id 'b3'",
    ],
    'missing_translation': [
        'modules/b1.yaml:15:11: lessons[0].task: missing translation: en',
    ],
    'mistyped_boolean': [
        "modules/b1.yaml:25:57: lessons[0].quiz[0].options[0].correct: expected true or false, got 'maybe'",
    ],
    'mistyped_number': [
        "modules/b1.yaml:2:13: competence: expected a whole number, got 'one'",
    ],
    'module_id_differs': [
        "modules/b1.yaml:1:5: id: module id 'b7' differs from its file name 'b1'",
    ],
    'module_listed_twice': [
        "course.yaml:3:15: modules[1]: module 'b1' is listed twice",
    ],
    'module_not_listed': [
        "course.yaml:3:1: modules: modules/b2.yaml is not listed in course.yaml: add 'b2' to modules",
    ],
    'no_correct_answer': [
        "modules/b1.yaml:21:9: lessons[0].quiz[0]: question 'b1-q1' has no correct answer: mark one option with correct: true",
    ],
    'number_out_of_range': [
        'modules/b1.yaml:2:13: competence: expected a number less than or equal to 4, got 5',
    ],
    'open_question_with_options': [
        "modules/b1.yaml:27:9: lessons[0].quiz[1]: open question 'b1-q2' takes no options",
    ],
    'over_messenger_limit': [
        "modules/b1.yaml:22:36: lessons[0].quiz[0].prompt.en: the question message would be 2,118 characters, over Messenger's limit of 2,000",
    ],
    'over_telegram_limit': [
        "modules/b1.yaml:23:39: lessons[0].quiz[0].explanation.en: the feedback message would be 4,284 characters, over Telegram's limit of 4,096",
    ],
    'several_problems': [
        'modules/b1.yaml:2:13: competence: expected a number greater than or equal to 1, got 0',
        'modules/b1.yaml:13:15: lessons[0].text.en: Telegram does not support the tag <p>; use b, strong, i, em, u, ins, s, strike, del, span, tg-spoiler, a, code, pre, blockquote, tg-emoji',
        "modules/b1.yaml:21:9: lessons[0].quiz[0]: question 'b1-q1' has no correct answer: mark one option with correct: true",
    ],
    'single_choice_two_correct': [
        "modules/b1.yaml:21:9: lessons[0].quiz[0]: single-choice question 'b1-q1' has 2 correct options; use type: multiple, or keep one",
    ],
    'span_without_spoiler': [
        'modules/b1.yaml:14:9: lessons[0].text.en: <span> is only allowed as <span class="tg-spoiler">',
    ],
    'tab_indentation': [
        "modules/b1.yaml:15:1: broken YAML: found character '\\t' that cannot start any token (while scanning for the next token)",
    ],
    'text_not_translated': [
        'modules/b1.yaml:7:12: lessons[0].title: expected a mapping (key: value lines), e.g. {lt: ..., en: ...}, got text',
    ],
    'too_many_questions': [
        'modules/b1.yaml:21:7: lessons[0].quiz: expected at most 4 items, found 5',
    ],
    'true_false_three_options': [
        "modules/b1.yaml:27:9: lessons[0].quiz[1]: true/false question 'b1-q2' needs exactly two options",
    ],
    'unbalanced_tags': [
        'modules/b1.yaml:11:22: lessons[0].text.lt: </i> does not match the open <b>: tags must nest',
    ],
    'unclosed_tag': [
        'modules/b1.yaml:14:9: lessons[0].text.en: <b> is never closed',
    ],
    'unknown_entity': [
        'modules/b1.yaml:13:14: lessons[0].text.en: unknown entity &nbsp;: Telegram shows it as typed; write the character itself (or &amp; for &)',
    ],
    'unknown_field': [
        'modules/b1.yaml:6:5: lessons[0].task: missing required field',
        "modules/b1.yaml:15:5: lessons[0].taks: unknown field 'taks'; did you mean 'task'?",
    ],
    'unknown_tag': [
        'modules/b1.yaml:13:15: lessons[0].text.en: Telegram does not support the tag <p>; use b, strong, i, em, u, ins, s, strike, del, span, tg-spoiler, a, code, pre, blockquote, tg-emoji',
    ],
    'unquoted_yes': [
        'modules/b1.yaml:32:48: lessons[0].quiz[1].options[0].text.en: expected text, but YAML reads Yes as true/false: write "Yes"',
    ],
}
# fmt: on


def _course(tmp_path: Path, case: str) -> Path:
    shutil.copytree(BROKEN / "_base", tmp_path, dirs_exist_ok=True)
    shutil.copytree(BROKEN / case, tmp_path, dirs_exist_ok=True)
    return tmp_path


def test_the_corpus_is_large_and_every_case_has_its_expectation() -> None:
    cases = {path.name for path in BROKEN.iterdir() if path.is_dir() and path.name != "_base"}
    assert cases == set(EXPECTED)
    assert len(cases) >= 25


def test_the_base_course_is_clean(tmp_path: Path) -> None:
    shutil.copytree(BROKEN / "_base", tmp_path, dirs_exist_ok=True)
    assert check_content(tmp_path).issues == []


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_broken_content_is_reported_exactly(tmp_path: Path, case: str) -> None:
    report = check_content(_course(tmp_path, case))
    assert [str(issue) for issue in report.issues] == EXPECTED[case]
    assert report.course is None


# The real course, as far as modules 1 and 2 and the web audit go: the rules of issue 15
# that a reader of the YAML could break without the checker noticing.

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"
LITHUANIAN_COUNTS = {5: "Penkios", 6: "Šešios", 7: "Septynios", 8: "Aštuonios", 9: "Devynios"}
SCORED = ("single", "multiple", "true_false")


def _module(module_id: str) -> Module:
    course = load_course(CONTENT)
    return next(module for module in course.modules if module.id == module_id)


def _questions(module: Module) -> list[Question]:
    return [question for lesson in module.lessons for question in lesson.quiz]


@pytest.mark.parametrize(
    ("module_id", "at_least", "new_lesson"),
    [("m1", 6, "m1-cookies"), ("m2", 7, "m2-platforms")],
)
def test_modules_1_and_2_hold_their_lessons_and_say_how_many(
    module_id: str, at_least: int, new_lesson: str
) -> None:
    module = _module(module_id)
    assert len(module.lessons) >= at_least
    assert new_lesson in {lesson.id for lesson in module.lessons}
    assert LITHUANIAN_COUNTS[len(module.lessons)] in module.summary["lt"]


@pytest.mark.parametrize("module_id", ["m1", "m2", "m3", "m4"])
def test_quizzes_cannot_be_passed_by_pattern(module_id: str) -> None:
    questions = [q for q in _questions(_module(module_id)) if q.type.value in SCORED]
    singles = [q for q in questions if q.type.value == "single"]
    positions = Counter(
        next(n for n, option in enumerate(q.options) if option.correct) for q in singles
    )
    assert max(positions.values()) * 2 < len(singles), positions
    for question in questions:
        if question.type.value == "multiple":
            assert sum(not option.correct for option in question.options) >= 2, question.id
        assert all(option.feedback["lt"].strip() for option in question.options), question.id
    verdicts = Counter(q.correct_option.id for q in questions if q.type.value == "true_false")
    assert set(verdicts) == {"true", "false"}


def test_one_figure_for_the_meta_description_everywhere() -> None:
    search = next(lesson for lesson in _module("m1").lessons if lesson.id == "m1-search")
    findings = yaml.safe_load((CONTENT / "web_audit.yaml").read_text(encoding="utf-8"))
    description = next(f for f in findings["findings"] if f["code"] == "description")
    for text in (search.text["lt"], description["problem"]["lt"]):
        assert "50–160" in text
    assert "155" not in search.text["lt"] + "".join(
        option.feedback["lt"] for question in search.quiz for option in question.options
    )


def test_web_audit_findings_point_to_the_lessons_that_teach_them() -> None:
    findings = yaml.safe_load((CONTENT / "web_audit.yaml").read_text(encoding="utf-8"))
    lesson_of = {f["code"]: f["lesson"] for f in findings["findings"]}
    assert {lesson_of[code] for code in ("https", "http_redirect", "hsts")} == {"m1-search"}
    assert lesson_of["headings"] == lesson_of["lang"] == "m1-access"
    assert lesson_of["privacy"] == "m1-cookies"
    access = next(lesson for lesson in _module("m1").lessons if lesson.id == "m1-access")
    assert "H1" in access.text["lt"] and 'lang="lt"' in access.text["lt"]
    formats = next(f for f in findings["findings"] if f["code"] == "image_formats")
    assert "JPEG" in formats["problem"]["lt"] and "tinka JPEG" in formats["problem"]["lt"]


LITHUANIAN_FILES = [
    *sorted((CONTENT / "modules").glob("*.yaml")),
    CONTENT / "web_audit.yaml",
    CONTENT / "checklists.yaml",
    CONTENT / "ideas.yaml",
    CONTENT / "course.yaml",
    *sorted((ROOT / "bot" / "locales" / "lt" / "LC_MESSAGES").glob("*.po")),
]


@pytest.mark.parametrize(
    "wrong",
    [
        "viešosios įstaigos privalo",  # the duty falls on every public-sector body
        "galvoje",  # the HTML head is the <head> dalis, not a "head" in the body sense
        "pilnai",  # calque of "fully": visiškai
        "virš ",  # calque of "over" for numbers: daugiau kaip
        "ekrano skaitytuv",  # the glossary's term: ekrano skaitymo programa
        "įtakoja",  # calque: daro įtaką, lemia
        "pagal nutylėjimą",  # calque of "by default": numatytasis
        "tame tarpe",  # calque of "among them": iš jų, tarp jų
    ],
)
def test_lithuanian_texts_avoid_known_mistakes(wrong: str) -> None:
    for path in LITHUANIAN_FILES:
        text = path.read_text(encoding="utf-8").lower()
        assert wrong not in text, f"{path.relative_to(ROOT)} has {wrong!r}"


def test_the_padlock_appears_only_where_the_course_says_it_proves_nothing() -> None:
    for path in LITHUANIAN_FILES:
        text = path.read_text(encoding="utf-8")
        for line in text.splitlines():
            if "spynel" in line.lower():
                assert path.name == "m4.yaml", path
                assert "nieko" in line, line  # "Spynelė nieko neįrodo", never "look for it"


_SECOND_PERSON = re.compile(r"\b\w+(?:ate|ote|ite|ėte|sitės|site|atės|otės)\b")
"""Rašote, planuojate, darote, rinksitės, padėsite: the participant is in the situation."""


def _is_scenario(prompt: str) -> bool:
    """A situation from the participant's work: told in the second person, or set up in a
    sentence of its own before the question, or someone (a colleague, a parent) speaking."""
    setup = prompt.split("?")[0]
    return bool(_SECOND_PERSON.search(prompt)) or ". " in setup or "„" in prompt


@pytest.mark.parametrize("module_id", ["m1", "m2", "m3", "m4"])
def test_at_least_half_the_questions_are_scenarios(module_id: str) -> None:
    scored = [q for q in _questions(_module(module_id)) if q.type.value in SCORED]
    scenarios = [q for q in scored if _is_scenario(q.prompt["lt"])]
    assert len(scenarios) * 2 >= len(scored), [q.id for q in scored if q not in scenarios]


def test_scenario_detection_tells_a_situation_from_recall() -> None:
    assert _is_scenario("Rašote įrašą apie poezijos vakarą. Kurias grotažymes rinksitės?")
    assert _is_scenario("Kolegė sako: „Subtitrų nereikia.“ Ką jai atsakysite?")
    assert not _is_scenario("Kas yra meta aprašas?")
    assert not _is_scenario("Kuris formatas tinka nuotraukoms?")


@pytest.mark.parametrize("module_id", ["m1", "m2", "m3", "m4"])
def test_no_true_false_item_repeats_a_lesson_sentence(module_id: str) -> None:
    for lesson in _module(module_id).lessons:
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", lesson.text["lt"])).lower()
        for question in lesson.quiz:
            if question.type.value == "true_false":
                statement = question.prompt["lt"].lower().rstrip(".?! ")
                assert statement not in text, question.id


_CODE_LIKE = re.compile(r"^(?:[#…]\S*|\S*[./?=_]\S*|[A-Z0-9][A-Z0-9-]*)$")
"""Words that read the same in every language: CC BY, PNG, #hashtags, file names, URLs."""


@pytest.mark.parametrize("module_id", ["m1", "m2", "m3", "m4"])
def test_no_english_only_answer_in_the_lithuanian_text(module_id: str) -> None:
    for question in _questions(_module(module_id)):
        for option in question.options:
            if option.text["lt"] == option.text["en"]:
                words = option.text["lt"].split()
                assert all(_CODE_LIKE.match(word) for word in words), (question.id, words)
