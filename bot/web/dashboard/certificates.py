"""The dashboard's Certificates page: the register, who could ask, who is still working."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import CourseIndex
from bot.db.models import Certificate, Cohort, Participant
from bot.features.certificates import records as certificate_records
from bot.features.certificates.texts import missing_text
from bot.kernel.i18n import Translator
from bot.kernel.labels import municipality_name
from bot.web.dashboard.views import PAGE_SIZE, local_time, page_span

CERTIFICATE_VIEWS = ("issued", "ready", "working")


@dataclass(frozen=True)
class CertificateRow:
    """One certificate of the register, as the page lists it."""

    certificate: Certificate
    group: str
    issued: str
    by: str
    valid: bool


@dataclass(frozen=True)
class PendingRow:
    """Someone without a certificate in force: ready to ask for it, or what they miss."""

    participant: Participant
    group: str
    municipality: str
    missing: list[str]


@dataclass(frozen=True)
class Certificates:
    """The Certificates page: counts, then one list (issued, ready or still working)."""

    valid: int
    revoked: int
    ready: int
    working: int
    issued: list[CertificateRow]
    pending: list[PendingRow]
    page: int
    pages: int


async def certificates(
    session: AsyncSession,
    tr: Translator,
    index: CourseIndex,
    zone: ZoneInfo,
    show: str,
    *,
    page: int = 0,
) -> Certificates:
    """The register and the people still without a certificate, one page of the chosen list."""
    rules = index.course.certificate
    if rules is None:
        return Certificates(0, 0, 0, 0, [], [], 0, 1)
    register = await certificate_records.register_of(session, index.course.id)
    waiting = await certificate_records.pending(session, index, rules)
    groups = {c.id: c.name for c in await session.scalars(select(Cohort))}
    ready = [p for p in waiting if p.ready]
    working = [p for p in waiting if not p.ready]
    chosen: list[Any] = register if show == "issued" else ready if show == "ready" else working
    page, pages = page_span(len(chosen), page)
    shown = chosen[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    issued_rows = [
        CertificateRow(
            c,
            groups.get(c.cohort_id or 0, ""),
            local_time(c.issued_at, zone),
            f"#{c.issued_by}" if c.issued_by else tr.gettext("criteria met"),
            c.revoked_at is None,
        )
        for c in (shown if show == "issued" else [])
    ]
    pending_rows = [
        PendingRow(
            p.participant,
            groups.get(p.participant.cohort_id or 0, ""),
            municipality_name(tr, p.participant.municipality),
            [missing_text(tr, index.course, item) for item in p.missing],
        )
        for p in (shown if show != "issued" else [])
    ]
    valid = sum(c.revoked_at is None for c in register)
    return Certificates(
        valid,
        len(register) - valid,
        len(ready),
        len(working),
        issued_rows,
        pending_rows,
        page,
        pages,
    )
