"""Command line: run the bot, chat in a terminal, serve the dashboard, migrate the database,
check the content."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from pydantic import ValidationError

from bot.app import build_app, console_channel, telegram_channel
from bot.app.web import dashboard_link, serve, serve_dashboard
from bot.config import Settings
from bot.content import cli as content_cli
from bot.content.loader import ContentError
from bot.db.migrate import upgrade
from bot.logs import configure_logging
from bot.preview import preview

log = logging.getLogger("bot")
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Culture Coach chatbot")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the bot (Telegram long polling by default)")
    run.add_argument(
        "--webhook",
        action="store_true",
        help="serve webhooks for Telegram and Messenger (also when WEBHOOK_BASE_URL is set)",
    )
    chat = commands.add_parser("chat", help="try the course in this terminal, no token needed")
    chat.add_argument(
        "--user", default="local", help="who you are in the terminal (default: local)"
    )
    chat.add_argument(
        "--admin", action="store_true", help="have the admin role in this terminal session"
    )
    chat.add_argument(
        "--lesson",
        metavar="ID",
        help="preview one lesson: start at it on a throwaway database, without onboarding",
    )
    chat.add_argument("--language", choices=("lt", "en"), help="the preview participant's language")
    dashboard = commands.add_parser(
        "dashboard", help="serve the course dashboard on HOST:PORT (next to a polling bot)"
    )
    dashboard.add_argument(
        "--console-admin",
        metavar="NAME",
        action="append",
        default=[],
        help="a terminal user (python -m bot chat --user NAME) who is an admin here too",
    )
    link = commands.add_parser(
        "dashboard-link", help="print a one-time sign-in link to the dashboard for someone"
    )
    link.add_argument(
        "--participant",
        metavar="ID",
        type=int,
        required=True,
        help="the participant's number (#ID in /participants); they need a dashboard role",
    )
    commands.add_parser("migrate", help="upgrade the database to the newest schema")
    content = commands.add_parser("content", help="work with the course content")
    content_cli.add_commands(content)
    return parser


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        for item in error.errors():
            field = ".".join(str(part) for part in item["loc"]).upper()
            print(f"Setting {field}: {item['msg']}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None


def _content_errors(error: ContentError, directory: Path) -> None:
    print("The course content is invalid; nothing was started:", file=sys.stderr)
    content_cli.print_issues(error.issues, directory, sys.stderr)
    print(f"Check it with `python -m bot content check {directory}`.", file=sys.stderr)


async def _run(settings: Settings) -> None:
    app = await build_app(settings)
    channel = telegram_channel(app)  # registers its sender with the outbox
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await app.start()
        await channel.run_polling(stop)
    finally:
        await app.aclose()
        log.info("stopped")


def _run_webhook(settings: Settings) -> int:
    if settings.telegram_bot_token is not None and not settings.webhook_base_url:
        print(
            "WEBHOOK_BASE_URL is not set: Telegram needs the public https:// address of this "
            "server (for example https://coach.example.org).",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if settings.telegram_bot_token is None and not settings.messenger_enabled:
        print(
            "Webhook mode needs TELEGRAM_BOT_TOKEN (with WEBHOOK_BASE_URL) or the three "
            "MESSENGER_* secrets (app secret, verify token, page access token).",
            file=sys.stderr,
        )
        return EXIT_USAGE
    asyncio.run(_serve(settings))
    return 0


async def _serve(settings: Settings) -> None:
    app = await build_app(settings)
    try:
        await serve(app)
    finally:
        await app.aclose()
        log.info("stopped")


async def _dashboard(settings: Settings, console_admins: list[str]) -> None:
    app = await build_app(settings)
    try:
        await serve_dashboard(app, console_admins)
    finally:
        await app.aclose()


async def _dashboard_link(settings: Settings, participant_id: int) -> int:
    app = await build_app(settings)
    try:
        link = await dashboard_link(app, participant_id)
    finally:
        await app.aclose()
    if link is None:
        print(
            f"Participant {participant_id} does not exist or holds no trainer, coordinator "
            "or admin role (give one with /grant).",
            file=sys.stderr,
        )
        return EXIT_USAGE
    minutes = settings.dashboard_link_minutes
    print(f"One-time sign-in link (works once, for {minutes} min):\n{link}")
    return 0


async def _chat(settings: Settings, user: str, admin: bool = False) -> None:
    app = await build_app(settings, console_admins=[user] if admin else [])
    try:
        chat = console_channel(app, user)
        await app.start()  # the outbox delivers reports, reminders and broadcasts here too
        await chat.run()
    finally:
        await app.aclose()


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m bot` and the `culture-coach` script."""
    args = _parser().parse_args(argv)
    settings = _settings()
    secrets = settings.secrets()
    quiet = args.command in ("chat", "dashboard-link")
    configure_logging("WARNING" if quiet else settings.log_level, secrets)
    try:
        if args.command == "run" and (args.webhook or settings.webhook_base_url):
            return _run_webhook(settings)
        if args.command == "run":
            if settings.telegram_bot_token is None:
                print(
                    "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather in Telegram, "
                    "or try the course in this terminal with `python -m bot chat`.",
                    file=sys.stderr,
                )
                return EXIT_USAGE
            asyncio.run(_run(settings))
        elif args.command == "chat" and args.lesson:
            return asyncio.run(
                preview(
                    settings, args.lesson, user=args.user, admin=args.admin, language=args.language
                )
            )
        elif args.command == "chat":
            asyncio.run(_chat(settings, args.user, args.admin))
        elif args.command == "dashboard":
            asyncio.run(_dashboard(settings, args.console_admin))
        elif args.command == "dashboard-link":
            return asyncio.run(_dashboard_link(settings, args.participant))
        elif args.command == "migrate":
            upgrade(settings.database_url)
            print("The database is up to date.")
        elif args.command == "content":
            return content_cli.run(args, settings.content_dir)
    except ContentError as error:
        _content_errors(error, settings.content_dir)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
