"""`python -m bot content check|schema|import-gift|export-gift`: checker, schema, Moodle GIFT."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from pydantic.json_schema import models_json_schema

from bot.content.advice import content_warnings
from bot.content.catalogue import load_catalogue
from bot.content.gift import commands as gift
from bot.content.loader import ContentError, ContentIssue, ContentReport, CourseIndex, check_content
from bot.content.models import Bank, Course, CourseFile, Module
from bot.content.progress_check import progress_on, removed_with_progress
from bot.domain.findings import CODES

SCHEMA_FILE = "schema.json"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def add_commands(content: argparse.ArgumentParser) -> None:
    """The `content` subcommands."""
    commands = content.add_subparsers(dest="content_command", required=True)
    check = commands.add_parser(
        "check", help="check the course YAML and report every problem as file:line:column"
    )
    check.add_argument("directory", nargs="?", type=Path, help="content directory")
    check.add_argument("--json", action="store_true", help="print the issues as JSON")
    check.add_argument(
        "--strict",
        action="store_true",
        help="fail on warnings too (quiz patterns, bare-domain sources), as CI does",
    )
    check.add_argument(
        "--database-url",
        help="also report removed lessons, questions and modules that participants have "
        "progress on (e.g. the DATABASE_URL of production)",
    )
    schema = commands.add_parser("schema", help="write the JSON Schema of the content files")
    schema.add_argument("-o", "--output", type=Path, help="file to write (default: print it)")
    gift.add_commands(commands)


def plural(count: int, word: str) -> str:
    """'1 lesson', '24 lessons'."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def shown(directory: Path, rel: str) -> str:
    """A content file's path as the person typed it: relative to here when possible."""
    path = directory / rel
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def relocated(issue: ContentIssue, directory: Path) -> ContentIssue:
    """The issue with its file named from the working directory, for editors to open."""
    return ContentIssue(
        shown(directory, issue.file), issue.line, issue.column, issue.path, issue.message
    )


def print_issues(
    issues: list[ContentIssue], directory: Path, stream: TextIO, *, kind: str = "problem"
) -> None:
    """Each issue on a line, then a summary."""
    for issue in issues:
        line = str(relocated(issue, directory))
        print(f"{line} [warning]" if kind == "warning" else line, file=stream)
    files = len({issue.file for issue in issues})
    print(f"Found {plural(len(issues), kind)} in {plural(files, 'file')}.", file=stream)


def _summary(report: ContentReport) -> str:
    assert report.course is not None
    lessons = [lesson for module in report.course.modules for lesson in module.lessons]
    questions = sum(len(lesson.quiz) for lesson in lessons)
    banked = sum(len(bank.questions) for bank in report.course.banks)
    in_banks = f", {plural(banked, 'bank question')}" if banked else ""
    return (
        f"Content OK: {plural(len(report.course.modules), 'module')}, "
        f"{plural(len(lessons), 'lesson')}, {plural(questions, 'question')}{in_banks}."
    )


def _idea_coach_issues(directory: Path, course: Course) -> list[ContentIssue]:
    """Problems in the idea coach's files (checklists, ideas, page-check texts)."""
    try:
        load_catalogue(directory, CourseIndex(course), frozenset(CODES))
    except ContentError as error:
        return list(error.issues)
    return []


def check(
    directory: Path,
    *,
    as_json: bool = False,
    database_url: str | None = None,
    strict: bool = False,
) -> int:
    """Check the content in `directory`; 0 when clean, 1 when there are problems (or, with
    `strict`, warnings)."""
    report = check_content(directory)
    issues = list(report.issues)
    if report.course is not None and not issues:
        issues += _idea_coach_issues(directory, report.course)
    if database_url and report.course is not None:
        try:
            progress = asyncio.run(progress_on(database_url, report.course.id))
        except Exception as error:  # an unreachable or unmigrated database
            print(f"Cannot read progress from the database: {error}", file=sys.stderr)
            return 2
        issues += removed_with_progress(report, report.course, progress)
    warnings = content_warnings(report.files)
    failed = bool(issues) or (strict and bool(warnings))
    if as_json:
        document: dict[str, Any] = {
            "ok": not failed,
            "problems": len(issues),
            "issues": [relocated(issue, directory).as_dict() for issue in issues],
            "warnings": [relocated(issue, directory).as_dict() for issue in warnings],
        }
        print(json.dumps(document, ensure_ascii=False, indent=2))
        return 1 if failed else 0
    if issues:
        print_issues(issues, directory, sys.stderr)
    if warnings:
        print_issues(warnings, directory, sys.stderr, kind="warning")
        if not strict:
            print("Warnings do not stop the bot; --strict fails on them.", file=sys.stderr)
    if not issues:
        print(_summary(report))
    return 1 if failed else 0


def json_schema() -> dict[str, Any]:
    """One JSON Schema for course.yaml and modules/*.yaml (each file is one of the two)."""
    _, schema = models_json_schema(
        [(Module, "validation"), (CourseFile, "validation"), (Bank, "validation")],
        ref_template="#/$defs/{model}",
    )
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "title": "Culture Coach course content",
        "description": (
            "A module file (modules/<id>.yaml), the course file (course.yaml) or a module's "
            "question bank (banks/<module id>.yaml). "
            "Generated by `python -m bot content schema`; do not edit by hand."
        ),
        "anyOf": [
            {"$ref": "#/$defs/Module"},
            {"$ref": "#/$defs/CourseFile"},
            {"$ref": "#/$defs/Bank"},
        ],
        "$defs": schema["$defs"],
    }


def schema_text() -> str:
    """The schema as written to content/schema.json."""
    return json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"


def write_schema(output: Path | None) -> int:
    """Print the schema, or write it to `output`."""
    if output is None:
        sys.stdout.write(schema_text())
        return 0
    output.write_text(schema_text(), encoding="utf-8")
    print(f"Wrote the JSON Schema to {output}.")
    return 0


def run(args: argparse.Namespace, content_dir: Path) -> int:
    """Dispatch `content check`, `schema`, `import-gift` and `export-gift`."""
    if args.content_command == "schema":
        return write_schema(args.output)
    if args.content_command in ("import-gift", "export-gift"):
        return gift.run(args, content_dir)
    return check(
        args.directory or content_dir,
        as_json=args.json,
        database_url=args.database_url,
        strict=args.strict,
    )
