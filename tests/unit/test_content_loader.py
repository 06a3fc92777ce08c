"""Loading the course: the real one loads; broken ones name file, line, column and field."""

import shutil
from pathlib import Path

import pytest

from bot.content.loader import ContentError, CourseIndex, load_course

ROOT = Path(__file__).resolve().parents[2]

COURSE = """\
id: demo
title: {lt: Kursas, en: Course}
modules: [m1]
"""

MODULE = """\
id: m1
competence: 1
title: {lt: Modulis, en: Module}
summary: {lt: Santrauka, en: Summary}
lessons:
  - id: l1
    title: {lt: Pamoka, en: Lesson}
    text: {lt: Tekstas, en: Text}
    task: {lt: Užduotis, en: Task}
    sources:
      - {title: Source, url: "https://example.org/"}
    quiz:
      - id: q1
        prompt: {lt: "Klausimas?", en: "Question?"}
        explanation: {lt: Nes., en: Because.}
        options:
          - {id: a, text: {lt: Taip, en: "Yes"}, correct: true, feedback: {lt: Gerai., en: Good.}}
          - {id: b, text: {lt: Ne, en: "No"}, feedback: {lt: Deja., en: Sorry.}}
"""


def _write(tmp_path: Path, module: str = MODULE, course: str = COURSE) -> Path:
    (tmp_path / "modules").mkdir(exist_ok=True)
    (tmp_path / "course.yaml").write_text(course, encoding="utf-8")
    (tmp_path / "modules" / "m1.yaml").write_text(module, encoding="utf-8")
    return tmp_path


def _issues(directory: Path) -> list[str]:
    with pytest.raises(ContentError) as error:
        load_course(directory)
    return [str(issue) for issue in error.value.issues]


def test_the_real_course_loads_with_ids_in_order() -> None:
    course = load_course(ROOT / "content")
    index = CourseIndex(course)
    assert course.modules[0].id == "m1"
    assert len(index.lessons) >= 3
    first = index.lessons[0]
    assert index.next_lesson(set()) == first
    assert index.next_lesson({first.lesson.id}) == index.lessons[1]
    question = first.lesson.quiz[0]
    assert index.question(question.id) == (first.lesson, question)


def test_a_minimal_course_loads(tmp_path: Path) -> None:
    course = load_course(_write(tmp_path))
    assert course.modules[0].lessons[0].quiz[0].correct_option.id == "a"


def test_broken_yaml_names_its_line(tmp_path: Path) -> None:
    broken = MODULE.replace("title: {lt: Pamoka, en: Lesson}", "title: {lt: Pamoka, en: Lesson")
    issues = _issues(_write(tmp_path, broken))
    assert len(issues) == 1
    assert issues[0].startswith("modules/m1.yaml:8:")
    assert "broken YAML" in issues[0]


def test_unknown_field_names_line_and_path(tmp_path: Path) -> None:
    issues = _issues(_write(tmp_path, MODULE.replace("    task:", "    taks: x\n    task:")))
    expected = "modules/m1.yaml:9:5: lessons[0].taks: unknown field 'taks'; did you mean 'task'?"
    assert expected in issues


def test_missing_translation_is_reported_at_the_text(tmp_path: Path) -> None:
    issues = _issues(
        _write(tmp_path, MODULE.replace("text: {lt: Tekstas, en: Text}", "text: {lt: Tekstas}"))
    )
    assert issues == ["modules/m1.yaml:8:11: lessons[0].text: missing translation: en"]


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    broken = MODULE.replace("competence: 1", "competence: 9").replace(
        '{id: b, text: {lt: Ne, en: "No"},', '{id: b, text: {lt: Ne, en: "No"}, correct: true,'
    )
    issues = _issues(_write(tmp_path, broken))
    assert any(i.startswith("modules/m1.yaml:2:13: competence:") for i in issues)
    assert any("single-choice question 'q1' has 2 correct options" in i for i in issues)


def test_duplicate_ids_and_missing_module_files(tmp_path: Path) -> None:
    duplicated = MODULE.replace("id: q1", "id: l1")
    issues = _issues(_write(tmp_path, duplicated, COURSE.replace("[m1]", "[m1, m2]")))
    assert issues == [
        "course.yaml:3:15: modules[1]: missing file modules/m2.yaml: no module has the id 'm2'",
        "modules/m1.yaml:13:13: lessons[0].quiz[0].id: duplicate question id 'l1': "
        "the lesson at modules/m1.yaml:6 has it",
    ]


def test_the_real_course_copied_elsewhere_still_loads(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "content", tmp_path / "content")
    assert load_course(tmp_path / "content").id == "culture-coach"
