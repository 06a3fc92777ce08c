"""One namespace of ids: modules, lessons and questions (of quizzes and banks) across files."""

from __future__ import annotations

from collections.abc import Sequence

import yaml

from bot.content.nodes import get, items, scalar
from bot.content.parsing import ContentIssue, ParsedFile


def duplicate_ids(files: Sequence[ParsedFile]) -> list[ContentIssue]:
    """Module, lesson and question ids are one namespace across every file."""
    issues: list[ContentIssue] = []
    seen: dict[str, tuple[str, ParsedFile, yaml.Node]] = {}

    def visit(parsed: ParsedFile, kind: str, node: yaml.Node | None, path: str) -> None:
        value = scalar(node)
        if node is None or not value:
            return
        if value in seen:
            first_kind, first_file, first = seen[value]
            where = f"{first_file.rel}:{first.start_mark.line + 1}"
            message = f"duplicate {kind} id {value!r}: the {first_kind} at {where} has it"
            issues.append(parsed.issue(node, path, message))
        else:
            seen[value] = (kind, parsed, node)

    for parsed in files:
        if parsed.root is None or not parsed.rel.startswith("modules/"):
            continue
        visit(parsed, "module", get(parsed.root, "id"), "id")
        for number, lesson in enumerate(items(get(parsed.root, "lessons"))):
            path = f"lessons[{number}]"
            visit(parsed, "lesson", get(lesson, "id"), f"{path}.id")
            for q_number, question in enumerate(items(get(lesson, "quiz"))):
                visit(parsed, "question", get(question, "id"), f"{path}.quiz[{q_number}].id")
    for parsed in files:
        if parsed.root is None or not parsed.rel.startswith("banks/"):
            continue
        for number, question in enumerate(items(get(parsed.root, "questions"))):
            visit(parsed, "question", get(question, "id"), f"questions[{number}].id")
    return issues
