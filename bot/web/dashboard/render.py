"""The dashboard's Jinja2 templates, parsed once at start, and their translations: the same
gettext catalogues as the bot (bot/locales, the dashboard's strings in dashboard.po), given to
each page as `_()` and `ngettext()` with {name} placeholders like the rest of the code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape

from bot.kernel.i18n import Translator

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


class Pages:
    """Every template, compiled once."""

    def __init__(self, directory: Path = TEMPLATES) -> None:
        self._env = Environment(
            loader=FileSystemLoader(directory),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            auto_reload=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._templates: dict[str, Template] = {
            path.name: self._env.get_template(path.name) for path in directory.glob("*.html")
        }

    def render(self, name: str, tr: Translator, **values: Any) -> str:
        """A page in the reader's language."""

        def gettext(message: str, **kwargs: Any) -> str:
            text = tr.gettext(message)
            return text.format(**kwargs) if kwargs else text

        def ngettext(singular: str, plural: str, n: int, **kwargs: Any) -> str:
            return tr.ngettext(singular, plural, n).format(n=n, **kwargs)

        return self._templates[name].render(
            _=gettext, ngettext=ngettext, language=tr.language, **values
        )
