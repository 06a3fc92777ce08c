"""`content check` also checks the idea coach's files against the course."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.content.cli import check

CONTENT = Path(__file__).resolve().parents[2] / "content"


def test_an_idea_pointing_to_a_missing_lesson_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(CONTENT, tmp_path / "content")
    ideas = tmp_path / "content" / "ideas.yaml"
    text = ideas.read_text(encoding="utf-8")
    ideas.write_text(re.sub(r"lesson: \S+", "lesson: no-such-lesson", text, count=1), "utf-8")
    assert check(tmp_path / "content") == 1
    err = capsys.readouterr().err
    assert "ideas.yaml" in err and "no lesson 'no-such-lesson'" in err
    assert "Found 1 problem in 1 file." in err


def test_the_real_course_and_its_ideas_pass(capsys: pytest.CaptureFixture[str]) -> None:
    assert check(CONTENT) == 0
    assert capsys.readouterr().out.startswith("Content OK")
