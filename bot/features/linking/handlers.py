"""/link: one person, one progress on Telegram and Messenger, joined with a one-time code."""

from __future__ import annotations

import dataclasses

from bot.domain.profile import Command
from bot.features.linking import codes as identities
from bot.features.linking.codes import LinkOutcome
from bot.kernel.context import Context, fill, menu_buttons
from bot.kernel.i18n import N_
from bot.kernel.messages import Message, Outbound
from bot.kernel.registry import Registry

_REFUSALS = {
    LinkOutcome.UNKNOWN: N_(
        "I don't know this code. Please check it, or get a new one with /link in the other app."
    ),
    LinkOutcome.EXPIRED: N_("This code has expired. Type /link in the other app to get a new one."),
    LinkOutcome.USED: N_(
        "This code has already been used. Type /link in the other app to get a new one."
    ),
    LinkOutcome.SAME: N_("This code is for your other app: send it there, not here 🙂"),
    LinkOutcome.SAME_CHANNEL: N_(
        "This code belongs to an account that already uses this app. "
        "Send it from the other app (Telegram or Messenger)."
    ),
    LinkOutcome.HAS_PROGRESS: N_(
        "You already have course progress here, so let's link the other way round: "
        "type /link here and send the code from the other app."
    ),
    LinkOutcome.BOTH_PROGRESS: N_(
        "Both accounts already have course progress, so I cannot join them by myself. "
        "Please ask the course coordinator for help."
    ),
}


async def link(ctx: Context, command: Command) -> list[Outbound]:
    """Give a link code, or join this account to the one that gave the code."""
    typed = command.args.strip()
    if typed:
        return await _redeem(ctx, typed)
    if ctx.participant.onboarded_at is None:
        return [
            Message(
                ctx._(
                    "Already taking the course in another app? Type /link there and send me "
                    "the code you get, like this: /link ABCD-EFGH\n\nNew here? Send /start."
                )
            )
        ]
    ttl = ctx.deps.link_code_ttl
    code = await identities.create_code(
        ctx.session, ctx.participant.id, ctx.inbound.channel, ctx.now, ttl
    )
    minutes = max(1, round(ttl.total_seconds() / 60))
    text = ctx.tr.ngettext(
        "🔗 Your link code: <b>{code}</b>\n\nOpen this bot in your other app (Telegram or "
        "Messenger) and send there:\n/link {code}\n\nThe code works once, for {count} minute. "
        "Your progress stays as it is.",
        "🔗 Your link code: <b>{code}</b>\n\nOpen this bot in your other app (Telegram or "
        "Messenger) and send there:\n/link {code}\n\nThe code works once, for {count} minutes. "
        "Your progress stays as it is.",
        minutes,
    )
    return [Message(fill(text, code=identities.format_code(code), count=minutes))]


async def _redeem(ctx: Context, typed: str) -> list[Outbound]:
    result = await identities.redeem_code(
        ctx.session, typed, ctx.participant, ctx.inbound.channel, ctx.now
    )
    if result.participant is None:
        return [Message(ctx._(_REFUSALS[result.outcome]))]
    ctx = dataclasses.replace(ctx, participant=result.participant)
    if result.participant.onboarded_at is None:
        text = ctx._("🔗 Linked! Both apps now lead to the same course. Send /start to go on.")
        return [Message(text)]
    text = fill(
        ctx._("🔗 Linked, {name}! Both apps now share your progress: go on where you left off."),
        name=result.participant.name or "",
    )
    return [Message(text, menu_buttons(ctx))]


def register(registry: Registry) -> None:
    """Add /link to the registry."""
    registry.command("link", N_("continue on Telegram and Messenger"), before_onboarding=True)(link)
