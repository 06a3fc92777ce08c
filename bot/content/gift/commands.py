"""`python -m bot content import-gift|export-gift`: Moodle question banks in and out."""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

from bot.content.catalogue import load_catalogue
from bot.content.gift.convert import convert
from bot.content.gift.parse import Problem, decode, parse
from bot.content.gift.place import Placement, Placer
from bot.content.gift.write import course_gift
from bot.content.loader import ContentError, ContentIssue, CourseIndex, check_content
from bot.content.models import LANGUAGES, QUIZ_MAX, Course
from bot.domain.findings import CODES

_QUESTION_AT = re.compile(r"^(?:lessons\[(\d+)\]\.quiz|questions)\[(\d+)\]")


class Refused(Exception):
    """The import cannot go ahead; the message says why and what to do."""


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The import-gift and export-gift subcommands of `content`."""
    imp = commands.add_parser(
        "import-gift", help="import a Moodle GIFT file into a module's bank or a lesson's quiz"
    )
    imp.add_argument("file", type=Path, help="the GIFT file (.gift or .txt)")
    imp.add_argument("--module", required=True, metavar="ID", help="the module the questions test")
    imp.add_argument(
        "--lesson", metavar="ID", help="add new questions to this lesson's quiz, not the bank"
    )
    imp.add_argument(
        "--skip", action="store_true", help="leave out the questions the course cannot carry"
    )
    imp.add_argument(
        "--language",
        choices=LANGUAGES,
        default=LANGUAGES[0],
        help="the language of texts without multilang spans (default: lt); copied into the "
        "other language to be translated",
    )
    imp.add_argument("--content", type=Path, metavar="DIR", help="content directory")
    exp = commands.add_parser("export-gift", help="write the course's questions as Moodle GIFT")
    exp.add_argument("--module", metavar="ID", help="only this module (default: every module)")
    exp.add_argument("-o", "--output", required=True, help="file to write, or - to print it")
    exp.add_argument("--content", type=Path, metavar="DIR", help="content directory")


def _course(directory: Path) -> Course:
    report = check_content(directory)
    if report.course is None:
        raise Refused(
            f"The course in {directory} has {len(report.issues)} problems; nothing was done. "
            f"See them with `python -m bot content check {directory}`."
        )
    return report.course


def export_gift(args: argparse.Namespace, content_dir: Path) -> int:
    """Write the questions of the course (or of --module) as GIFT."""
    course = _course(args.content or content_dir)
    modules = [module.id for module in course.modules]
    if args.module is not None and args.module not in modules:
        raise Refused(f"There is no module {args.module!r}; the modules are {', '.join(modules)}.")
    text = course_gift(course, args.module)
    if args.output == "-":
        sys.stdout.write(text)
        return 0
    Path(args.output).write_text(text, encoding="utf-8")
    count = text.count("\n::")
    print(f"Wrote {count} questions to {args.output}.")
    return 0


def _where(name: str, problem: Problem) -> str:
    title = f" ({problem.title})" if problem.title else ""
    return f"{name}:{problem.line}:{title} {problem.message}"


def _verify(directory: Path, placement: Placement, lines: dict[str, int], name: str) -> list[str]:
    """The checker's problems with the import applied, on a copy of the content."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "content"
        shutil.copytree(directory, copy)
        for rel, text in placement.texts.items():
            (copy / rel).parent.mkdir(parents=True, exist_ok=True)
            (copy / rel).write_text(text, encoding="utf-8")
        report = check_content(copy)
        issues = list(report.issues)
        if report.course is not None:
            try:
                load_catalogue(copy, CourseIndex(report.course), frozenset(CODES))
            except ContentError as error:
                issues.extend(error.issues)
    return [_issue(issue, placement, lines, name) for issue in issues]


def _issue(issue: ContentIssue, placement: Placement, lines: dict[str, int], name: str) -> str:
    """An issue in a written file, at the GIFT line of the question it is about if it can."""
    match = _QUESTION_AT.match(issue.path)
    lists = placement.lists.get(issue.file)
    if match and lists is not None:
        group = int(match.group(1) or 0)
        number = int(match.group(2))
        if group < len(lists) and number < len(lists[group]):
            question_id = lists[group][number]["id"]
            if question_id in lines:
                return f"{name}:{lines[question_id]}: ({question_id}) {issue.message}"
    return f"{issue.file}:{issue.line}:{issue.column}: {issue.path}: {issue.message}"


def import_gift(args: argparse.Namespace, content_dir: Path) -> int:
    """Import a GIFT file; nothing is written unless all of it fits (or --skip)."""
    directory: Path = args.content or content_dir
    course = _course(directory)
    module = next((m for m in course.modules if m.id == args.module), None)
    if module is None:
        ids = ", ".join(m.id for m in course.modules)
        raise Refused(f"There is no module {args.module!r}; the modules are {ids}.")
    lesson = None
    if args.lesson is not None:
        lesson = next((item for item in module.lessons if item.id == args.lesson), None)
        if lesson is None:
            ids = ", ".join(item.id for item in module.lessons)
            raise Refused(f"Module {module.id} has no lesson {args.lesson!r}; its lessons: {ids}.")
    name = str(args.file)
    try:
        source = decode(Path(args.file).read_bytes())
    except OSError as error:
        raise Refused(f"Cannot read {name}: {error.strerror or error}.") from None
    except ValueError as error:
        raise Refused(f"{name}: {error}.") from None
    parsed = parse(source)
    known = {q.id for m in course.modules for item in m.lessons for q in item.quiz}
    known |= {q.id for bank in course.banks for q in bank.questions}
    converted = convert(parsed.items, args.language, known)
    problems = sorted(parsed.problems + converted.problems, key=lambda p: p.line)
    for problem in problems:
        print(_where(name, problem), file=sys.stderr)
    if problems and not args.skip:
        print(
            f"Found {len(problems)} questions the course cannot carry; nothing was written. "
            "Fix them, or pass --skip to leave them out.",
            file=sys.stderr,
        )
        return 1
    questions = [question for _, question in converted.questions]
    if not questions:
        raise Refused(f"{name} has no question to import.")
    placer = Placer(directory, course)
    fresh = [q.id for q in questions if q.id not in placer.where]
    if lesson is not None and len(lesson.quiz) + len(fresh) > QUIZ_MAX:
        raise Refused(
            f"Lesson {lesson.id} has {len(lesson.quiz)} questions; {len(fresh)} new ones would "
            f"make {len(lesson.quiz) + len(fresh)}, over the {QUIZ_MAX} a lesson's quiz may "
            "have. Import them into the module's bank instead (leave out --lesson)."
        )
    placement = placer.place(questions, module.id, lesson.id if lesson else None)
    lines = {question.id: item.line for item, question in converted.questions}
    found = _verify(directory, placement, lines, name)
    if found:
        for line in found:
            print(line, file=sys.stderr)
        print(
            f"With these questions the content would have {len(found)} problems; nothing was "
            "written.",
            file=sys.stderr,
        )
        return 1
    for rel, text in placement.texts.items():
        (directory / rel).parent.mkdir(parents=True, exist_ok=True)
        (directory / rel).write_text(text, encoding="utf-8")
    _report(args, name, placement, converted.notes, converted.copied, len(problems))
    return 0


def _report(
    args: argparse.Namespace,
    name: str,
    placement: Placement,
    notes: list[Problem],
    copied: int,
    skipped: int,
) -> None:
    for note in notes:
        print(_where(name, note) + " [note]")
    target = f"lesson {args.lesson}" if args.lesson else Placer.bank_file(args.module)
    print(
        f"Imported {name}: {len(placement.added)} new in {target}, "
        f"{len(placement.replaced)} replaced, {len(placement.unchanged)} unchanged"
        + (f", {skipped} left out." if skipped else ".")
    )
    for question_id, rel in placement.replaced:
        print(f"  replaced {question_id} in {rel}")
    if copied:
        other = ", ".join(lang for lang in LANGUAGES if lang != args.language)
        print(
            f"{copied} texts were in {args.language} only and were copied as the {other} "
            "text: translate them."
        )


def run(args: argparse.Namespace, content_dir: Path) -> int:
    """Dispatch import-gift and export-gift; a refusal is one clear line and exit code 1."""
    try:
        if args.content_command == "import-gift":
            return import_gift(args, content_dir)
        return export_gift(args, content_dir)
    except Refused as refused:
        print(refused, file=sys.stderr)
        return 1
