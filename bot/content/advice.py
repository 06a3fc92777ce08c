"""Warnings about quiz quality and sources: content that loads but teaches or tests badly.

They do not stop the bot from loading the course; `content check` prints them after the
problems and `content check --strict` (run by CI) fails on them, like a compiler's -Werror.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

import yaml

from bot.content.models import Module, QuestionType
from bot.content.parsing import ContentIssue, ParsedFile, node_at

CLUSTER_SHARE = 0.5
"""A module warns when more than this share of its single-choice answers sit in one place."""
CLUSTER_MIN_QUESTIONS = 4
"""Fewer single-choice questions than this are too few to call a pattern."""


@dataclass(frozen=True)
class _Answer:
    """Where a single-choice question's right answer is written, for the cluster check."""

    position: int
    options: int
    node: yaml.Node | None
    where: str


def _ordinal(position: int) -> str:
    return "abcdef"[position] if position < 6 else str(position + 1)


def _clusters(parsed: ParsedFile, module: Module) -> list[ContentIssue]:
    """One warning per module whose right answers crowd one option position."""
    answers: list[_Answer] = []
    for number, lesson in enumerate(module.lessons):
        for index, question in enumerate(lesson.quiz):
            if question.type is not QuestionType.SINGLE:
                continue
            position = next(i for i, option in enumerate(question.options) if option.correct)
            loc = ["lessons", number, "quiz", index]
            answers.append(
                _Answer(position, len(question.options), node_at(parsed.root, loc), question.id)
            )
    if len(answers) < CLUSTER_MIN_QUESTIONS:
        return []
    position, count = Counter(answer.position for answer in answers).most_common(1)[0]
    if count / len(answers) <= CLUSTER_SHARE:
        return []
    crowded = [answer for answer in answers if answer.position == position]
    lines = ", ".join(
        f"{answer.where} (line {answer.node.start_mark.line + 1})"
        for answer in crowded
        if answer.node is not None
    )
    message = (
        f"the right answer is option {_ordinal(position)} in {count} of {len(answers)} "
        f"single-choice questions of this module ({lines}): the options are shuffled for each "
        "participant, but a printed or exported quiz can be passed by pattern; move some"
    )
    return [parsed.issue(crowded[0].node, f"lessons[*].quiz ({module.id})", message)]


def _lone_wrong(parsed: ParsedFile, module: Module) -> list[ContentIssue]:
    """Multiple-choice questions with one wrong option: ticking all but one is a guess."""
    found = []
    for number, lesson in enumerate(module.lessons):
        for index, question in enumerate(lesson.quiz):
            if question.type is not QuestionType.MULTIPLE:
                continue
            wrong = [option for option in question.options if not option.correct]
            if len(wrong) == 1:
                loc = ["lessons", number, "quiz", index, "options"]
                message = (
                    f"multiple-choice question {question.id!r} has a single wrong option "
                    f"({wrong[0].id!r}): add another plausible mistake, or make it single choice"
                )
                path = f"lessons[{number}].quiz[{index}].options"
                found.append(parsed.issue(node_at(parsed.root, loc), path, message))
    return found


def _bare_domains(parsed: ParsedFile, module: Module) -> list[ContentIssue]:
    """Sources that name a site's home page instead of the page that says the thing."""
    found = []
    for number, lesson in enumerate(module.lessons):
        for index, source in enumerate(lesson.sources):
            url = urlsplit(str(source.url))
            if url.path.strip("/") or url.query or url.fragment:
                continue
            loc = ["lessons", number, "sources", index, "url"]
            message = (
                f"source {str(source.url)!r} of lesson {lesson.id!r} is a bare domain: "
                "link the page that says the thing (or the act, where law applies)"
            )
            path = f"lessons[{number}].sources[{index}].url"
            found.append(parsed.issue(node_at(parsed.root, loc), path, message))
    return found


def content_warnings(files: list[ParsedFile]) -> list[ContentIssue]:
    """Every warning about the modules among `files` (those whose model loaded)."""
    found: list[ContentIssue] = []
    for parsed in files:
        if isinstance(parsed.model, Module) and parsed.root is not None:
            module = parsed.model
            found += _clusters(parsed, module)
            found += _lone_wrong(parsed, module)
            found += _bare_domains(parsed, module)
    return sorted(found, key=lambda issue: (issue.file, issue.line, issue.column))
