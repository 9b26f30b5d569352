"""Geometry of the maturity page's charts, computed here so the templates only draw them.

Both are inline SVG (no script, no library) on the 0–5 scale of the index, and both pages
give the same figures in a table next to them (WCAG 1.1.1): the picture never says alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

SCALE = 5.0  # the maturity index is on 0–5 (docs/maturity.md)

BAR_WIDTH = 640
LABEL_W = 220  # the theme names, left of the bars
BAR_RIGHT = 40
ROW_H = 30
BAR_H = 18
BAR_TOP = 8
BAR_BOTTOM = 24  # room for the 0–5 ticks


@dataclass(frozen=True, slots=True)
class ThemeBar:
    label: str
    index: float | None
    raw: float | None
    y: float  # top of the row's bar
    text_y: float  # baseline of the label
    width: float  # of the bar of the index (0 when nothing applies)
    raw_width: float  # of the outline up to the raw average (wider than width when capped)
    capped: bool
    value_x: float  # where the figure is written, right of the bar and its outline


@dataclass(frozen=True, slots=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True, slots=True)
class ThemeBars:
    bars: tuple[ThemeBar, ...]
    ticks: tuple[Tick, ...]
    width: int
    height: int
    left: int
    right_edge: int
    top: int
    bottom_edge: int


def _x(value: float, left: float, span: float) -> float:
    return round(left + span * max(0.0, min(value, SCALE)) / SCALE, 1)


def theme_bars(rows: Sequence[tuple[str, float | None, float | None]]) -> ThemeBars:
    """One horizontal bar per theme: (label, index after caps, raw average before caps).
    A theme whose red flag caps it shows its raw average as an outline behind the bar."""
    span = BAR_WIDTH - LABEL_W - BAR_RIGHT
    bars = []
    for position, (label, index, raw) in enumerate(rows):
        top = BAR_TOP + position * ROW_H
        width = _x(index, 0, span) if index is not None else 0.0
        raw_width = _x(raw, 0, span) if raw is not None else 0.0
        bars.append(
            ThemeBar(
                label=label,
                index=index,
                raw=raw,
                y=top,
                text_y=top + BAR_H - 4,
                width=width,
                raw_width=max(raw_width, width),
                capped=index is not None and raw is not None and raw > index,
                value_x=round(LABEL_W + max(raw_width, width) + 6, 1),
            )
        )
    bottom = BAR_TOP + len(rows) * ROW_H
    ticks = tuple(Tick(_x(v, LABEL_W, span), str(v)) for v in range(int(SCALE) + 1))
    return ThemeBars(
        bars=tuple(bars),
        ticks=ticks,
        width=BAR_WIDTH,
        height=bottom + BAR_BOTTOM,
        left=LABEL_W,
        right_edge=BAR_WIDTH - BAR_RIGHT,
        top=BAR_TOP,
        bottom_edge=bottom,
    )


HIST_W = 640
HIST_H = 200
H_LEFT, H_RIGHT, H_TOP, H_BOTTOM = 40, 20, 12, 28


@dataclass(frozen=True, slots=True)
class HistoryDot:
    x: float
    y: float
    when: datetime
    index: float


@dataclass(frozen=True, slots=True)
class HistoryChart:
    dots: tuple[HistoryDot, ...]
    line: str  # the "points" attribute of the polyline
    gridlines: tuple[tuple[float, str], ...]  # (y, label) for 0…5
    width: int = HIST_W
    height: int = HIST_H
    left: int = H_LEFT
    right_edge: int = HIST_W - H_RIGHT
    top: int = H_TOP
    bottom_edge: int = HIST_H - H_BOTTOM


def history_chart(points: Sequence[tuple[datetime, float | None]]) -> HistoryChart | None:
    """The index over time, oldest on the left; None with fewer than two scored points (a
    single dot says nothing a sentence does not say better)."""
    scored = [(when, index) for when, index in points if index is not None]
    if len(scored) < 2:
        return None
    plot_w = HIST_W - H_LEFT - H_RIGHT
    plot_h = HIST_H - H_TOP - H_BOTTOM
    slot = plot_w / len(scored)
    dots = tuple(
        HistoryDot(
            round(H_LEFT + slot * (position + 0.5), 1),
            round(H_TOP + plot_h * (1 - min(index, SCALE) / SCALE), 1),
            when,
            index,
        )
        for position, (when, index) in enumerate(scored)
    )
    grid = tuple(
        (round(H_TOP + plot_h * (1 - v / SCALE), 1), str(v)) for v in range(int(SCALE) + 1)
    )
    return HistoryChart(dots, " ".join(f"{d.x},{d.y}" for d in dots), grid)
