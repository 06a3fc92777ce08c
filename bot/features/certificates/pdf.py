"""The certificate as a one-page PDF (A4, landscape) with an embedded Unicode font.

DejaVu Sans (shipped inside matplotlib, a dependency already) covers every Lithuanian letter;
reportlab embeds the subset used, so the PDF looks the same on any phone or printer. The QR
code leads to the verification page; the short code under it works in the bot's /verify."""

from __future__ import annotations

import html
import importlib.util
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.dates import format_date
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

from bot.db.models import Certificate
from bot.features.certificates.records import course_title as course_title_of
from bot.kernel.i18n import N_, Translator

REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
INK = colors.HexColor("#1f2d3d")
ACCENT = colors.HexColor("#8a5a00")
MUTED = colors.HexColor("#5b6675")

TITLE = N_("Certificate of professional development")
NUMBER = N_("No. {number}")
ISSUED = N_("Issued on {date}")
CERTIFIES = N_("This certifies that")
COMPLETED = N_("from {start} to {end} completed the professional development programme")
MODULES = N_("Modules")
CHECK_ONLINE = N_("To check this certificate, scan the QR code or open:")
CHECK_IN_BOT = N_("In the bot: /verify {code}")
CODE = N_("Verification code: {code}")


@dataclass(frozen=True)
class Holder:
    """What the certificate says about its holder besides the name (read at render time)."""

    institution: str = ""
    municipality: str = ""


@cache
def _fonts() -> tuple[str, str]:
    """Register DejaVu Sans and its bold face from matplotlib's own font files, once."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("matplotlib is not installed: its DejaVu fonts draw the certificate")
    folder = Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(REGULAR, str(folder / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(folder / "DejaVuSans-Bold.ttf")))
    return REGULAR, BOLD


def _date(value: object, language: str) -> str:
    return format_date(value, format="long", locale=language)  # type: ignore[arg-type]


def hours_text(tr: Translator, hours: int) -> str:
    """'40 academic hours' in the certificate's language."""
    return tr.ngettext("{n} academic hour", "{n} academic hours", hours).format(n=hours)


def filename(tr: Translator, certificate: Certificate) -> str:
    """The PDF's file name, e.g. pazymejimas-KK-2026-0007.pdf."""
    return tr.gettext("certificate-{number}.pdf").format(number=certificate.number or "")


def verify_url(base_url: str, code: str) -> str:
    """The verification page of a code (empty without a public address)."""
    return f"{base_url.rstrip('/')}/verify/{code}" if base_url else ""


def _paragraph(
    canvas: Canvas, text: str, style: ParagraphStyle, x: float, top: float, width: float
) -> float:
    """Draw wrapped text with its top at `top`; returns the y under it."""
    paragraph = Paragraph(text, style)
    _, height = paragraph.wrap(width, 200 * mm)
    paragraph.drawOn(canvas, x, top - height)
    return float(top - height)


def render(certificate: Certificate, holder: Holder, tr: Translator, base_url: str = "") -> bytes:
    """The certificate, in its holder's language, as PDF bytes."""
    regular, bold = _fonts()
    language = tr.language
    buffer = BytesIO()
    width, height = landscape(A4)
    canvas = Canvas(buffer, pagesize=(width, height), pageCompression=1, initialFontName=regular)
    title_text = tr.gettext(TITLE)
    course_title = course_title_of(certificate, language)
    institution = certificate.issuer.get("institution", {}).get(language, "")
    canvas.setTitle(f"{title_text} {certificate.number or ''}".strip())
    canvas.setAuthor(institution)
    canvas.setSubject(course_title)
    canvas.setCreator("Culture Coach")

    # A double frame.
    canvas.setStrokeColor(ACCENT)
    canvas.setLineWidth(2.2)
    canvas.rect(10 * mm, 10 * mm, width - 20 * mm, height - 20 * mm)
    canvas.setLineWidth(0.6)
    canvas.rect(13 * mm, 13 * mm, width - 26 * mm, height - 26 * mm)

    center = ParagraphStyle(
        "center", fontName=regular, fontSize=12, leading=16, alignment=TA_CENTER, textColor=INK
    )
    left = ParagraphStyle("left", parent=center, alignment=TA_LEFT, fontSize=10, leading=13)
    margin = 28 * mm
    inner = width - 2 * margin
    y = height - 24 * mm
    y = _paragraph(
        canvas,
        html.escape(institution).upper(),
        ParagraphStyle("issuer", parent=center, fontName=bold, fontSize=13, textColor=MUTED),
        margin,
        y,
        inner,
    )
    y = _paragraph(
        canvas,
        html.escape(title_text).upper(),
        ParagraphStyle(
            "title", parent=center, fontName=bold, fontSize=24, leading=30, textColor=ACCENT
        ),
        margin,
        y - 6 * mm,
        inner,
    )
    issued_on = _date(certificate.issued_at.date(), language)
    line = " · ".join(
        [
            tr.gettext(NUMBER).format(number=html.escape(certificate.number or "")),
            tr.gettext(ISSUED).format(date=html.escape(issued_on)),
        ]
    )
    y = _paragraph(
        canvas,
        line,
        ParagraphStyle("no", parent=center, fontSize=10, textColor=MUTED),
        margin,
        y - 2 * mm,
        inner,
    )
    y = _paragraph(canvas, html.escape(tr.gettext(CERTIFIES)), center, margin, y - 7 * mm, inner)
    y = _paragraph(
        canvas,
        html.escape(certificate.holder_name),
        ParagraphStyle("name", parent=center, fontName=bold, fontSize=26, leading=32),
        margin,
        y - 3 * mm,
        inner,
    )
    workplace = ", ".join(part for part in (holder.institution, holder.municipality) if part)
    if workplace:
        y = _paragraph(canvas, html.escape(workplace), center, margin, y - 1 * mm, inner)
    completed = tr.gettext(COMPLETED).format(
        start=html.escape(_date(certificate.started_on, language)),
        end=html.escape(_date(certificate.completed_on, language)),
    )
    y = _paragraph(canvas, completed, center, margin, y - 5 * mm, inner)
    quoted = tr.gettext("“{title}”").format(title=html.escape(course_title))
    y = _paragraph(
        canvas,
        f"<b>{quoted}</b> ({html.escape(hours_text(tr, certificate.hours))})",
        ParagraphStyle("course", parent=center, fontName=bold, fontSize=14, leading=18),
        margin,
        y - 2 * mm,
        inner,
    )

    # Modules on the left, the check on the right, the signature at the bottom.
    column_top = y - 7 * mm
    lines = [f"<font name='{bold}'>{html.escape(tr.gettext(MODULES))}</font>"]
    for number, module in enumerate(certificate.modules, start=1):
        title = html.escape(module.get("title", {}).get(language, module.get("id", "")))
        hours = int(module.get("hours") or 0)
        suffix = f" – {html.escape(hours_text(tr, hours))}" if hours else ""
        lines.append(f"{number}. {title}{suffix}")
    _paragraph(canvas, "<br/>".join(lines), left, margin, column_top, inner * 0.62)

    url = verify_url(base_url, certificate.code)
    qr_size = 30 * mm
    qr_x = width - margin - qr_size
    qr_y = column_top - qr_size
    target = url or certificate.code
    widget = QrCodeWidget(target, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(
        qr_size, qr_size, transform=[qr_size / (x1 - x0), 0, 0, qr_size / (y1 - y0), 0, 0]
    )
    drawing.initialFontName = regular  # no standard (unembedded) PDF font anywhere
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, qr_x, qr_y)
    small = ParagraphStyle("small", parent=left, fontSize=8, leading=10, textColor=MUTED)
    check = [tr.gettext(CODE).format(code=f"<font name='{bold}'>{certificate.code}</font>")]
    if url:
        check += [html.escape(tr.gettext(CHECK_ONLINE)), html.escape(url)]
    check.append(tr.gettext(CHECK_IN_BOT).format(code=certificate.code))
    check_width = 78 * mm
    _paragraph(
        canvas,
        "<br/>".join(check),
        small,
        width - margin - check_width - qr_size - 4 * mm,
        column_top,
        check_width,
    )

    signatory = certificate.issuer.get("signatory", {})
    sign_y = 30 * mm
    canvas.setStrokeColor(INK)
    canvas.setLineWidth(0.5)
    canvas.line(margin, sign_y, margin + 70 * mm, sign_y)
    canvas.setFillColor(INK)
    canvas.setFont(bold, 10)
    canvas.drawString(margin, sign_y - 5 * mm, str(signatory.get("name", "")))
    canvas.setFont(regular, 9)
    canvas.drawString(margin, sign_y - 9.5 * mm, str(signatory.get("title", {}).get(language, "")))
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
