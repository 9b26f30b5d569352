"""Geometry of the dashboard's trend chart, computed here so the template only draws it.

The chart is an inline SVG (no script, no library): bars for the number of problems each
scan found, a line for its score out of 100. The same numbers are given in a table next to
it, so nothing is said by the picture alone (WCAG 1.1.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rempart.web.scans.models import Scan

WIDTH = 640
HEIGHT = 220
LEFT, RIGHT, TOP, BOTTOM = 40, 40, 12, 28
PLOT_W = WIDTH - LEFT - RIGHT
PLOT_H = HEIGHT - TOP - BOTTOM
MAX_BAR = 36  # one or two scans should not draw a wall


@dataclass(frozen=True, slots=True)
class TrendPoint:
    when: datetime
    asset: str
    grade: str
    score: int | None
    problems: int


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class Dot:
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class TrendChart:
    points: tuple[TrendPoint, ...]
    bars: tuple[Bar, ...]
    dots: tuple[Dot, ...]
    line: str  # the "points" attribute of the score polyline
    max_problems: int
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    top: int = TOP
    bottom_edge: int = HEIGHT - BOTTOM


def problems_found(counts: dict[str, int]) -> int:
    """Failures a scan found, all severities (``errors`` counts checks that could not tell)."""
    return sum(value for key, value in counts.items() if key != "errors")


def points_of(scans: list[Scan]) -> tuple[TrendPoint, ...]:
    return tuple(
        TrendPoint(
            when=scan.finished_at or scan.created_at,
            asset=scan.asset.name,
            grade=scan.grade,
            score=scan.score,
            problems=problems_found(scan.counts or {}),
        )
        for scan in scans
    )


def trend_chart(points: tuple[TrendPoint, ...]) -> TrendChart:
    slot = PLOT_W / max(1, len(points))
    top_value = max([p.problems for p in points] + [1])
    bars: list[Bar] = []
    dots: list[Dot] = []
    for index, point in enumerate(points):
        centre = LEFT + slot * (index + 0.5)
        height = PLOT_H * point.problems / top_value
        width = min(slot * 0.6, MAX_BAR)
        bars.append(
            Bar(
                round(centre - width / 2, 1),
                round(TOP + PLOT_H - height, 1),
                round(width, 1),
                round(height, 1),
            )
        )
        if point.score is not None:
            dots.append(Dot(round(centre, 1), round(TOP + PLOT_H * (1 - point.score / 100), 1)))
    line = " ".join(f"{d.x},{d.y}" for d in dots)
    return TrendChart(tuple(points), tuple(bars), tuple(dots), line, top_value)
