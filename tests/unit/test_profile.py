"""Onboarding answers: what is accepted, and the reason for what is not."""

from datetime import time

import pytest

from bot.domain.profile import (
    InvalidAnswer,
    clean_text,
    parse_command,
    parse_time,
    validate_institution,
    validate_name,
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("08:00", time(8)), ("7:30", time(7, 30)), ("17.45", time(17, 45)), (" 23:59 ", time(23, 59))],
)
def test_times_people_type_are_understood(typed: str, expected: time) -> None:
    assert parse_time(typed) == expected


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("7:5", "time_format"),
        ("25:00", "time_range"),
        ("12:60", "time_range"),
        ("noon", "time_format"),
        ("", "time_format"),
        ("1200", "time_format"),
    ],
)
def test_impossible_times_are_refused_with_a_reason(typed: str, reason: str) -> None:
    with pytest.raises(InvalidAnswer) as error:
        parse_time(typed)
    assert error.value.reason == reason


def test_names_keep_lithuanian_letters_and_lose_invisible_characters() -> None:
    assert validate_name("  Žydrūnė   Čiurlionytė\u200b ") == "Žydrūnė Čiurlionytė"
    assert clean_text("a\u202eb\x00c") == "abc"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [("J", "too_short"), ("12345", "too_short"), ("/next", "command"), ("A" * 101, "too_long")],
)
def test_bad_names_are_refused(typed: str, reason: str) -> None:
    with pytest.raises(InvalidAnswer) as error:
        validate_name(typed)
    assert error.value.reason == reason


def test_institution_allows_up_to_150_characters() -> None:
    assert validate_institution("Utenos A. ir M. Miškinių viešoji biblioteka")
    with pytest.raises(InvalidAnswer):
        validate_institution("B" * 151)


def test_commands_are_parsed_with_arguments_and_bot_names() -> None:
    assert parse_command("/start ABC123") == parse_command("/start@coach_bot ABC123")
    command = parse_command("/START  abc ")
    assert command is not None and command.name == "start" and command.args == "abc"
    assert parse_command("hello") is None
    assert parse_command("/") is None
    assert parse_command("/<b>") is None
