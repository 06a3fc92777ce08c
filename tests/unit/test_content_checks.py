"""The checker's rules: Telegram HTML as Telegram reads it, button data, the schema file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from bot.content import checks
from bot.content.cli import SCHEMA_FILE, check, schema_text
from bot.content.loader import check_content, load_course
from bot.content.telegram_html import html_problems, visible_text
from tests.fakes.telegram_html import HtmlParseError, parse_html

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"
BROKEN = ROOT / "tests" / "fixtures" / "broken"

SNIPPETS = [
    "plain text",
    "<b>bold</b> and <i>italic</i>, <u>u</u> <s>s</s> <strong>x</strong> <em>y</em>",
    '<a href="https://example.org/?a=1&amp;b=2">link</a>',
    '<span class="tg-spoiler">hidden</span> <tg-spoiler>too</tg-spoiler>',
    "<blockquote expandable>long</blockquote> <pre><code>x = 1</code></pre>",
    "<b><i>nested</i></b>",
    "AT&T and R&D stay as typed",
    "&lt;tag&gt; &amp; &quot;quotes&quot; &#8364; &#x20AC;",
    "<p>paragraph</p>",
    "<b>open",
    "<b>x</i>",
    "</b>",
    "LCP < 2.5 s",
    "<span>no class</span>",
    "<br>",
    "<B>upper case</B>",
]


def _lesson_texts() -> list[str]:
    texts = []
    for directory in (CONTENT, *sorted(BROKEN.iterdir())):
        for path in sorted(directory.rglob("*.yaml")):
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except yaml.YAMLError:
                continue
            for lesson in (data or {}).get("lessons", []) if isinstance(data, dict) else []:
                text = lesson.get("text") if isinstance(lesson, dict) else None
                if isinstance(text, dict):
                    texts += [value for value in text.values() if isinstance(value, str)]
    return texts


@pytest.mark.parametrize("text", SNIPPETS + _lesson_texts())
def test_html_is_judged_as_telegram_judges_it(text: str) -> None:
    # Stricter than Telegram on purpose: entities it would show as typed, links to nowhere.
    stricter = ("unknown entity", "<a> needs an address")
    refused = [p for p in html_problems(text) if not p.message.startswith(stricter)]
    try:
        parse_html(text)
    except HtmlParseError:
        assert refused, f"Telegram refuses {text!r}, the checker let it pass"
    else:
        assert not refused, f"Telegram accepts {text!r}, the checker said {refused}"


def test_unknown_entities_are_reported_but_ampersands_are_not() -> None:
    assert [p.message.split(":")[0] for p in html_problems("a&nbsp;b &mdash; AT&T")] == [
        "unknown entity &nbsp;",
        "unknown entity &mdash;",
    ]
    assert visible_text("<b>R&amp;D</b> &lt;3") == "R&D <3"


def test_problems_in_a_block_point_at_their_line_and_column(tmp_path: Path) -> None:
    shutil_copy(BROKEN / "_base", tmp_path)
    module = tmp_path / "modules" / "b1.yaml"
    text = module.read_text(encoding="utf-8")
    module.write_text(
        text.replace("<b>Bold</b> line.", "<b>Bold</b> line.\n\n        Third <x>line</x>."),
        encoding="utf-8",
    )
    issues = [str(i) for i in check_content(tmp_path).issues]
    assert issues == [
        "modules/b1.yaml:16:15: lessons[0].text.en: Telegram does not support the tag <x>; "
        "use b, strong, i, em, u, ins, s, strike, del, span, tg-spoiler, a, code, pre, "
        "blockquote, tg-emoji"
    ]


def test_button_data_over_64_bytes_is_refused_and_real_ids_fit() -> None:
    assert checks.callback_problem("m1-mobile-q1", "a") is None
    assert checks.callback_problem("q" * 24, "o" * 24) is None  # the longest valid ids fit
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(checks, "ID_MAX", 40)
        problem = checks.callback_problem("q" * 40, "o" * 30)
    assert problem is not None
    assert problem.startswith("the button data 'q:" + "q" * 40 + ":" + "o" * 30 + "' is 73 bytes")


def test_the_real_course_passes_every_check() -> None:
    report = check_content(CONTENT)
    assert report.issues == []
    assert report.course is not None and len(report.course.modules) == 4


def test_the_schema_file_is_up_to_date() -> None:
    written = (CONTENT / SCHEMA_FILE).read_text(encoding="utf-8")
    assert written == schema_text(), "run: python -m bot content schema -o content/schema.json"
    schema = json.loads(written)
    lesson = schema["$defs"]["Lesson"]
    assert lesson["additionalProperties"] is False
    assert {"id", "title", "text", "task", "quiz", "sources"} <= set(lesson["required"])
    assert schema["$defs"]["Lesson"]["properties"]["title"]["required"] == ["lt", "en"]


def test_content_files_name_the_schema() -> None:
    for path in [CONTENT / "course.yaml", *sorted((CONTENT / "modules").glob("*.yaml"))]:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path
        target = (path.parent / first.split("=", 1)[1]).resolve()
        assert target == (CONTENT / SCHEMA_FILE).resolve()


def test_check_prints_every_problem_then_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil_copy(BROKEN / "_base", tmp_path / "c")
    shutil_copy(BROKEN / "several_problems", tmp_path / "c")
    monkeypatch.chdir(tmp_path)
    assert check(Path("c")) == 1
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert lines[0].startswith("c/modules/b1.yaml:2:13: competence: expected a number")
    assert len(lines) == 4 and lines[-1] == "Found 3 problems in 1 file."
    assert check(Path("c"), as_json=True) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["ok"] is False and document["problems"] == 3
    assert document["issues"][2] == {
        "file": "c/modules/b1.yaml",
        "line": 21,
        "column": 9,
        "path": "lessons[0].quiz[0]",
        "message": "question 'b1-q1' has no correct answer: mark one option with correct: true",
    }


def test_check_of_a_clean_course_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert check(BROKEN / "_base") == 0
    assert capsys.readouterr().out == "Content OK: 1 module, 1 lesson, 2 questions.\n"
    assert check(BROKEN / "_base", as_json=True) == 0
    assert json.loads(capsys.readouterr().out) == {
        "ok": True,
        "problems": 0,
        "issues": [],
        "warnings": [],
    }


def test_the_fixture_course_still_loads() -> None:
    assert load_course(ROOT / "tests" / "fixtures" / "course").id == "mini"


def shutil_copy(source: Path, target: Path) -> None:
    """Copy a content directory over another."""
    shutil.copytree(source, target, dirs_exist_ok=True)


def test_the_example_lesson_in_the_content_guide_is_valid(tmp_path: Path) -> None:
    guide = (ROOT / "docs" / "content-guide.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in guide.split("```yaml\n")[1:]]
    lesson = next(block for block in blocks if block.startswith("  - id:"))
    shutil_copy(BROKEN / "_base", tmp_path)
    module = tmp_path / "modules" / "b1.yaml"
    head = module.read_text(encoding="utf-8").split("lessons:\n")[0]
    module.write_text(f"{head}lessons:\n{lesson}", encoding="utf-8")
    report = check_content(tmp_path)
    assert report.issues == []
    assert report.course is not None
    quiz = report.course.modules[0].lessons[0].quiz
    assert [q.type.value for q in quiz] == ["single", "multiple", "true_false", "open"]
