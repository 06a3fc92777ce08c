"""The checker's warnings: answers crowding one position, a lone wrong option, bare domains."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.content.advice import content_warnings
from bot.content.cli import check
from bot.content.loader import check_content

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"


def _copy(tmp_path: Path) -> Path:
    directory = tmp_path / "content"
    shutil.copytree(CONTENT, directory)
    return directory


def _edit(directory: Path, module: str, change: Any) -> Path:
    path = directory / "modules" / f"{module}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    """1-based line of the first line containing `needle`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if needle in line)


def _warnings(directory: Path) -> list[str]:
    report = check_content(directory)
    assert report.issues == []  # warnings never make content invalid
    return [str(warning) for warning in content_warnings(report.files)]


def test_the_course_has_no_warnings() -> None:
    assert _warnings(CONTENT) == []


def test_right_answers_in_one_place_are_named_with_their_lines(tmp_path: Path) -> None:
    directory = _copy(tmp_path)

    def all_first(data: dict[str, Any]) -> None:
        for lesson in data["lessons"]:
            for question in lesson["quiz"]:
                if question.get("type", "single") == "single":
                    options = question["options"]
                    options.sort(key=lambda option: not option.get("correct", False))

    path = _edit(directory, "m2", all_first)
    found = _warnings(directory)
    assert len(found) == 1
    warning = found[0]
    assert warning.startswith("modules/m2.yaml:")
    assert "option a in 10 of 10 single-choice questions" in warning
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    first = next(
        q
        for lesson in data["lessons"]
        for q in lesson["quiz"]
        if q.get("type", "single") == "single"
    )
    assert warning.split(":")[1] == str(_line_of(path, f"id: {first['id']}"))
    assert f"{first['id']} (line {_line_of(path, 'id: ' + first['id'])})" in warning


def test_a_module_spread_over_positions_is_not_warned(tmp_path: Path) -> None:
    directory = _copy(tmp_path)

    def half_first(data: dict[str, Any]) -> None:
        singles = [
            q
            for lesson in data["lessons"]
            for q in lesson["quiz"]
            if q.get("type", "single") == "single"
        ]
        for question in singles[: len(singles) // 2]:
            question["options"].sort(key=lambda option: not option.get("correct", False))
        for question in singles[len(singles) // 2 :]:
            question["options"].sort(key=lambda option: option.get("correct", False))

    _edit(directory, "m2", half_first)
    assert _warnings(directory) == []


def test_a_multiple_choice_question_with_one_wrong_option(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    chosen: dict[str, str] = {}

    def one_wrong(data: dict[str, Any]) -> None:
        for lesson in data["lessons"]:
            for question in lesson["quiz"]:
                if question.get("type") == "multiple":
                    wrong = [o for o in question["options"] if not o.get("correct")]
                    keep = wrong[0]
                    question["options"] = [
                        o for o in question["options"] if o.get("correct") or o is keep
                    ]
                    chosen.update(id=question["id"], option=keep["id"])
                    return

    path = _edit(directory, "m3", one_wrong)
    (warning,) = _warnings(directory)
    lines = path.read_text(encoding="utf-8").splitlines()
    question_line = _line_of(path, f"id: {chosen['id']}")
    options_line = next(
        n for n, line in enumerate(lines, 1) if n > question_line and "options:" in line
    )
    assert warning.startswith(f"modules/m3.yaml:{options_line + 1}:")
    assert f"{chosen['id']!r} has a single wrong option ({chosen['option']!r})" in warning


@pytest.mark.parametrize(
    "url", ["https://www.lrt.lt/", "https://www.lrt.lt", "http://epaveldas.lt//"]
)
def test_a_bare_domain_source(tmp_path: Path, url: str) -> None:
    directory = _copy(tmp_path)

    def bare(data: dict[str, Any]) -> None:
        data["lessons"][1]["sources"][0]["url"] = url

    path = _edit(directory, "m1", bare)
    (warning,) = _warnings(directory)
    assert warning.startswith(f"modules/m1.yaml:{_line_of(path, url.rstrip('/'))}:")
    assert "is a bare domain" in warning and "lessons[1].sources[0].url" in warning


def test_a_page_with_a_path_or_query_is_not_bare(tmp_path: Path) -> None:
    directory = _copy(tmp_path)

    def deep(data: dict[str, Any]) -> None:
        data["lessons"][0]["sources"][0]["url"] = "https://www.e-tar.lt/?id=1"
        data["lessons"][1]["sources"][0]["url"] = "https://www.lrt.lt/naujienos"

    _edit(directory, "m1", deep)
    assert _warnings(directory) == []


def test_check_prints_warnings_and_strict_fails_on_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = _copy(tmp_path)
    _edit(
        directory, "m1", lambda data: data["lessons"][0]["sources"][0].update(url="https://lrt.lt")
    )
    assert check(directory) == 0
    out = capsys.readouterr()
    assert "bare domain" in out.err and "[warning]" in out.err
    assert "Found 1 warning in 1 file." in out.err and "Content OK" in out.out
    assert check(directory, strict=True) == 1
    capsys.readouterr()
    assert check(directory, as_json=True, strict=True) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["ok"] is False and document["problems"] == 0
    assert "bare domain" in document["warnings"][0]["message"]
    assert check(CONTENT, strict=True) == 0
