"""The command line as an operator meets it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(
    args: list[str], cwd: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "CONTENT_DIR": str(ROOT / "content"),
        "DATABASE_URL": f"sqlite+aiosqlite:///{cwd / 'cli.db'}",
        **env,
    }
    environment.pop("TELEGRAM_BOT_TOKEN", None) if "TELEGRAM_BOT_TOKEN" not in env else None
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_run_without_a_token_says_where_to_get_one(tmp_path: Path) -> None:
    result = _run(["run"], tmp_path, TELEGRAM_BOT_TOKEN="")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "@BotFather" in result.stderr and "python -m bot chat" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_content_at_start_names_file_and_field(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    module = content / "modules" / "m1.yaml"
    module.write_text(
        module.read_text(encoding="utf-8").replace("competence: 1", "competence: seven"),
        encoding="utf-8",
    )
    result = _run(["run"], tmp_path, TELEGRAM_BOT_TOKEN="1:x", CONTENT_DIR=str(content))
    assert result.returncode == 2
    assert "content/modules/m1.yaml:3:13: competence:" in result.stderr
    assert "Traceback" not in result.stderr
    checked = _run(["content", "check", str(content)], tmp_path)
    assert checked.returncode == 1 and "m1.yaml:3:13" in checked.stderr


def test_bad_setting_is_named(tmp_path: Path) -> None:
    result = _run(["migrate"], tmp_path, TIMEZONE="Mars/Olympus")
    assert result.returncode == 2
    assert "TIMEZONE" in result.stderr and "Traceback" not in result.stderr


def test_migrate_then_chat_in_the_terminal(tmp_path: Path) -> None:
    assert _run(["migrate"], tmp_path).returncode == 0
    result = _run(["chat"], tmp_path, stdin="2\n1\nJane Doe\n6\nZarasai Library\n3\n08:00\n/quit\n")
    assert result.returncode == 0, result.stderr
    assert "[2] 🇬🇧 English" in result.stdout
    assert "Question 1 of" in result.stdout
    again = _run(["chat"], tmp_path, stdin="/progress\n")
    assert "Welcome back" in again.stdout and "Your progress" in again.stdout
