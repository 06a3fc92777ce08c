"""The web audit judges image formats as the lesson teaches: JPEG is right for photos; PNG,
GIF, BMP and TIFF photos are heavy; WebP and AVIF (also inside <picture>) are lighter still."""

from __future__ import annotations

from bot.domain.webpage import parse_html


def _modern(html: str) -> list[bool]:
    return [modern for _, _, modern in parse_html(html.encode(), "https://example.org/").images]


def test_jpeg_webp_avif_and_picture_sources_count_as_good_formats() -> None:
    page = (
        '<img src="a.jpg"><img src="b.JPEG"><img src="c.webp"><img src="d.avif">'
        '<picture><source type="image/webp" srcset="e.webp"><img src="e.png"></picture>'
    )
    assert _modern(page) == [True, True, True, True, True]


def test_png_gif_bmp_and_tiff_photos_are_heavy() -> None:
    page = '<img src="a.png"><img src="b.gif"><img src="c.bmp"><img src="d.tiff">'
    assert _modern(page) == [False, False, False, False]
