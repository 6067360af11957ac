"""Server-rendered SVG charts: the geometry is computed here, the templates draw it (no chart
library, no JavaScript). Every chart has a title, a description and a table equivalent."""

import math
from dataclasses import dataclass, field

WIDTH, HEIGHT = 760, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 36


def _nice_max(value: float) -> int:
    """A round upper bound for an axis: 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return int(step * power)
    return int(10 * power)


@dataclass
class Axis:
    top: int
    ticks: list[tuple[float, int]] = field(default_factory=list)  # (y, value)


def _y_axis(maximum: float, plot_height: int) -> Axis:
    top = _nice_max(maximum)
    ticks = [(TOP + plot_height - plot_height * k / 4, round(top * k / 4)) for k in range(5)]
    return Axis(top=top, ticks=ticks)


def line_chart(rows, series: list[tuple[str, str, str]]) -> dict:
    """Lines of daily counts: `series` = [(field, css class, label), ...] over `rows` (per day)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    maximum = max((getattr(r, f) for r in rows for f, _c, _l in series), default=0)
    axis = _y_axis(maximum, plot_h)
    step = plot_w / max(len(rows) - 1, 1)

    def point(i: int, value: int) -> str:
        return f"{LEFT + i * step:.1f},{TOP + plot_h - plot_h * value / axis.top:.1f}"

    lines = [
        {"css": css, "label": label,
         "points": " ".join(point(i, getattr(r, name)) for i, r in enumerate(rows))}
        for name, css, label in series
    ]  # fmt: skip
    picks = sorted({0, len(rows) // 2, len(rows) - 1}) if rows else []
    x_labels = [(LEFT + i * step, rows[i].label) for i in picks]
    return {"width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT,
            "bottom": TOP + plot_h, "axis": axis, "lines": lines, "x_labels": x_labels,
            "single": len(rows) == 1}  # fmt: skip


def histogram(distribution: list[tuple[int, int]]) -> dict:
    """Bars of visits per waiting minute; the last bar holds every longer wait."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    axis = _y_axis(max((n for _m, n in distribution), default=0), plot_h)
    width = plot_w / max(len(distribution), 1)
    bars = [
        {"x": LEFT + m * width, "width": max(width - 1, 1), "minute": m, "n": n,
         "y": TOP + plot_h - plot_h * n / axis.top, "height": plot_h * n / axis.top}
        for m, n in distribution
    ]  # fmt: skip
    x_labels = [(LEFT + m * width + width / 2, m) for m, _n in distribution if m % 10 == 0]
    return {"width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT,
            "bottom": TOP + plot_h, "axis": axis, "bars": bars, "x_labels": x_labels}  # fmt: skip


def comparison(rows) -> dict:
    """Horizontal bars per office: median and 90th-percentile wait."""
    label_w, bar_h, gap = 240, 10, 10
    plot_w = WIDTH - label_w - RIGHT - 40
    top = _nice_max(max((r.wait_p90 or 0 for r in rows), default=0))
    items = []
    for i, row in enumerate(rows):
        y = TOP + i * (2 * bar_h + gap)
        items.append({
            "label": row.label, "y": y, "label_y": y + bar_h + 3,
            "median": row.wait_median, "p90": row.wait_p90,
            "median_w": plot_w * (row.wait_median or 0) / top,
            "p90_w": plot_w * (row.wait_p90 or 0) / top, "p90_y": y + bar_h,
        })  # fmt: skip
    height = TOP + len(rows) * (2 * bar_h + gap) + 24
    ticks = [(label_w + plot_w * k / 4, round(top * k / 4)) for k in range(5)]
    return {"width": WIDTH, "height": height, "x0": label_w, "items": items, "ticks": ticks,
            "axis_y": height - 20, "bar_h": bar_h}  # fmt: skip
