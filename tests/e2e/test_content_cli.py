"""The content commands as an author meets them: check, schema and the lesson preview."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.e2e.test_cli import ROOT, _run

BROKEN = ROOT / "tests" / "fixtures" / "broken"


def test_check_reports_every_problem_with_file_line_and_column(tmp_path: Path) -> None:
    shutil.copytree(BROKEN / "_base", tmp_path / "content")
    shutil.copytree(BROKEN / "several_problems", tmp_path / "content", dirs_exist_ok=True)
    result = _run(["content", "check", "content"], tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == (
        "content/modules/b1.yaml:2:13: competence: expected a number greater than or equal "
        "to 1, got 0"
    )
    assert lines[2].startswith("content/modules/b1.yaml:21:9: lessons[0].quiz[0]: question")
    assert lines[3] == "Found 3 problems in 1 file."
    as_json = _run(["content", "check", "content", "--json"], tmp_path)
    assert as_json.returncode == 1
    assert [i["line"] for i in json.loads(as_json.stdout)["issues"]] == [2, 13, 21]


def test_the_real_course_passes_and_the_schema_is_written(tmp_path: Path) -> None:
    result = _run(["content", "check"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Content OK: 4 modules, ")
    written = _run(["content", "schema", "-o", str(tmp_path / "schema.json")], tmp_path)
    assert written.returncode == 0
    schema = (tmp_path / "schema.json").read_text(encoding="utf-8")
    assert schema == (ROOT / "content" / "schema.json").read_text(encoding="utf-8")


def test_chat_lesson_previews_one_lesson(tmp_path: Path) -> None:
    result = _run(["chat", "--lesson", "m1-speed", "--language", "en"], tmp_path, stdin="/quit\n")
    assert result.returncode == 0, result.stderr
    assert "Preview of lesson m1-speed (m1, lesson 2 of" in result.stdout
    assert "Core Web Vitals" in result.stdout and "Question 1 of" in result.stdout
    assert not (tmp_path / "cli.db").exists()  # the preview never touches the real database
    missing = _run(["chat", "--lesson", "m9-nothing"], tmp_path)
    assert missing.returncode == 2
    assert "There is no lesson 'm9-nothing' in the course." in missing.stderr
