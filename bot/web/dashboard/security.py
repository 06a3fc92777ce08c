"""The dashboard's protections: security headers on every response, the session cookie, and
the CSRF check of every POST."""

from __future__ import annotations

import hmac

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "cc_dashboard"
LOGIN_CSRF_COOKIE = "cc_dashboard_login"
LANGUAGE_COOKIE = "cc_dashboard_lang"
MINI_APP_PATH = "/dashboard/app"
# Telegram's web client shows a Mini App in a frame; its apps use a webview of their own.
TELEGRAM_FRAMES = "https://web.telegram.org"

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {frames}"
)


def csrf_ok(expected: str, given: object) -> bool:
    """Whether a form's CSRF field matches the session's token (constant time)."""
    return (
        isinstance(given, str)
        and bool(expected)
        and hmac.compare_digest(given.encode(), expected.encode())
    )


class SecurityHeaders:
    """ASGI middleware: CSP, framing, no sniffing, no referrer, no caching of pages."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        mini_app = scope.get("path", "") == MINI_APP_PATH

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                frames = f"'self' {TELEGRAM_FRAMES}" if mini_app else "'none'"
                headers += [
                    (b"content-security-policy", POLICY.format(frames=frames).encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
                ]
                if not mini_app:
                    headers.append((b"x-frame-options", b"DENY"))
                if not any(name == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
