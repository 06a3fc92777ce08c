"""The dashboard's sign-ins: one-time login tokens and browser sessions, both stored hashed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models.base import Base

# Credentials: /mydata says they exist but never shows their values.
SECRET = {"secret": True}


class DashboardLoginToken(Base):
    """A one-time sign-in link (/dashboard/login/<token>): only the token's SHA-256 is kept;
    it works once, until expires_at. channel and external_id say which chat account asked
    for it (the configured admins are recognised by it)."""

    __tablename__ = "dashboard_login_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, info=SECRET)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class DashboardSession(Base):
    """A signed-in browser: the cookie's SHA-256, whose it is, its CSRF token, its end.
    The role is not stored: every request reads it again from role_grants and the settings."""

    __tablename__ = "dashboard_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, info=SECRET)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    csrf_token: Mapped[str] = mapped_column(String(64), info=SECRET)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    last_seen_at: Mapped[datetime]
