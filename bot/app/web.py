"""Webhook mode: the web app wired to Telegram and Messenger, served by uvicorn."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import httpx
import uvicorn
from sqlalchemy import select
from starlette.applications import Starlette

from bot.app.channels import telegram_channel
from bot.app.core import App, keep_startup_objects
from bot.channels.messenger.adapter import MessengerChannel, MessengerSender
from bot.channels.messenger.api import MessengerAPI
from bot.db import audit_log
from bot.db.models import ChannelIdentity, DashboardSession, Participant
from bot.features.dashboard_access import signin
from bot.features.dashboard_access.handlers import sign_in_link
from bot.web.app import Hook, create_web_app
from bot.web.dashboard.config import DashboardConfig
from bot.web.dashboard.pages import dashboard_routes
from bot.web.messenger import MessengerWebhook
from bot.web.telegram import PATH as TELEGRAM_PATH
from bot.web.telegram import TelegramWebhook, derive_secret
from bot.web.verify import VerifyPage

log = logging.getLogger("bot.web")
NOTICE_INTERVAL_SECONDS = 600.0


@dataclass
class WebParts:
    """The web app and the Messenger pieces the outbox may send through."""

    web: Starlette
    telegram: TelegramWebhook | None
    messenger_sender: MessengerSender | None


def messenger_api(app: App, client: httpx.AsyncClient) -> MessengerAPI:
    """The Send API client of this app (the Messenger settings must be complete)."""
    token = app.settings.messenger_page_access_token
    if token is None:
        raise ValueError("MESSENGER_PAGE_ACCESS_TOKEN is not set")
    return MessengerAPI(
        client,
        base_url=app.settings.messenger_api_base_url,
        page_access_token=token.get_secret_value(),
    )


def dashboard_config(app: App, console_admins: Sequence[str] = ()) -> DashboardConfig:
    """The dashboard's view of the app (issue 17)."""
    settings = app.settings
    token = settings.telegram_bot_token
    return DashboardConfig(
        sessions=app.sessions,
        content=app.content,
        translations=app.translations,
        clock=app.clock,
        zone=settings.zone,
        admin_telegram_ids=settings.admin_telegram_ids,
        console_admins=frozenset(console_admins),
        bot_token=token.get_secret_value() if token is not None else None,
        session_lifetime=timedelta(hours=settings.dashboard_session_hours),
        secure_cookies=settings.dashboard_url.startswith("https://"),
    )


async def dashboard_link(app: App, participant_id: int) -> str | None:
    """A one-time sign-in link for a participant who holds a dashboard role (for an operator:
    `python -m bot dashboard-link`); None if there is no such participant or no such role.
    The link is tied to their Telegram account if they have one (so ADMIN_TELEGRAM_IDS
    count), else to their first chat account."""
    now = app.clock.now()
    async with app.sessions() as session, session.begin():
        participant = await session.get(Participant, participant_id)
        if participant is None:
            return None
        accounts = sorted(
            await session.scalars(
                select(ChannelIdentity).where(ChannelIdentity.participant_id == participant_id)
            ),
            key=lambda identity: (identity.channel != "telegram", identity.id),
        )
        channel, external = (
            (accounts[0].channel, accounts[0].external_id) if accounts else ("cli", "")
        )
        probe = DashboardSession(
            participant_id=participant_id, channel=channel, external_id=external
        )
        _, roles = await signin.session_roles(session, dashboard_config(app), probe)
        if not signin.may_open(roles):
            return None
        ttl = timedelta(minutes=app.settings.dashboard_link_minutes)
        token = await signin.create_link_token(session, participant_id, channel, external, now, ttl)
        await audit_log.record(
            session,
            None,
            "dashboard.link",
            now,
            target=f"participant:{participant_id}",
            details={"via": "cli"},
        )
    return sign_in_link(app.settings.dashboard_url, token)


def build_web(
    app: App,
    client: httpx.AsyncClient,
    *,
    on_startup: Sequence[Hook] = (),
    on_shutdown: Sequence[Hook] = (),
    webhooks: bool = True,
    console_admins: Sequence[str] = (),
) -> WebParts:
    """The web app with the webhooks the settings allow (Telegram needs WEBHOOK_BASE_URL)
    and the dashboard; `webhooks=False`: the dashboard alone (python -m bot dashboard)."""
    settings = app.settings
    telegram: TelegramWebhook | None = None
    if webhooks and settings.telegram_bot_token is not None and settings.webhook_base_url:
        token = settings.telegram_bot_token.get_secret_value()
        secret = settings.webhook_secret
        telegram = TelegramWebhook(
            telegram_channel(app, webhook=True),
            url=settings.webhook_base_url + TELEGRAM_PATH,
            secret=secret.get_secret_value() if secret else derive_secret(token),
            max_body_bytes=settings.webhook_max_body_bytes,
        )
    messenger: MessengerWebhook | None = None
    sender: MessengerSender | None = None
    if webhooks and settings.messenger_enabled:
        assert settings.messenger_app_secret and settings.messenger_verify_token
        api = messenger_api(app, client)
        sender = MessengerSender(
            api, app.sessions, app.translations, tag=settings.messenger_message_tag
        )
        channel = MessengerChannel(
            app.dialogue,
            api,
            outbox=app.outbox,
            sender=sender,
            limiter=app.limiters.get("messenger"),
        )
        messenger = MessengerWebhook(
            channel,
            app_secret=settings.messenger_app_secret.get_secret_value(),
            verify_token=settings.messenger_verify_token.get_secret_value(),
            max_body_bytes=settings.webhook_max_body_bytes,
        )
    web = create_web_app(
        sessions=app.sessions,
        content=app.content,
        telegram=telegram,
        messenger=messenger,
        on_startup=on_startup,
        on_shutdown=on_shutdown,
        routes=[
            *VerifyPage(app.sessions, app.translations, settings.zone).routes(),
            *dashboard_routes(dashboard_config(app, console_admins)),
        ],
    )
    return WebParts(web, telegram, sender)


def add_messenger_notices(app: App, parts: WebParts) -> None:
    """Messenger's notices of waiting lessons as a periodic job (the channels registered
    their senders with the outbox when they were built)."""
    sender = parts.messenger_sender
    if sender is not None:

        async def send_notices() -> int:
            return await sender.send_waiting_notices(app.clock.now())

        app.jobs.add_periodic("messenger_notices", send_notices, NOTICE_INTERVAL_SECONDS)


async def _serve(web: Starlette, app: App) -> None:
    """Serve a web app on HOST:PORT until SIGINT or SIGTERM (uvicorn handles both)."""
    config = uvicorn.Config(
        web,
        host=app.settings.host,
        port=app.settings.port,
        lifespan="on",
        log_config=None,
        access_log=False,  # sign-in links carry a token: never in a log
        proxy_headers=True,
    )
    await uvicorn.Server(config).serve()


async def serve_dashboard(app: App, console_admins: Sequence[str] = ()) -> None:
    """`python -m bot dashboard`: the dashboard alone on HOST:PORT (next to a polling bot,
    whose outbox sends what the dashboard queues, such as a nudge)."""
    settings = app.settings
    async with httpx.AsyncClient(timeout=httpx.Timeout(20.0)) as client:
        parts = build_web(app, client, webhooks=False, console_admins=console_admins)
        keep_startup_objects()
        log.info("dashboard listening host=%s port=%s", settings.host, settings.port)
        await _serve(parts.web, app)


async def serve(app: App) -> None:
    """Serve the web app on HOST:PORT until SIGINT or SIGTERM (uvicorn handles both)."""
    settings = app.settings

    async def start_jobs() -> None:
        await app.start()

    async def stop_jobs() -> None:
        await app.jobs.stop()

    async with httpx.AsyncClient(timeout=httpx.Timeout(20.0)) as client:
        parts = build_web(app, client, on_startup=[start_jobs], on_shutdown=[stop_jobs])
        if parts.telegram is None and parts.messenger_sender is None:
            log.warning("webhook mode without a platform: set WEBHOOK_BASE_URL or MESSENGER_*")
        add_messenger_notices(app, parts)
        log.info("web app listening host=%s port=%s", settings.host, settings.port)
        await _serve(parts.web, app)
