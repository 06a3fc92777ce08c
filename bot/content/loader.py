"""Load the course from YAML into validated models; errors name file, line, column and field.

Loading runs the whole checker (bot.content.checks): content the checker refuses never goes
into service, whether at start or on /reload_content."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from bot.content import checks
from bot.content.advice import content_warnings
from bot.content.models import Bank, Course, CourseFile, Lesson, Module, Question
from bot.content.namespace import duplicate_ids
from bot.content.parsing import ContentError, ContentIssue, ParsedFile, dotted, node_at, read_file

__all__ = ["ContentError", "ContentIssue", "ParsedFile", "dotted", "node_at", "read_file"]

COURSE_FILE = "course.yaml"
MODULES_DIR = "modules"
BANKS_DIR = "banks"


def _read(path: Path, rel: str, model: type[BaseModel]) -> tuple[Any, list[ContentIssue]]:
    """(model or None, issues) of one YAML file, with the checks beyond the model too."""
    parsed = read_file(path, rel, model)
    found = parsed.issues + (checks.duplicate_keys(parsed) if parsed.root is not None else [])
    return (parsed.model if not found else None), found


@dataclass
class ContentReport:
    """What the checker found: the course (None if it cannot be built) and every issue."""

    course: Course | None
    issues: list[ContentIssue]
    files: list[ParsedFile] = field(default_factory=list)


def check_content(directory: Path) -> ContentReport:
    """Read and check the whole course; never raises for a content problem."""
    parsed_course = read_file(directory / COURSE_FILE, COURSE_FILE, CourseFile)
    files = [parsed_course]
    course_file: CourseFile | None = parsed_course.model
    listed: list[tuple[str, yaml.Node | None]] = []
    if course_file is not None and parsed_course.root is not None:
        items = node_at(parsed_course.root, ["modules"])
        for number, module_id in enumerate(course_file.modules):
            listed.append((module_id, node_at(items, [number])))
    modules: list[tuple[ParsedFile, Module]] = []
    extra: list[ContentIssue] = []
    seen_listed: set[str] = set()
    for number, (module_id, node) in enumerate(listed):
        rel = f"{MODULES_DIR}/{module_id}.yaml"
        if module_id in seen_listed:
            message = f"module {module_id!r} is listed twice"
            extra.append(parsed_course.issue(node, f"modules[{number}]", message))
            continue
        seen_listed.add(module_id)
        if not (directory / rel).is_file():
            message = f"missing file {rel}: no module has the id {module_id!r}"
            extra.append(parsed_course.issue(node, f"modules[{number}]", message))
            continue
        parsed = read_file(directory / rel, rel, Module)
        files.append(parsed)
        module = parsed.model
        if module is not None:
            if module.id != module_id:
                message = f"module id {module.id!r} differs from its file name {module_id!r}"
                parsed.issues.append(parsed.issue(node_at(parsed.root, ["id"]), "id", message))
            modules.append((parsed, module))
    if course_file is not None and (directory / MODULES_DIR).is_dir():
        for path in sorted((directory / MODULES_DIR).glob("*.y*ml")):
            if path.stem not in seen_listed:
                rel = f"{MODULES_DIR}/{path.name}"
                message = f"{rel} is not listed in course.yaml: add {path.stem!r} to modules"
                node = node_at(parsed_course.root, ["modules"], key=True)
                extra.append(parsed_course.issue(node, "modules", message))
    banks = _banks(directory, files, seen_listed) if course_file is not None else []
    if course_file is not None and course_file.certificate is not None:
        extra.extend(_certificate_hours(parsed_course, course_file, seen_listed))
    for parsed in files:
        if parsed.root is not None:
            parsed.issues.extend(checks.check_file(parsed))
    extra.extend(duplicate_ids(files))
    issues = [issue for parsed in files for issue in parsed.issues] + extra
    order = {parsed.rel: number for number, parsed in enumerate(files)}
    issues.sort(key=lambda i: (order.get(i.file, -1), i.line, i.column))
    course = None
    if not issues and course_file is not None:
        course = Course(
            id=course_file.id,
            title=course_file.title,
            modules=[m for _, m in modules],
            banks=banks,
            certificate=course_file.certificate,
        )
    return ContentReport(course, _unique(issues), files)


def _banks(directory: Path, files: list[ParsedFile], modules: set[str]) -> list[Bank]:
    """The question banks, banks/<module id>.yaml, each read into `files` for the checks."""
    banks: list[Bank] = []
    for path in sorted((directory / BANKS_DIR).glob("*.y*ml")):
        rel = f"{BANKS_DIR}/{path.name}"
        parsed = read_file(path, rel, Bank)
        files.append(parsed)
        bank = parsed.model
        if bank is None:
            continue
        node = node_at(parsed.root, ["module"])
        if bank.module != path.stem:
            message = f"bank of module {bank.module!r} differs from its file name {path.stem!r}"
            parsed.issues.append(parsed.issue(node, "module", message))
        elif bank.module not in modules:
            message = f"{rel} is the bank of module {bank.module!r}, not listed in course.yaml"
            parsed.issues.append(parsed.issue(node, "module", message))
        else:
            banks.append(bank)
    return banks


def _certificate_hours(
    parsed: ParsedFile, course_file: CourseFile, listed: set[str]
) -> list[ContentIssue]:
    """Hours per module name each module of the course once, and only those."""
    rules = course_file.certificate
    if rules is None or isinstance(rules.hours, int):
        return []
    found: list[ContentIssue] = []
    hours = node_at(parsed.root, ["certificate", "hours"])
    for module_id in rules.hours:
        if module_id not in listed:
            message = f"hours for {module_id!r}, which is not a module of the course"
            node = node_at(hours, [module_id], key=True)
            found.append(parsed.issue(node, f"certificate.hours.{module_id}", message))
    missing = [module_id for module_id in course_file.modules if module_id not in rules.hours]
    if missing:
        message = f"no hours for module {', '.join(missing)}: credit every module, or give a total"
        node = node_at(parsed.root, ["certificate", "hours"], key=True)
        found.append(parsed.issue(node, "certificate.hours", message))
    return found


def _unique(issues: list[ContentIssue]) -> list[ContentIssue]:
    return list(dict.fromkeys(issues))


def load_course(directory: Path) -> Course:
    """Read and check course.yaml and modules/<id>.yaml; raise ContentError listing every
    problem."""
    report = check_content(directory)
    if report.course is None:
        raise ContentError(report.issues)
    return report.course


@dataclass(frozen=True)
class LessonRef:
    """Where a lesson sits in the course: its module and position, for headers and progress."""

    module: Module
    lesson: Lesson
    index: int


class CourseIndex:
    """Fast look-ups over a loaded course: lesson order and lesson/question by id."""

    def __init__(self, course: Course) -> None:
        self.course = course
        self.lessons: list[LessonRef] = [
            LessonRef(module, lesson, index)
            for module in course.modules
            for index, lesson in enumerate(module.lessons)
        ]
        self._lessons = {ref.lesson.id: ref for ref in self.lessons}
        self._questions: dict[str, tuple[Lesson, Question]] = {
            question.id: (ref.lesson, question)
            for ref in self.lessons
            for question in ref.lesson.quiz
        }
        self._bank: dict[str, Question] = {
            question.id: question for bank in course.banks for question in bank.questions
        }

    def lesson(self, lesson_id: str) -> LessonRef | None:
        """The lesson with this id, if the course still has it."""
        return self._lessons.get(lesson_id)

    def question(self, question_id: str) -> tuple[Lesson, Question] | None:
        """The question with this id and its lesson, if the course still has it."""
        return self._questions.get(question_id)

    def review_question(self, question_id: str) -> Question | None:
        """A question spaced review may show: a lesson's or one of a module bank's."""
        found = self._questions.get(question_id)
        return found[1] if found is not None else self._bank.get(question_id)

    def next_lesson(self, delivered: set[str]) -> LessonRef | None:
        """The first lesson, in course order, not yet delivered."""
        return next((ref for ref in self.lessons if ref.lesson.id not in delivered), None)


class ContentStore:
    """The course in service; reloading swaps it whole, or not at all."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.warnings: list[ContentIssue] = []
        """The checker's warnings about the course in service (they never stop a load)."""
        self.index = self._load()

    def _load(self) -> CourseIndex:
        report = check_content(self.directory)
        if report.course is None:
            raise ContentError(report.issues)
        self.warnings = content_warnings(report.files)
        return CourseIndex(report.course)

    def reload(self) -> CourseIndex:
        """Load and check the course again and put it in service; on error (ContentError,
        listing every issue) the old course stays in service. Safe to run in a thread: the
        swap is one assignment, and an update already running keeps the index it started with."""
        index = self._load()
        self.index = index
        return index
