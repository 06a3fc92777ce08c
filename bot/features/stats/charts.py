"""Charts as PNG bytes, drawn headless (matplotlib's Agg canvas, no pyplot global state).

Drawing takes tens of milliseconds of CPU: callers run it in a thread (asyncio.to_thread)."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


@dataclass(frozen=True)
class ChartText:
    """The chart's words, already translated."""

    title: str
    participants: str
    active: str
    progress: str
    score: str
    count_axis: str
    percent_axis: str


@dataclass(frozen=True)
class Bar:
    """One municipality's bars."""

    label: str
    participants: int
    active: int
    progress: int
    score: int


def municipality_chart(bars: list[Bar], text: ChartText) -> bytes:
    """Two panels side by side: people (all, active) and percentages (progress, quiz score)."""
    figure = Figure(figsize=(10, 4.8), dpi=100)
    FigureCanvasAgg(figure)
    left, right = figure.subplots(1, 2)
    labels = [bar.label for bar in bars]
    positions = list(range(len(bars)))
    width = 0.38
    shifted = [x - width / 2 for x in positions], [x + width / 2 for x in positions]

    counts = (
        left.bar(shifted[0], [b.participants for b in bars], width, label=text.participants),
        left.bar(shifted[1], [b.active for b in bars], width, label=text.active),
    )
    for container in counts:
        left.bar_label(container, padding=2, fontsize=8)
    left.set_ylabel(text.count_axis)
    left.set_ylim(0, max([b.participants for b in bars] + [1]) * 1.2)

    percents = (
        right.bar(shifted[0], [b.progress for b in bars], width, label=text.progress),
        right.bar(shifted[1], [b.score for b in bars], width, label=text.score),
    )
    for container in percents:
        right.bar_label(container, padding=2, fontsize=8, fmt="%d%%")
    right.set_ylabel(text.percent_axis)
    right.set_ylim(0, 115)

    for axes in (left, right):
        axes.set_xticks(positions, labels, rotation=30, ha="right", fontsize=9)
        axes.legend(fontsize=8, loc="upper left")
        axes.spines[["top", "right"]].set_visible(False)
    figure.suptitle(text.title)
    figure.tight_layout()
    buffer = BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
