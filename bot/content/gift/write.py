"""The course's questions as GIFT that Moodle imports: a category per lesson and bank."""

from __future__ import annotations

from bot.content.gift.convert import FALSE_TEXT, TRUE_TEXT
from bot.content.gift.text import escape, multilang
from bot.content.models import Course, Question, QuestionType

FORMAT = "[html]"


def _weight(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".")


def _standard_true_false(question: Question) -> bool:
    ids = [option.id for option in question.options]
    texts = [option.text for option in question.options]
    return ids == ["true", "false"] and texts == [TRUE_TEXT, FALSE_TEXT]


def question_gift(question: Question) -> str:
    """One question: ::id::, its prompt, its answers with feedback, the explanation (####).

    Every text is HTML with one multilang span per language (Moodle's multi-language filter
    shows the learner's)."""
    head = f"::{escape(question.id)}::{FORMAT}{multilang(question.prompt)}"
    general = f"\t####{multilang(question.explanation)}\n"
    if question.type is QuestionType.OPEN:
        return f"{head}{{\n{general}}}\n"
    if question.type is QuestionType.TRUE_FALSE and _standard_true_false(question):
        true, false = question.options
        right, wrong = (true, false) if true.correct else (false, true)
        word = "TRUE" if true.correct else "FALSE"
        feedback = f"#{multilang(wrong.feedback)}#{multilang(right.feedback)}"
        return f"{head}{{{word}{feedback}\n{general}}}\n"
    lines = []
    correct = sum(option.correct for option in question.options)
    for option in question.options:
        if question.type is QuestionType.MULTIPLE:
            marker = f"~%{_weight(100 / correct)}%" if option.correct else "~%-100%"
        else:
            marker = "=" if option.correct else "~"
        lines.append(f"\t{marker}{multilang(option.text)}#{multilang(option.feedback)}\n")
    return f"{head}{{\n{''.join(lines)}{general}}}\n"


def course_gift(course: Course, module_id: str | None = None) -> str:
    """Every question of the course (or of one module): lessons' quizzes, then the bank."""
    parts = [
        f"// {course.id}: {course.title['en']}, written by `python -m bot content export-gift`.\n"
        "// Texts carry both languages as multilang spans: enable Moodle's multi-language\n"
        "// content filter. Question names are the course's ids: keep them to re-import.\n"
    ]
    for module in course.modules:
        if module_id is not None and module.id != module_id:
            continue
        groups = [(lesson.id, lesson.quiz) for lesson in module.lessons]
        groups.append(("bank", course.bank(module.id)))
        for name, questions in groups:
            if not questions:
                continue
            parts.append(f"$CATEGORY: $course$/top/{course.id}/{module.id}/{name}\n")
            parts.extend(question_gift(question) for question in questions)
    return "\n".join(parts)
