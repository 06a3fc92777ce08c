"""What is still missing for a certificate, in words (the bot's reply and the dashboard)."""

from __future__ import annotations

from bot.content.models import Course
from bot.domain.certificates import Missing
from bot.kernel.i18n import Translator


def missing_text(tr: Translator, course: Course, item: Missing) -> str:
    """One missing thing as plain text, e.g. "2 lessons of module 3 left"."""
    if item.kind == "lessons":
        module = next(
            (n for n, m in enumerate(course.modules, start=1) if m.id == item.module_id), 0
        )
        template = tr.ngettext(
            "{n} lesson of module {module} left", "{n} lessons of module {module} left", item.count
        )
        return template.format(n=item.count, module=module)
    if item.kind == "score":
        if item.current is None:
            return tr.gettext("an average quiz score of at least {needed}%").format(
                needed=item.needed
            )
        template = tr.gettext("an average quiz score of {needed}% (yours is {score}%)")
        return template.format(needed=item.needed, score=item.current)
    template = tr.ngettext(
        "{n} improvement idea with a step carried out",
        "{n} improvement ideas with a step carried out",
        item.count,
    )
    return template.format(n=item.count)
