"""Run Alembic migrations from code: `python -m bot migrate`, and automatically at start."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

SOURCE_ROOT = Path(__file__).resolve().parents[2]


def project_root() -> Path:
    """The folder with alembic.ini and migrations/: the source tree, or the current folder
    (for an installed package run from a checkout or the Docker image's /app)."""
    for candidate in (SOURCE_ROOT, Path.cwd()):
        if (candidate / "alembic.ini").is_file() and (candidate / "migrations").is_dir():
            return candidate
    raise FileNotFoundError(
        "alembic.ini and migrations/ not found: run the bot from the project folder"
    )


def alembic_config(database_url: str, *, configure_logging: bool = False) -> Config:
    """An Alembic Config for this project's migrations and the given database."""
    root = project_root()
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = configure_logging
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Upgrade the database to a revision (blocking; runs its own event loop)."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Downgrade the database to a revision (blocking)."""
    command.downgrade(alembic_config(database_url), revision)


async def upgrade_async(database_url: str) -> None:
    """Upgrade to head from inside a running event loop (in a worker thread)."""
    await asyncio.to_thread(upgrade, database_url)
