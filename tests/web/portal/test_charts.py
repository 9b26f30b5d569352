"""The trend chart's geometry: inside the drawing, bars scaled to the largest count."""

from __future__ import annotations

from datetime import datetime, timedelta

from rempart.web.portal.charts import HEIGHT, WIDTH, TrendPoint, problems_found, trend_chart


def _point(day: int, score: int | None, problems: int) -> TrendPoint:
    return TrendPoint(datetime(2025, 1, 1) + timedelta(days=day), "a.lab", "C", score, problems)


def test_problems_found_ignores_the_count_of_errors():
    assert problems_found({"high": 2, "low": 1, "errors": 7}) == 3


def test_bars_scale_to_the_largest_count_and_the_line_follows_the_score():
    chart = trend_chart((_point(0, 100, 0), _point(1, 50, 5), _point(2, 0, 10)))
    heights = [bar.height for bar in chart.bars]
    assert heights[0] == 0 and heights[2] == 2 * heights[1] and chart.max_problems == 10
    top, bottom = chart.top, chart.bottom_edge
    assert [dot.y for dot in chart.dots] == [top, (top + bottom) / 2, bottom]
    assert chart.line == " ".join(f"{d.x},{d.y}" for d in chart.dots)
    for bar in chart.bars:
        assert 0 <= bar.x and bar.x + bar.width <= WIDTH and bar.y + bar.height <= HEIGHT


def test_a_scan_without_a_score_draws_a_bar_but_no_dot():
    chart = trend_chart((_point(0, None, 3),))
    assert len(chart.bars) == 1 and chart.dots == () and chart.line == ""
