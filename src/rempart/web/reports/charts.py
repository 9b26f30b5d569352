"""Geometry of the report's two charts, computed here so the template only draws them.

Inline SVG (WeasyPrint renders it; no script), in the style of ``portal/charts.py``; each
chart's numbers are also printed in a table next to it (WCAG 1.1.1).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

SEVERITIES = ("critical", "high", "medium", "low", "info")
# The portal's severity colours; SVG fills are attributes (WeasyPrint ignores CSS "fill").
COLOURS = {
    "critical": "#7f1d1d",
    "high": "#b91c1c",
    "medium": "#c2410c",
    "low": "#a16207",
    "info": "#64748b",
}

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 36, 12, 10, 26
PLOT_W = WIDTH - LEFT - RIGHT
PLOT_H = HEIGHT - TOP - BOTTOM
MAX_BAR = 48


@dataclass(frozen=True, slots=True)
class Segment:
    severity: str
    x: float
    y: float
    width: float
    height: float

    @property
    def fill(self) -> str:
        return COLOURS.get(self.severity, COLOURS["info"])


@dataclass(frozen=True, slots=True)
class Column:
    when: datetime
    counts: tuple[tuple[str, int], ...]  # (severity, active findings), worst first
    total: int
    label_x: float


@dataclass(frozen=True, slots=True)
class SeverityChart:
    columns: tuple[Column, ...]
    segments: tuple[Segment, ...]
    top_value: int
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    top: int = TOP
    bottom_edge: int = HEIGHT - BOTTOM


def sample_dates(start: datetime, end: datetime, how_many: int = 6) -> list[datetime]:
    """``how_many`` dates from ``start`` to ``end`` inclusive (one when they are equal)."""
    if end <= start or how_many < 2:
        return [end]
    step = (end - start) / (how_many - 1)
    return [start + step * i for i in range(how_many - 1)] + [end]


def active_at(
    spans: Iterable[tuple[str, datetime, datetime | None]], dates: Sequence[datetime]
) -> list[dict[str, int]]:
    """For each date, the findings active then by severity: first seen on or before it and
    not yet fixed (``spans`` are (severity, first_seen, fixed_at or None))."""
    counts = [dict.fromkeys(SEVERITIES, 0) for _ in dates]
    for severity, first_seen, fixed_at in spans:
        for index, when in enumerate(dates):
            if first_seen <= when and (fixed_at is None or fixed_at > when):
                counts[index][severity if severity in counts[index] else "info"] += 1
    return counts


def severity_chart(dates: Sequence[datetime], counts: Sequence[dict[str, int]]) -> SeverityChart:
    slot = PLOT_W / max(1, len(dates))
    totals = [sum(c.values()) for c in counts]
    top_value = max([*totals, 1])
    columns: list[Column] = []
    segments: list[Segment] = []
    for index, (when, by_severity) in enumerate(zip(dates, counts, strict=True)):
        centre = LEFT + slot * (index + 0.5)
        width = min(slot * 0.6, MAX_BAR)
        base = TOP + PLOT_H
        # Stacked bottom-up from the least severe, so the worst sits on top where it shows.
        for severity in reversed(SEVERITIES):
            value = by_severity.get(severity, 0)
            if not value:
                continue
            height = PLOT_H * value / top_value
            base -= height
            segments.append(
                Segment(
                    severity,
                    round(centre - width / 2, 1),
                    round(base, 1),
                    round(width, 1),
                    round(height, 1),
                )
            )
        columns.append(
            Column(
                when,
                tuple((s, by_severity.get(s, 0)) for s in SEVERITIES),
                totals[index],
                round(centre, 1),
            )
        )
    return SeverityChart(tuple(columns), tuple(segments), top_value)


def findings_over_time(
    spans: list[tuple[str, datetime, datetime | None]], now: datetime, how_many: int = 6
) -> SeverityChart | None:
    """The stacked chart from the first finding's date to now; None with no finding at all."""
    if not spans:
        return None
    start = min(first for _s, first, _f in spans)
    # At least a week wide, so one day of findings still draws a readable axis.
    start = min(start, now - timedelta(days=7))
    dates = sample_dates(start, now, how_many)
    return severity_chart(dates, active_at(spans, dates))


# -- maturity by theme ----------------------------------------------------------------------

BAR_LEFT = 200  # room for the theme's name
BAR_RIGHT = 40
ROW_H = 22
SCALE_MAX = 5.0


@dataclass(frozen=True, slots=True)
class ThemeBar:
    title: str
    index: float | None
    cap: float | None  # the red-flag cap on this theme, drawn as a mark
    y: float
    width: float
    cap_x: float | None


@dataclass(frozen=True, slots=True)
class MaturityChart:
    bars: tuple[ThemeBar, ...]
    width: int
    height: int
    left: int = BAR_LEFT
    right_edge: int = WIDTH - BAR_RIGHT
    row_height: int = ROW_H
    ticks: tuple[tuple[int, float], ...] = ()


def maturity_chart(themes: Sequence[tuple[str, float | None, float | None]]) -> MaturityChart:
    """Horizontal bars 0–5, one per theme (title, index or None, red-flag cap or None)."""
    plot = WIDTH - BAR_LEFT - BAR_RIGHT
    bars = []
    for row, (title, index, cap) in enumerate(themes):
        width = plot * (index or 0.0) / SCALE_MAX
        cap_x = None if cap is None else round(BAR_LEFT + plot * cap / SCALE_MAX, 1)
        bars.append(ThemeBar(title, index, cap, TOP + row * ROW_H, round(width, 1), cap_x))
    ticks = tuple((value, round(BAR_LEFT + plot * value / SCALE_MAX, 1)) for value in range(6))
    height = TOP + ROW_H * len(bars) + BOTTOM
    return MaturityChart(tuple(bars), WIDTH, height, ticks=ticks)
