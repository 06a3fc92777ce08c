"""Load the course from YAML into validated models; errors name file, line, column and field."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from bot.content.models import Course, CourseFile, Lesson, Module, Question

COURSE_FILE = "course.yaml"
MODULES_DIR = "modules"


@dataclass(frozen=True)
class ContentIssue:
    """One problem in the content, located as precisely as the YAML allows."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ContentError(Exception):
    """The content could not be loaded; `issues` lists every problem found."""

    def __init__(self, issues: Sequence[ContentIssue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))


def _node_at(root: yaml.Node, loc: Sequence[int | str]) -> yaml.Node:
    """The deepest YAML node along a pydantic error location."""
    node = root
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if 0 <= part < len(node.value) else None
        if child is None:
            break
        node = child
    return node


def _dotted(loc: Sequence[int | str]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _read(path: Path, rel: str, model: type[BaseModel]) -> tuple[Any, list[ContentIssue]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, [ContentIssue(rel, 1, 1, "", f"cannot read file: {error}")]
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return None, [ContentIssue(rel, line, column, "", f"broken YAML: {error.problem}")]
    if root is None:
        return None, [ContentIssue(rel, 1, 1, "", "the file is empty")]
    try:
        return model.model_validate(data), []
    except ValidationError as error:
        issues = []
        for item in error.errors():
            loc = [part for part in item["loc"] if not str(part).startswith("function-")]
            node = _node_at(root, loc)
            message = item["msg"].removeprefix("Value error, ")
            issues.append(
                ContentIssue(
                    rel,
                    node.start_mark.line + 1,
                    node.start_mark.column + 1,
                    _dotted(loc),
                    message,
                )
            )
        return None, issues


def _duplicate_ids(modules: Sequence[tuple[str, Module]]) -> list[ContentIssue]:
    issues: list[ContentIssue] = []
    seen: dict[str, str] = {}
    for rel, module in modules:
        ids = [("module", module.id)]
        for lesson in module.lessons:
            ids.append(("lesson", lesson.id))
            ids.extend(("question", question.id) for question in lesson.quiz)
        for kind, item_id in ids:
            if item_id in seen:
                message = f"duplicate {kind} id {item_id!r} (first used in {seen[item_id]})"
                issues.append(ContentIssue(rel, 1, 1, "", message))
            else:
                seen[item_id] = rel
    return issues


def load_course(directory: Path) -> Course:
    """Read course.yaml and modules/<id>.yaml; raise ContentError listing every problem."""
    course_file, issues = _read(directory / COURSE_FILE, COURSE_FILE, CourseFile)
    if course_file is None:
        raise ContentError(issues)
    modules: list[tuple[str, Module]] = []
    for module_id in course_file.modules:
        rel = f"{MODULES_DIR}/{module_id}.yaml"
        path = directory / rel
        if not path.is_file():
            issues.append(ContentIssue(COURSE_FILE, 1, 1, "modules", f"missing file {rel}"))
            continue
        module, module_issues = _read(path, rel, Module)
        issues.extend(module_issues)
        if module is not None:
            if module.id != module_id:
                message = f"module id {module.id!r} differs from its file name {module_id!r}"
                issues.append(ContentIssue(rel, 1, 1, "id", message))
            modules.append((rel, module))
    issues.extend(_duplicate_ids(modules))
    if issues:
        raise ContentError(issues)
    return Course(id=course_file.id, title=course_file.title, modules=[m for _, m in modules])


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

    def lesson(self, lesson_id: str) -> LessonRef | None:
        """The lesson with this id, if the course still has it."""
        return self._lessons.get(lesson_id)

    def question(self, question_id: str) -> tuple[Lesson, Question] | None:
        """The question with this id and its lesson, if the course still has it."""
        return self._questions.get(question_id)

    def next_lesson(self, delivered: set[str]) -> LessonRef | None:
        """The first lesson, in course order, not yet delivered."""
        return next((ref for ref in self.lessons if ref.lesson.id not in delivered), None)


class ContentStore:
    """The course in service; reloading swaps it whole, or not at all."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.index = CourseIndex(load_course(directory))

    def reload(self) -> None:
        """Load the course again; on error (ContentError) the old course stays in service."""
        self.index = CourseIndex(load_course(self.directory))
