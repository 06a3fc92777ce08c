"""/dashboard (trainers, coordinators, admins): a one-time sign-in link to the course
dashboard, and on Telegram, when the dashboard has a public https:// address, a button that
opens it as a Mini App."""

from __future__ import annotations

from bot.domain.profile import Command
from bot.features.dashboard_access.signin import LOGIN_PATH, create_link_token
from bot.kernel.context import Context, fill, rows
from bot.kernel.i18n import N_
from bot.kernel.messages import Button, Message, Outbound
from bot.kernel.registry import COORDINATOR, TRAINER, Registry
from bot.kernel.widgets import record

APP_PATH = "/dashboard/app"


def sign_in_link(base_url: str, token: str) -> str:
    """The address of a one-time sign-in link."""
    return f"{base_url}{LOGIN_PATH}{token}"


async def open_dashboard(ctx: Context, command: Command) -> list[Outbound]:
    """A fresh one-time link (the older one stops working), and the Mini App button."""
    ttl = ctx.deps.dashboard_link_ttl
    token = await create_link_token(
        ctx.session, ctx.participant.id, ctx.inbound.channel, ctx.inbound.user_id, ctx.now, ttl
    )
    await record(ctx, "dashboard.link")
    base = ctx.deps.dashboard_url
    minutes = max(1, round(ttl.total_seconds() / 60))
    text = fill(
        ctx._(
            "📋 <b>Course dashboard</b>\n\nYour sign-in link works once, for {minutes} min; "
            "do not pass it on:\n{link}"
        ),
        minutes=minutes,
        link=sign_in_link(base, token),
    )
    buttons: tuple[tuple[Button, ...], ...] = ()
    if base.startswith("https://") and ctx.inbound.channel == "telegram":
        text += "\n\n" + ctx._("Or open it right here in Telegram:")
        buttons = rows(Button(ctx._("📋 Open the dashboard"), url=base + APP_PATH, web_app=True))
    return [Message(text, buttons)]


def register(registry: Registry) -> None:
    """Add /dashboard."""
    registry.command(
        "dashboard", N_("the course dashboard in a browser"), roles={TRAINER, COORDINATOR}
    )(open_dashboard)
