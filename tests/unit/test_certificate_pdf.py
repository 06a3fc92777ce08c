"""The certificate's PDF: every Lithuanian letter survives, from an embedded font."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader

from tests.fixtures.certificate import CODE, HOLDER_NAME, ROOT, draw_png, sample_pdf

CAPITALS = "ĄČĘĖĮŠŲŪŽ"


def _text(data: bytes) -> str:
    return " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages
    )


def test_the_name_keeps_its_diacritics_and_so_do_the_capitals() -> None:
    text = _text(sample_pdf("lt"))
    assert HOLDER_NAME in text
    shouting = f"{CAPITALS} {CAPITALS.lower()}"
    assert shouting in _text(sample_pdf("lt", name=shouting))
    assert "KVALIFIKACIJOS TOBULINIMO PAŽYMĖJIMAS" in text
    assert f"https://coach.example.org/verify/{CODE}".replace("-", "") in text.replace(
        "-", ""
    ).replace(" ", "")


def test_the_fonts_are_embedded_so_every_reader_shows_the_same_letters() -> None:
    reader = PdfReader(io.BytesIO(sample_pdf("en")))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    for font in fonts.values():
        font = font.get_object()
        descendant = (
            font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        )
        descriptor = descendant["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor, font["/BaseFont"]  # the TrueType program itself
    assert "CERTIFICATE OF PROFESSIONAL DEVELOPMENT" in _text(reader.stream.getvalue())


def test_the_readme_shows_a_sample_drawn_from_this_fixture(tmp_path: Path) -> None:
    picture = ROOT / "docs" / "certificate-sample.png"
    assert picture.is_file() and "docs/certificate-sample.png" in (ROOT / "README.md").read_text()
    draw_png(tmp_path / "sample.png")
    assert (tmp_path / "sample.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
