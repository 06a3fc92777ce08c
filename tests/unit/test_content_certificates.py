"""course.yaml's certificate block: validated like the rest, errors naming file, line, field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.content.loader import check_content
from bot.domain.certificates import Criteria, Missing, ModuleDone, Standing, missing
from bot.features.certificates.texts import missing_text
from bot.kernel.i18n import Translations
from tests.conftest import CONTENT_DIR

BLOCK = """
certificate:
  institution: {lt: "Molėtų viešoji biblioteka", en: "Molėtai Public Library"}
  signatory: {name: "Rasa Vaitkienė", title: {lt: "Direktorė", en: "Director"}}
  hours: HOURS
  criteria: CRITERIA
"""


def _course(tmp_path: Path, hours: str, criteria: str = "{all_lessons: true}") -> list[str]:
    shutil.copytree(CONTENT_DIR, tmp_path, dirs_exist_ok=True)
    course = tmp_path / "course.yaml"
    text = course.read_text(encoding="utf-8").split("\ncertificate:")[0].rstrip() + "\n"
    block = BLOCK.replace("HOURS", hours).replace("CRITERIA", criteria)
    course.write_text(text + block, encoding="utf-8")
    return [str(issue) for issue in check_content(tmp_path).issues]


def test_the_real_course_declares_its_certificate() -> None:
    course = check_content(CONTENT_DIR).course
    assert course is not None and course.certificate is not None
    assert course.certificate.total_hours == 40
    assert course.certificate.criteria.min_average_score == 60


def test_one_total_for_the_whole_course_is_enough(tmp_path: Path) -> None:
    assert _course(tmp_path, "36") == []
    course = check_content(tmp_path).course
    assert course is not None and course.certificate is not None
    assert course.certificate.hours_of(["m1"]) is None and course.certificate.total_hours == 36


def test_hours_per_module_name_every_module_and_only_those(tmp_path: Path) -> None:
    issues = _course(tmp_path, "{m1: 8, m2: 8, m3: 8, m9: 8}")
    assert any("course.yaml" in i and "'m9', which is not a module" in i for i in issues), issues
    assert any("no hours for module m4" in i for i in issues), issues


@pytest.mark.parametrize(
    ("hours", "criteria", "expected"),
    [
        ("0", "{}", "hours are whole numbers from 1 to 1000"),
        ("{m1: 8, m2: 8, m3: 8, m4: -1}", "{}", "hours are whole numbers from 1 to 1000"),
        ("40", "{min_average_score: 120}", "min_average_score"),
        ("40", "{ideas: 1}", "ideas"),
    ],
)
def test_impossible_values_are_refused_with_the_field_named(
    tmp_path: Path, hours: str, criteria: str, expected: str
) -> None:
    issues = _course(tmp_path, hours, criteria)
    assert any(expected in issue and "course.yaml" in issue for issue in issues), issues


def test_what_is_missing_comes_in_the_courses_order() -> None:
    criteria = Criteria(all_lessons=True, min_average_score=70, ideas_with_step_done=2)
    standing = Standing(
        (ModuleDone("m1", 5, 5), ModuleDone("m2", 1, 4), ModuleDone("m3", 0, 3)),
        score=65,
        ideas_with_step_done=1,
    )
    assert missing(criteria, standing) == [
        Missing("lessons", 3, "m2"),
        Missing("lessons", 3, "m3"),
        Missing("score", 5, needed=70, current=65),
        Missing("ideas", 1, needed=2),
    ]
    done = Standing((ModuleDone("m1", 5, 5),), score=70, ideas_with_step_done=2)
    assert missing(criteria, done) == []
    relaxed = Criteria(all_lessons=False, min_average_score=0, ideas_with_step_done=0)
    assert missing(relaxed, Standing((ModuleDone("m1", 0, 5),), None, 0)) == []


def test_before_any_answer_the_score_is_asked_for_without_a_made_up_zero() -> None:
    criteria = Criteria(all_lessons=False, min_average_score=60, ideas_with_step_done=0)
    (item,) = missing(criteria, Standing((), score=None, ideas_with_step_done=0))
    assert item == Missing("score", 60, needed=60, current=None)
    course = check_content(CONTENT_DIR).course
    assert course is not None
    lt = Translations("lt").get("lt")
    assert missing_text(lt, course, item) == "vidutinis testų rezultatas – bent 60 %"
