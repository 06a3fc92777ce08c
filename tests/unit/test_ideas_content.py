"""The idea coach's content is validated at load, and its small parsers behave."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from bot.content.catalogue import load_catalogue
from bot.content.loader import ContentError, ContentStore
from bot.domain.findings import CODES
from bot.features.ideas.queries import parse_date, parse_steps, prompt_time
from tests.conftest import CONTENT_DIR, VILNIUS


def test_the_real_catalogue_points_every_idea_and_finding_to_a_real_lesson(
    content: ContentStore,
) -> None:
    catalogue = load_catalogue(CONTENT_DIR, content.index, frozenset(CODES))
    assert set(catalogue.checklists) == {"website", "facebook", "instagram", "other"}
    assert set(catalogue.findings) == set(CODES)
    for idea in catalogue.ideas.values():
        assert content.index.lesson(idea.lesson) is not None


def test_a_wrong_lesson_id_or_missing_idea_is_named_with_file_and_field(
    content: ContentStore, tmp_path: Path
) -> None:
    for name in ("checklists.yaml", "ideas.yaml", "web_audit.yaml"):
        shutil.copy(CONTENT_DIR / name, tmp_path / name)
    ideas = tmp_path / "ideas.yaml"
    ideas.write_text(ideas.read_text().replace("lesson: m1-mobile", "lesson: m9-nowhere"))
    checklists = tmp_path / "checklists.yaml"
    checklists.write_text(checklists.read_text().replace("[alt-texts]", "[no-such-idea]"))
    with pytest.raises(ContentError) as error:
        load_catalogue(tmp_path, content.index, frozenset(CODES))
    text = str(error.value)
    assert "ideas.yaml:1:1: ideas.mobile-friendly.lesson: no lesson 'm9-nowhere'" in text
    assert "checklists.yaml" in text and "no idea 'no-such-idea'" in text


def test_a_broken_field_is_located_by_line(content: ContentStore, tmp_path: Path) -> None:
    for name in ("checklists.yaml", "ideas.yaml", "web_audit.yaml"):
        shutil.copy(CONTENT_DIR / name, tmp_path / name)
    ideas = tmp_path / "ideas.yaml"
    ideas.write_text(ideas.read_text().replace("effort: small", "effort: tiny", 1))
    with pytest.raises(ContentError) as error:
        load_catalogue(tmp_path, content.index)
    assert "ideas.yaml:" in str(error.value) and "ideas[0].effort" in str(error.value)


def test_steps_typed_one_per_line_lose_their_numbers_and_bullets() -> None:
    typed = "1. Surašyti paskyras\n2) Paskirti antrą administratorių\n\n- Pašalinti senas\n•  ok"
    assert parse_steps(typed) == [
        "Surašyti paskyras",
        "Paskirti antrą administratorių",
        "Pašalinti senas",
        "ok",
    ]
    assert parse_steps("1.\n---\n") == []


def test_dates_are_read_in_the_usual_lithuanian_forms() -> None:
    today = date(2026, 11, 24)
    assert parse_date("2026-12-20", today) == date(2026, 12, 20)
    assert parse_date("20.12.2026", today) == date(2026, 12, 20)
    assert parse_date("15.01", today) == date(2027, 1, 15)
    assert parse_date("rytoj", today) is None


def test_prompts_come_at_the_preferred_local_time() -> None:
    morning = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 09:00 in Vilnius
    assert prompt_time(morning, time(12, 0), VILNIUS) == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    assert prompt_time(morning, time(8, 0), VILNIUS) == datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
    assert prompt_time(morning, None, VILNIUS, days=3) == datetime(2026, 11, 27, 7, 0, tzinfo=UTC)
