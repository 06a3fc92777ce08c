"""Command line: run the bot, chat in a terminal, migrate the database, check the content."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from pydantic import ValidationError

from bot.config import Settings
from bot.content.loader import ContentError, load_course
from bot.db.migrate import upgrade
from bot.logs import configure_logging

log = logging.getLogger("bot")
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Culture Coach chatbot")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the Telegram bot (long polling)")
    chat = commands.add_parser("chat", help="try the course in this terminal, no token needed")
    chat.add_argument(
        "--user", default="local", help="who you are in the terminal (default: local)"
    )
    chat.add_argument(
        "--admin", action="store_true", help="have the admin role in this terminal session"
    )
    commands.add_parser("migrate", help="upgrade the database to the newest schema")
    content = commands.add_parser("content", help="work with the course content")
    content_commands = content.add_subparsers(dest="content_command", required=True)
    check = content_commands.add_parser("check", help="validate the course YAML")
    check.add_argument("directory", nargs="?", type=Path, help="content directory")
    return parser


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        for item in error.errors():
            field = ".".join(str(part) for part in item["loc"]).upper()
            print(f"Setting {field}: {item['msg']}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None


def _content_errors(error: ContentError) -> None:
    print(f"The course content is invalid ({len(error.issues)} problem(s)):", file=sys.stderr)
    for issue in error.issues:
        print(f"  content/{issue}", file=sys.stderr)


async def _run(settings: Settings) -> None:
    from bot.app import build_app, telegram_channel

    app = await build_app(settings)
    channel = telegram_channel(app)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await channel.run_polling(stop)
    finally:
        await app.aclose()
        log.info("stopped")


async def _chat(settings: Settings, user: str, admin: bool = False) -> None:
    from bot.app import build_app, console_channel

    app = await build_app(settings, console_admins=[user] if admin else [])
    try:
        await console_channel(app, user).run()
    finally:
        await app.aclose()


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m bot` and the `culture-coach` script."""
    args = _parser().parse_args(argv)
    settings = _settings()
    secrets = (
        [settings.telegram_bot_token.get_secret_value()] if settings.telegram_bot_token else []
    )
    configure_logging(settings.log_level if args.command != "chat" else "WARNING", secrets)
    try:
        if args.command == "run":
            if settings.telegram_bot_token is None:
                print(
                    "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather in Telegram, "
                    "or try the course in this terminal with `python -m bot chat`.",
                    file=sys.stderr,
                )
                return EXIT_USAGE
            asyncio.run(_run(settings))
        elif args.command == "chat":
            asyncio.run(_chat(settings, args.user, args.admin))
        elif args.command == "migrate":
            upgrade(settings.database_url)
            print("The database is up to date.")
        elif args.command == "content":
            course = load_course(args.directory or settings.content_dir)
            lessons = sum(len(module.lessons) for module in course.modules)
            print(f"Content OK: {len(course.modules)} module(s), {lessons} lesson(s).")
    except ContentError as error:
        _content_errors(error)
        return EXIT_USAGE if args.command != "content" else 1
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
