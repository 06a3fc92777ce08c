"""One ASGI app (Starlette) for both platforms' webhooks, health and readiness."""

from bot.web.app import create_web_app

__all__ = ["create_web_app"]
