"""The Starlette app: webhooks of the platforms that are configured, health and readiness."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.content.loader import ContentStore
from bot.web import messenger as messenger_web
from bot.web import telegram as telegram_web
from bot.web.messenger import MessengerWebhook
from bot.web.telegram import TelegramWebhook

READY_TIMEOUT = 3.0
log = logging.getLogger("bot.web")
Hook = Callable[[], Awaitable[None]]


def create_web_app(
    *,
    sessions: async_sessionmaker[AsyncSession],
    content: ContentStore,
    telegram: TelegramWebhook | None = None,
    messenger: MessengerWebhook | None = None,
    on_startup: Sequence[Hook] = (),
    on_shutdown: Sequence[Hook] = (),
    routes: Sequence[BaseRoute] = (),
) -> Starlette:
    """The ASGI app; the platforms' webhooks start with it and stop with it.

    `routes` are the features' own pages (certificate checks, the dashboard), wired by bot.app."""

    async def healthz(request: Request) -> Response:
        """The process is alive."""
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        """The database answers and the course is loaded."""
        checks = {"database": await _database_ok(sessions), "content": _content_ok(content)}
        status = 200 if all(checks.values()) else 503
        return JSONResponse({"ready": status == 200, **checks}, status_code=status)

    routes = [Route("/healthz", healthz), Route("/readyz", readyz), *routes]
    if telegram is not None:
        routes.append(Route(telegram_web.PATH, telegram.endpoint, methods=["POST"]))
    if messenger is not None:
        routes.append(Route(messenger_web.PATH, messenger.verify, methods=["GET"]))
        routes.append(Route(messenger_web.PATH, messenger.receive, methods=["POST"]))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if telegram is not None:
            await telegram.start()
        for hook in on_startup:
            await hook()
        try:
            yield
        finally:
            for hook in on_shutdown:
                await hook()
            if telegram is not None:
                await telegram.stop()

    return Starlette(routes=routes, lifespan=lifespan)


async def _database_ok(sessions: async_sessionmaker[AsyncSession]) -> bool:
    try:
        async with asyncio.timeout(READY_TIMEOUT), sessions() as session:
            await session.execute(text("SELECT 1"))
    except Exception as error:
        log.warning("readiness: database unreachable: %r", error)
        return False
    return True


def _content_ok(content: ContentStore) -> bool:
    try:
        return bool(content.index.lessons)
    except Exception as error:
        log.warning("readiness: content not loaded: %r", error)
        return False
