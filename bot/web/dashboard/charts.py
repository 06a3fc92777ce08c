"""Charts drawn on the server as inline SVG: no script, no CDN, readable at 360 px.

Colours and fonts come from the page's CSS classes (the Content-Security-Policy allows no
inline style); sizes are in a viewBox, so a chart scales to the width it is given."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from markupsafe import Markup


@dataclass(frozen=True)
class BarGroup:
    """One label with its two values (e.g. participants, and those active in 7 days)."""

    label: str
    first: int
    second: int


def bars(groups: list[BarGroup], first_name: str, second_name: str, title: str) -> Markup:
    """Horizontal paired bars, one group per row (labels never overlap on a phone)."""
    width, label_w, row_h, top = 320, 96, 30, 26
    height = top + row_h * len(groups) + 8
    top_value = max([1, *(max(g.first, g.second) for g in groups)])
    scale = (width - label_w - 34) / top_value
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<rect class="c1" x="0" y="4" width="10" height="10"/>'
        f'<text class="legend" x="14" y="13">{escape(first_name)}</text>',
        f'<rect class="c2" x="{width // 2}" y="4" width="10" height="10"/>'
        f'<text class="legend" x="{width // 2 + 14}" y="13">{escape(second_name)}</text>',
    ]
    for n, group in enumerate(groups):
        y = top + n * row_h
        parts.append(f'<text class="label" x="0" y="{y + 15}">{escape(group.label)}</text>')
        for k, (value, css) in enumerate(((group.first, "c1"), (group.second, "c2"))):
            bar_y = y + 3 + k * 12
            length = max(1.0, value * scale) if value else 0.0
            parts.append(
                f'<rect class="{css}" x="{label_w}" y="{bar_y}" width="{length:.1f}" height="10"/>'
                f'<text class="value" x="{label_w + length + 4:.1f}" y="{bar_y + 9}">{value}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def line(points: list[tuple[str, int]], title: str) -> Markup:
    """A line of values over labelled steps (weeks), with its points marked and numbered."""
    width, height, left, right, top, bottom = 320, 150, 24, 18, 14, 26
    top_value = max([1, *(value for _, value in points)])
    steps = max(1, len(points) - 1)
    inner_w, inner_h = width - left - right, height - top - bottom

    def xy(n: int, value: int) -> tuple[float, float]:
        return left + n * inner_w / steps, top + inner_h - value * inner_h / top_value

    coords = [xy(n, value) for n, (_, value) in enumerate(points)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line class="axis" x1="{left}" y1="{top + inner_h}" x2="{width - right}" '
        f'y2="{top + inner_h}"/>',
        f'<text class="value" x="0" y="{top + 4}">{top_value}</text>',
        f'<text class="value" x="0" y="{top + inner_h}">0</text>',
        f'<polyline class="line" points="{path}"/>',
    ]
    every = max(1, -(-len(points) // 5))  # at most five labels, the newest always
    last = len(points) - 1
    for n, ((label, value), (x, y)) in enumerate(zip(points, coords, strict=True)):
        parts.append(
            f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="3"><title>'
            f"{escape(label)}: {value}</title></circle>"
        )
        if (last - n) % every == 0:
            parts.append(f'<text class="tick" x="{x:.1f}" y="{height - 8}">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
