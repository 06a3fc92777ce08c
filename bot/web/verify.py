"""GET /verify/<code>: anyone checks a certificate without logging in.

The page says valid or revoked, with the holder's name, the course, the hours and the date,
and nothing else about the person. It is never cached or indexed, sends no referrer, and
runs no script (a strict Content-Security-Policy allows only its own inline style)."""

from __future__ import annotations

import base64
import hashlib
import html
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.db.models import Certificate
from bot.domain.certificates import normal_code
from bot.features.certificates import records
from bot.features.certificates.pdf import hours_text
from bot.kernel.i18n import Translations, Translator

PATH = "/verify/{code}"
STYLE = (
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;"
    "background:#f6f3ee;color:#1f2d3d}main{max-width:34rem;margin:0 auto;padding:1.5rem 1rem}"
    ".card{background:#fff;border-radius:12px;padding:1.25rem 1.25rem 1rem;"
    "box-shadow:0 1px 4px rgba(0,0,0,.08)}h1{font-size:1.35rem;margin:.2rem 0 1rem}"
    ".ok{color:#1b6e3a}.bad{color:#a31d1d}dl{margin:0}dt{font-size:.8rem;color:#5b6675;"
    "margin-top:.7rem}dd{margin:.1rem 0 0;font-size:1.05rem}footer{font-size:.85rem;"
    "color:#5b6675;margin-top:1rem}a{color:#8a5a00}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    ),
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex, nofollow",
}


class VerifyPage:
    """The verification page, in Lithuanian or English (?lang=, else the browser's choice)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        translations: Translations,
        zone: ZoneInfo,
    ) -> None:
        self._sessions = sessions
        self._translations = translations
        self._zone = zone

    def routes(self) -> list[Route]:
        """The page's address."""
        return [Route(PATH, self.endpoint, methods=["GET", "HEAD"])]

    def _language(self, request: Request) -> str:
        asked = request.query_params.get("lang", "")
        if asked in self._translations.languages:
            return asked
        accepted = request.headers.get("accept-language", "")
        for part in accepted.split(","):
            code = part.split(";")[0].strip().lower()[:2]
            if code in self._translations.languages:
                return code
        return self._translations.for_device(None)

    async def endpoint(self, request: Request) -> Response:
        """Look the code up and say what the register holds."""
        typed = str(request.path_params["code"])
        tr = self._translations.get(self._language(request))
        code = normal_code(typed)
        if code is None:
            return self._page(tr, None, typed, status=404)
        if code != typed:
            asked = request.query_params.get("lang", "")
            query = f"?lang={asked}" if asked in self._translations.languages else ""
            return RedirectResponse(f"/verify/{code}{query}", status_code=308)
        async with self._sessions() as session:
            certificate = await records.by_code(session, code)
        if certificate is None:
            return self._page(tr, None, code, status=404)
        return self._page(tr, certificate, code, status=200)

    def _date(self, moment: datetime) -> str:
        return moment.astimezone(self._zone).date().isoformat()

    def _page(
        self, tr: Translator, certificate: Certificate | None, code: str, *, status: int
    ) -> Response:
        esc = html.escape
        other = "en" if tr.language == "lt" else "lt"
        switch = {"lt": "Lietuviškai", "en": "In English"}[other]
        if certificate is None:
            title = tr.gettext("No certificate has this code")
            hint = tr.gettext("Check the letters and digits under the QR code:")
            body = f"<h1 class='bad'>❌ {esc(title)}</h1><p>{esc(hint)} <b>{esc(code[:40])}</b></p>"
        else:
            course = records.course_title(certificate, tr.language)
            if certificate.revoked_at is not None:
                title = tr.gettext("This certificate was revoked")
                head = f"<h1 class='bad'>❌ {esc(title)}</h1>"
                label = tr.gettext("Revoked on")
                revoked = f"<dt>{esc(label)}</dt><dd>{esc(self._date(certificate.revoked_at))}</dd>"
            else:
                title = tr.gettext("This certificate is valid")
                head = f"<h1 class='ok'>✅ {esc(title)}</h1>"
                revoked = ""
            fields = [
                (tr.gettext("Holder"), certificate.holder_name),
                (tr.gettext("Course"), course),
                (tr.gettext("Hours"), hours_text(tr, certificate.hours)),
                (tr.gettext("Issued on"), self._date(certificate.issued_at)),
                (tr.gettext("Number"), certificate.number or ""),
            ]
            rows = "".join(f"<dt>{esc(label)}</dt><dd>{esc(value)}</dd>" for label, value in fields)
            body = f"{head}<dl>{rows}{revoked}</dl>"
        footer = tr.gettext("Certificate check of the course register.")
        page = (
            f"<!doctype html><html lang='{tr.language}'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width,initial-scale=1'>"
            "<meta name='robots' content='noindex,nofollow'>"
            f"<title>{esc(title)}</title><style>{STYLE}</style></head><body><main>"
            f"<div class='card'>{body}</div><footer>"
            f"{esc(footer)} "
            f"<a href='?lang={other}'>{switch}</a></footer></main></body></html>"
        )
        return HTMLResponse(page, status_code=status, headers=HEADERS)
