"""Certificates of completion: the register of issued certificates and their checks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models.base import Base


class Certificate(Base):
    """One certificate issued: what the verification page shows, and who issued it.

    The row outlives the participant (SET NULL): it is the issuer's register, so an erased
    participant's certificate can still be verified by its code (README, Privacy)."""

    __tablename__ = "certificates"
    # One certificate in force per person and course, even when a trainer issues one by hand
    # while the person asks for theirs (revoked ones and erased holders do not count).
    __table_args__ = (
        Index(
            "uq_certificates_in_force",
            "participant_id",
            "course_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What verification is asked with: random, never sequential (bot.domain.certificates).
    code: Mapped[str] = mapped_column(String(16), unique=True)
    # The register number printed on it, e.g. KK-2026-0007 (set once the row has its id).
    number: Mapped[str | None] = mapped_column(String(32), unique=True)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), index=True
    )
    cohort_id: Mapped[int | None] = mapped_column(
        ForeignKey("cohorts.id", ondelete="SET NULL"), index=True
    )
    course_id: Mapped[str] = mapped_column(String(24))
    holder_name: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(5))
    course_title: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The issuer as printed: {"institution": {lt, en}, "signatory": {"name", "title": {lt, en}}}.
    issuer: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The modules credited: [{"id", "title": {lt, en}, "hours"}] (hours 0: one total only).
    modules: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    hours: Mapped[int]
    started_on: Mapped[date]
    completed_on: Mapped[date]
    issued_at: Mapped[datetime]
    # Who issued it by hand, and why (None: earned and requested with /certificate).
    issued_by: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL")
    )
    reason: Mapped[str | None] = mapped_column(Text)
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL")
    )
    revoke_reason: Mapped[str | None] = mapped_column(Text)
