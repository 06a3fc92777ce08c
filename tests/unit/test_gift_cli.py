"""`content import-gift` and `export-gift` on a copy of the course, never on content/ itself."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.content.loader import load_course

ROOT = Path(__file__).resolve().parents[2]
GIFT = ROOT / "tests" / "fixtures" / "gift"


@pytest.fixture
def course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "content"
    shutil.copytree(ROOT / "content", target)
    monkeypatch.setenv("CONTENT_DIR", str(target))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    return target


def files(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): p.read_text(encoding="utf-8")
        for p in sorted(directory.rglob("*.yaml"))
    }


def run(*args: str) -> int:
    return main(["content", *args])


def test_import_into_the_bank_is_idempotent_and_checks_clean(
    course: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = files(course)
    assert run("import-gift", str(GIFT / "moodle.gift"), "--module", "m1") == 0
    out = capsys.readouterr().out
    assert "Imported" in out and "12 new in banks/m1.yaml" in out
    assert "moodle.gift:43: (Sostinė) a short answer becomes an open question" in out
    assert "copied as the en text: translate them" in out
    after = files(course)
    assert {k: v for k, v in after.items() if k != "banks/m1.yaml"} == before
    assert after["banks/m1.yaml"].startswith("# yaml-language-server: $schema=../schema.json\n")
    loaded = load_course(course)
    assert len(loaded.bank("m1")) == 12 and loaded.bank("m2") == []
    assert run("check", str(course), "--strict") == 0
    assert "12 bank questions" in capsys.readouterr().out

    assert run("import-gift", str(GIFT / "moodle.gift"), "--module", "m1") == 0
    assert "0 new in banks/m1.yaml, 0 replaced, 12 unchanged" in capsys.readouterr().out
    assert files(course) == after


def test_what_cannot_be_carried_is_listed_and_nothing_written_unless_skip(
    course: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = files(course)
    name = str(GIFT / "unsupported.gift")
    assert run("import-gift", name, "--module", "m2") == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"{name}:5: (Poros) a matching question (=… -> …) is not carried"
    assert [line.split(":")[1] for line in err[:4]] == ["5", "11", "13", "15"]
    assert "nothing was written" in err[-1] and "--skip" in err[-1]
    assert files(course) == before
    assert run("import-gift", name, "--module", "m2", "--skip") == 0
    assert "1 new in banks/m2.yaml, 0 replaced, 0 unchanged, 4 left out." in capsys.readouterr().out
    assert next(q.id for q in load_course(course).bank("m2")).startswith("gera-")


def test_the_checker_refuses_for_the_file_at_its_gift_line(
    course: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = files(course)
    name = str(GIFT / "html_in_plain.gift")
    assert run("import-gift", name, "--module", "m1") == 1
    err = capsys.readouterr().err
    assert f"{name}:3: (zyme-" in err and "HTML is not formatted here" in err
    assert "nothing was written" in err
    assert files(course) == before


def test_import_into_a_lesson_keeps_the_rest_of_the_file(
    course: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = course / "modules" / "m2.yaml"
    before = module.read_text(encoding="utf-8")
    too_many = str(GIFT / "crlf_bom.gift")
    assert run("import-gift", too_many, "--module", "m2", "--lesson", "m2-persona") == 1
    err = capsys.readouterr().err
    assert "Lesson m2-persona has 3 questions; 2 new ones would make 5, over the 4" in err
    assert module.read_text(encoding="utf-8") == before
    assert run("import-gift", too_many, "--module", "m2", "--lesson", "m2-nothing") == 1
    assert "Module m2 has no lesson 'm2-nothing'; its lessons: m2-persona" in (
        capsys.readouterr().err
    )

    one = tmp_path / "one.gift"
    one.write_text("::Kam::Kam rašome įrašą?{=Žmogui#Taip.~Visiems#Ne.~Niekam#Ne.}\n", "utf-8")
    assert run("import-gift", str(one), "--module", "m2", "--lesson", "m2-persona") == 0
    after = module.read_text(encoding="utf-8")
    changes = [
        line for line in difflib.ndiff(before.splitlines(), after.splitlines()) if line[:1] in "+-?"
    ]
    assert changes and all(line.startswith("+ ") for line in changes)  # only added lines
    lessons = [item for m in load_course(course).modules for item in m.lessons]
    lesson = next(item for item in lessons if item.id == "m2-persona")
    assert len(lesson.quiz) == 4 and lesson.quiz[-1].id.startswith("kam-")
    assert run("import-gift", str(one), "--module", "m2", "--lesson", "m2-persona") == 0
    assert module.read_text(encoding="utf-8") == after


def test_export_then_import_gives_back_the_same_course(
    course: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("import-gift", str(GIFT / "multilang.gift"), "--module", "m1") == 0
    before = files(course)
    exported = tmp_path / "course.gift"
    assert run("export-gift", "-o", str(exported)) == 0
    assert "Wrote 98 questions" in capsys.readouterr().out
    text = exported.read_text(encoding="utf-8")
    assert "$CATEGORY: $course$/top/culture-coach/m1/m1-mobile\n" in text
    assert "$CATEGORY: $course$/top/culture-coach/m1/bank\n" in text
    assert '::m1-mobile-q1::[html]<span lang\\="lt" class\\="multilang">' in text
    for module in ("m1", "m4"):
        assert run("import-gift", str(exported), "--module", module) == 0
        assert "0 new in banks/" in capsys.readouterr().out
        assert files(course) == before

    # an edit made in Moodle comes back where the question lives, option ids kept
    edited = text.replace("Įstaigos istorija", "Įstaigos ilga istorija", 1)
    exported.write_text(edited, encoding="utf-8")
    assert run("import-gift", str(exported), "--module", "m3") == 0
    out = capsys.readouterr().out
    assert "1 replaced" in out and "replaced m1-mobile-q1 in modules/m1.yaml" in out
    original = load_course(ROOT / "content").modules[0].lessons[0].quiz[0]
    changed = load_course(course).modules[0].lessons[0].quiz[0]
    assert [o.id for o in changed.options] == [o.id for o in original.options]
    assert changed.options[0].text["lt"] == "Įstaigos ilga istorija"

    only = tmp_path / "m2.gift"
    assert run("export-gift", "--module", "m2", "-o", str(only)) == 0
    assert "/m1/" not in only.read_text(encoding="utf-8")
    assert run("export-gift", "--module", "m9", "-o", str(only)) == 1
    assert "There is no module 'm9'" in capsys.readouterr().err


def test_friendly_refusals(
    course: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("import-gift", str(tmp_path / "none.gift"), "--module", "m1") == 1
    assert "Cannot read" in capsys.readouterr().err
    latin = tmp_path / "latin.gift"
    latin.write_bytes("Klausimas\nKas yra ž?{T}".encode("cp1257"))
    assert run("import-gift", str(latin), "--module", "m1") == 1
    assert f"{latin}: line 2 is not UTF-8 text" in capsys.readouterr().err
    assert run("import-gift", str(GIFT / "moodle.gift"), "--module", "m9") == 1
    assert "There is no module 'm9'; the modules are m1, m2, m3, m4." in capsys.readouterr().err
