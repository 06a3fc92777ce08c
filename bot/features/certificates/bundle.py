"""A group's certificates for the coordinator: one ZIP of PDFs and the register as XLSX."""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass
from io import BytesIO
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from bot.db.models import Certificate
from bot.features.certificates.pdf import Holder, filename, render
from bot.kernel.i18n import N_, Translator

COLUMNS = (
    N_("Number"),
    N_("Code"),
    N_("Holder"),
    N_("Institution"),
    N_("Municipality"),
    N_("Hours"),
    N_("Started"),
    N_("Completed"),
    N_("Issued"),
    N_("Issued by"),
    N_("Reason"),
    N_("Status"),
    N_("Revoked"),
    N_("Reason for revoking"),
)
WIDTHS = (16, 17, 28, 32, 14, 8, 12, 12, 18, 14, 30, 12, 18, 30)


@dataclass(frozen=True)
class Item:
    """One certificate with its holder's details and language."""

    certificate: Certificate
    holder: Holder
    tr: Translator


def slug(text: str) -> str:
    """A file-name-safe ASCII form of a group's name ("Utenos grupė" -> "utenos-grupe")."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") or "certificates"


def _row(item: Item, tr: Translator, zone: ZoneInfo) -> list[object]:
    certificate = item.certificate

    def local(moment: object) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""  # type: ignore[attr-defined]

    revoked = certificate.revoked_at is not None
    return [
        certificate.number or "",
        certificate.code,
        certificate.holder_name,
        item.holder.institution,
        item.holder.municipality,
        certificate.hours,
        certificate.started_on.isoformat(),
        certificate.completed_on.isoformat(),
        local(certificate.issued_at),
        f"#{certificate.issued_by}" if certificate.issued_by else tr.gettext("criteria met"),
        certificate.reason or "",
        tr.gettext("revoked") if revoked else tr.gettext("valid"),
        local(certificate.revoked_at),
        certificate.revoke_reason or "",
    ]


def register_xlsx(items: list[Item], tr: Translator, zone: ZoneInfo) -> bytes:
    """The register of numbers issued: one row per certificate, revoked ones included."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = tr.gettext("Certificates")[:31]
    sheet.append([tr.gettext(column) for column in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for item in items:
        sheet.append(_row(item, tr, zone))
    for number, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = width
    sheet.freeze_panes = "A2"
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def build(items: list[Item], tr: Translator, zone: ZoneInfo, base_url: str) -> tuple[bytes, bytes]:
    """The ZIP of valid certificates' PDFs and the register (XLSX) of all of them."""
    archive = BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for item in items:
            if item.certificate.revoked_at is None:
                pdf = render(item.certificate, item.holder, item.tr, base_url)
                bundle.writestr(filename(item.tr, item.certificate), pdf)
    return archive.getvalue(), register_xlsx(items, tr, zone)
